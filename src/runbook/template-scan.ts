// What a template reads and calls, found without handlebars' parser for the templates runbooks are
// made of: text, plain references (`{{ a.b }}`), helper calls with plain arguments
// (`{{ join names ", " }}`, `{{ base64decode (lookup s.data key) }}`) and `{{#if}}` / `{{#unless}}`
// blocks with an `{{else}}`. The shipped upgrade has about 400 distinct templates; the parser,
// run cold on each one it was given, was about a twentieth of a `validate`.
//
// The scan must find exactly what the parser-based inspection (template.ts) finds, in the same
// order: it declines (undefined) on anything else, which the parser then reads: a triple or
// whitespace-trimming mustache, a comment, a partial, an escape, hash arguments, data (`@index`),
// `../`, literal keywords, other blocks (`each` and `with` change what a name means), and any
// mistake, whose message the parser's error gives. Its test holds it to the parser over every
// template of the project and over generated ones.
import type { TemplateInspection, TemplateReference } from './template.js';

const NAME = /[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*/y;
const NUMBER = /-?[0-9]+(?:\.[0-9]+)?/y;
const STRING = /"[^"\\]*"|'[^'\\]*'/y;
const SPACE = /\s*/y;
/** Words handlebars reads as something other than a path. */
const KEYWORDS: ReadonlySet<string> = new Set(['true', 'false', 'null', 'undefined', 'else']);
const BLOCKS: ReadonlySet<string> = new Set(['if', 'unless']);

class Decline extends Error {}

export function scanTemplate(template: string, helperNames: ReadonlySet<string>): TemplateInspection | undefined {
  if (template.includes('\\{{')) return undefined;
  try {
    return new Scan(template, helperNames).run();
  } catch (err) {
    if (err instanceof Decline) return undefined;
    throw err;
  }
}

class Scan {
  private at = 0;
  private readonly refs: TemplateReference[] = [];
  private readonly helpers: { name: string; offset: number }[] = [];
  /** The open blocks, innermost last, and whether each has had its {{else}}. */
  private readonly open: { name: string; inverse: boolean }[] = [];

  constructor(
    private readonly text: string,
    private readonly helperNames: ReadonlySet<string>,
  ) {}

  run(): TemplateInspection {
    for (let start = this.text.indexOf('{{'); start >= 0; start = this.text.indexOf('{{', this.at)) {
      this.at = start + 2;
      this.mustache();
      // `}}}` closes a triple mustache, which this one did not open: the parser's error to report.
      if (this.text[this.at] === '}') throw new Decline();
    }
    if (this.open.length > 0) throw new Decline();
    return { refs: this.refs, helpers: this.helpers };
  }

  private mustache(): void {
    const c = this.text[this.at];
    if (c === '#') {
      this.at++;
      this.space();
      const offset = this.at;
      const name = this.match(NAME);
      if (!name || !BLOCKS.has(name)) throw new Decline();
      this.helpers.push({ name, offset });
      this.params(this.afterToken());
      this.close();
      this.open.push({ name, inverse: false });
      return;
    }
    if (c === '/') {
      this.at++;
      this.space();
      const name = this.match(NAME);
      if (!name || name !== this.open.pop()?.name) throw new Decline();
      this.space();
      this.close();
      return;
    }
    this.space();
    const offset = this.at;
    const name = this.match(NAME);
    if (name === 'else') {
      this.space();
      const block = this.open[this.open.length - 1];
      if (!block || block.inverse) throw new Decline();
      block.inverse = true;
      this.close();
      return;
    }
    if (!name || KEYWORDS.has(name.split('.')[0]!)) throw new Decline();
    this.call(name, offset, '}');
    this.close();
  }

  /** A helper call or a path, and its arguments up to `end` (`}` of `}}`, or `)`). */
  private call(callee: string, offset: number, end: '}' | ')'): void {
    const args: (() => void)[] = [];
    let spaced = this.afterToken();
    while (this.text[this.at] !== end) {
      if (!spaced) throw new Decline();
      args.push(this.param());
      spaced = this.afterToken();
    }
    if (args.length > 0 || this.helperNames.has(callee)) this.helpers.push({ name: callee, offset });
    else this.path(callee, offset);
    // A subexpression's helper comes before what its arguments read, as the parser walks them.
    for (const arg of args) arg();
  }

  /** The block's parameters (`{{#if a}}`): read at once. */
  private params(spaced: boolean): void {
    while (this.text[this.at] !== '}') {
      if (!spaced) throw new Decline();
      this.param()();
      spaced = this.afterToken();
    }
  }

  /** One argument; what it reads is recorded when the returned function runs. */
  private param(): () => void {
    const offset = this.at;
    const c = this.text[this.at];
    if (c === '"' || c === "'") {
      if (!this.match(STRING)) throw new Decline();
      return () => {};
    }
    if (c === '(') {
      this.at++;
      this.space();
      const inner = this.at;
      const name = this.match(NAME);
      if (!name || KEYWORDS.has(name.split('.')[0]!)) throw new Decline();
      // Read now (the scan moves on), recorded in order when the caller's turn comes.
      const sub = new Scan(this.text, this.helperNames);
      sub.at = this.at;
      sub.call(name, inner, ')');
      this.at = sub.at + 1;
      return () => {
        this.helpers.push(...sub.helpers);
        this.refs.push(...sub.refs);
      };
    }
    const number = this.match(NUMBER);
    if (number !== undefined) {
      if (/[\w.-]/.test(this.text[this.at] ?? '')) throw new Decline();
      return () => {};
    }
    const name = this.match(NAME);
    if (!name || KEYWORDS.has(name.split('.')[0]!)) throw new Decline();
    return () => this.path(name, offset);
  }

  private path(path: string, offset: number): void {
    if (path.startsWith('this')) return;
    this.refs.push({ name: path.split('.')[0]!, path, offset });
  }

  /**
   * Past a token: whether whitespace follows it. A token must end at whitespace, `}}` or `)`;
   * anything else (`a/b`, `a.[0]`, `key=value`, `a.0`) is the parser's.
   */
  private afterToken(): boolean {
    const before = this.at;
    this.space();
    const next = this.text[this.at];
    if (this.at === before && next !== '}' && next !== ')') throw new Decline();
    return this.at > before;
  }

  private close(): void {
    if (!this.text.startsWith('}}', this.at)) throw new Decline();
    this.at += 2;
  }

  private space(): void {
    SPACE.lastIndex = this.at;
    SPACE.exec(this.text);
    this.at = SPACE.lastIndex;
  }

  private match(re: RegExp): string | undefined {
    re.lastIndex = this.at;
    const m = re.exec(this.text);
    if (!m) return undefined;
    this.at = re.lastIndex;
    return m[0];
  }
}
