// The sandbox shell's language (shell.ts lists what it accepts): the tokenizer, which splits a script
// into words and operators and refuses what the shell lacks (pipes, substitutions, globs), and the
// parser, which builds the lists, if/for compounds and simple commands the shell runs.

export type Part = { quoted: boolean; text: string; expand: boolean };
export interface Word {
  parts: Part[];
  /** The word as written, for messages and keyword checks. */
  raw: string;
}
export type Redirect = { fd: number; op: '<' | '>' | '>>' | '>&'; target: Word };
export interface Simple {
  type: 'simple';
  assigns: { name: string; value: Word }[];
  words: Word[];
  redirects: Redirect[];
  line: number;
}
export interface If {
  type: 'if';
  branches: { cond: Node[]; body: Node[] }[];
  otherwise?: Node[];
}
export interface For {
  type: 'for';
  name: string;
  items: Word[];
  body: Node[];
}
export interface AndOr {
  type: 'andor';
  first: Node;
  rest: { op: '&&' | '||'; node: Node }[];
}
export type Node = Simple | If | For | AndOr;

type Token = { kind: 'word'; word: Word; line: number } | { kind: 'op'; op: string; line: number };

export class ShellSyntaxError extends Error {}

export const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function tokenize(script: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  const fail = (what: string): never => {
    throw new ShellSyntaxError(`line ${line}: ${what} is not supported by the sandbox shell`);
  };
  while (i < script.length) {
    const c = script[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '\\' && script[i + 1] === '\n') {
      i += 2;
      line++;
      continue;
    }
    if (c === '\n') {
      tokens.push({ kind: 'op', op: '\n', line });
      line++;
      i++;
      continue;
    }
    if (c === '#') {
      while (i < script.length && script[i] !== '\n') i++;
      continue;
    }
    const two = script.slice(i, i + 2);
    if (two === '&&' || two === '||' || two === ';;' || two === '>>' || two === '>&' || two === '<<' || two === '&>') {
      if (two === ';;' || two === '<<' || two === '&>') fail(`'${two}'`);
      tokens.push({ kind: 'op', op: two, line });
      i += 2;
      continue;
    }
    if (c === ';' || c === '>' || c === '<') {
      tokens.push({ kind: 'op', op: c, line });
      i++;
      continue;
    }
    if (c === '|') fail('a pipe (|)');
    if (c === '&') fail('a background job (&)');
    if (c === '(' || c === ')') fail(`'${c}' (subshells and functions)`);
    if (c === '`') fail('command substitution (`...`)');
    // A word, up to an unquoted blank or operator.
    const parts: Part[] = [];
    const start = i;
    let plain = '';
    const flush = (): void => {
      if (plain) parts.push({ quoted: false, text: plain, expand: true });
      plain = '';
    };
    while (i < script.length && !/[\s;&|<>()`]/.test(script[i]!)) {
      const ch = script[i]!;
      if (ch === "'") {
        flush();
        const end = script.indexOf("'", i + 1);
        if (end < 0) fail('an unterminated quote');
        parts.push({ quoted: true, text: script.slice(i + 1, end), expand: false });
        line += (script.slice(i, end).match(/\n/g) ?? []).length;
        i = end + 1;
      } else if (ch === '"') {
        flush();
        let text = '';
        i++;
        while (i < script.length && script[i] !== '"') {
          if (script[i] === '\\' && '$`"\\\n'.includes(script[i + 1] ?? '')) {
            // Kept escaped for the expansion, which unescapes.
            text += script[i]! + script[i + 1]!;
            i += 2;
            continue;
          }
          if (script[i] === '`') fail('command substitution (`...`)');
          if (script[i] === '\n') line++;
          text += script[i++];
        }
        if (i >= script.length) fail('an unterminated quote');
        i++;
        parts.push({ quoted: true, text, expand: true });
      } else if (ch === '\\') {
        flush();
        parts.push({ quoted: true, text: script[i + 1] ?? '', expand: false });
        i += 2;
      } else {
        if (ch === '$' && script[i + 1] === '(') fail('command substitution ($(...))');
        if (ch === '*' || (ch === '?' && script[i - 1] !== '$')) fail(`a glob (${ch})`);
        plain += ch;
        i++;
      }
    }
    flush();
    // A file descriptor before a redirection (2>, 2>&1) belongs to it.
    const raw = script.slice(start, i);
    if (/^\d$/.test(raw) && (script[i] === '>' || script[i] === '<')) {
      tokens.push({ kind: 'op', op: `fd${raw}`, line });
      continue;
    }
    tokens.push({ kind: 'word', word: { parts, raw }, line });
  }
  return tokens;
}

const RESERVED = new Set(['if', 'then', 'else', 'elif', 'fi', 'for', 'in', 'do', 'done', 'while', 'until', 'case', 'esac', 'function', '{', '}', '!']);

export class Parser {
  private at = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.at];
  }

  private isWord(value: string): boolean {
    const t = this.peek();
    return t?.kind === 'word' && t.word.raw === value && t.word.parts.every((p) => !p.quoted);
  }

  private skipNewlines(): void {
    while (this.peek()?.kind === 'op' && (this.peek() as { op: string }).op === '\n') this.at++;
  }

  private expectWord(value: string): void {
    this.skipNewlines();
    if (!this.isWord(value)) throw new ShellSyntaxError(`line ${this.peek()?.line ?? 'end'}: syntax error: '${value}' expected`);
    this.at++;
  }

  /** Commands up to one of `stops` (a reserved word at a command's start) or the end. */
  list(stops: string[] = []): Node[] {
    const nodes: Node[] = [];
    for (;;) {
      while (this.peek()?.kind === 'op' && ['\n', ';'].includes((this.peek() as { op: string }).op)) this.at++;
      const t = this.peek();
      if (!t || stops.some((s) => this.isWord(s))) return nodes;
      nodes.push(this.andOr());
    }
  }

  private andOr(): Node {
    const first = this.command();
    const rest: AndOr['rest'] = [];
    for (;;) {
      const t = this.peek();
      if (t?.kind !== 'op' || (t.op !== '&&' && t.op !== '||')) break;
      this.at++;
      this.skipNewlines();
      rest.push({ op: t.op as '&&' | '||', node: this.command() });
    }
    return rest.length ? { type: 'andor', first, rest } : first;
  }

  private command(): Node {
    const t = this.peek()!;
    if (this.isWord('if')) {
      this.at++;
      const branches: If['branches'] = [];
      let otherwise: Node[] | undefined;
      for (;;) {
        const cond = this.list(['then']);
        this.expectWord('then');
        const body = this.list(['elif', 'else', 'fi']);
        branches.push({ cond, body });
        if (this.isWord('elif')) {
          this.at++;
          continue;
        }
        if (this.isWord('else')) {
          this.at++;
          otherwise = this.list(['fi']);
        }
        this.expectWord('fi');
        return { type: 'if', branches, ...(otherwise ? { otherwise } : {}) };
      }
    }
    if (this.isWord('for')) {
      this.at++;
      const name = this.peek();
      if (name?.kind !== 'word' || !NAME.test(name.word.raw)) throw new ShellSyntaxError(`line ${t.line}: syntax error: a name expected after 'for'`);
      this.at++;
      const items: Word[] = [];
      if (this.isWord('in')) {
        this.at++;
        while (this.peek()?.kind === 'word') items.push((this.tokens[this.at++] as { word: Word }).word);
      } else throw new ShellSyntaxError(`line ${t.line}: 'for' without 'in' is not supported by the sandbox shell`);
      while (this.peek()?.kind === 'op' && (this.peek() as { op: string }).op === ';') this.at++;
      this.expectWord('do');
      const body = this.list(['done']);
      this.expectWord('done');
      return { type: 'for', name: name.word.raw, items, body };
    }
    if (t.kind === 'word' && RESERVED.has(t.word.raw) && t.word.parts.every((p) => !p.quoted)) {
      throw new ShellSyntaxError(`line ${t.line}: '${t.word.raw}' ${['while', 'until', 'case', 'function', '{', '}', '!'].includes(t.word.raw) ? 'is not supported by the sandbox shell' : 'unexpected (syntax error)'}`);
    }
    const node: Simple = { type: 'simple', assigns: [], words: [], redirects: [], line: t.line };
    for (;;) {
      const x = this.peek();
      if (!x) break;
      if (x.kind === 'op') {
        let fd: number | undefined;
        let op = x.op;
        if (op.startsWith('fd')) {
          fd = Number(op.slice(2));
          this.at++;
          op = (this.peek() as { op?: string } | undefined)?.op ?? '';
        }
        if (!['<', '>', '>>', '>&'].includes(op)) {
          if (fd !== undefined) throw new ShellSyntaxError(`line ${x.line}: syntax error near a redirection`);
          break;
        }
        this.at++;
        const target = this.peek();
        if (target?.kind !== 'word') throw new ShellSyntaxError(`line ${x.line}: syntax error: a redirection without a target`);
        this.at++;
        node.redirects.push({ fd: fd ?? (op === '<' ? 0 : 1), op: op as Redirect['op'], target: target.word });
        continue;
      }
      const w = x.word;
      const eq = w.parts[0] && !w.parts[0].quoted ? w.parts[0].text.indexOf('=') : -1;
      if (node.words.length === 0 && eq > 0 && NAME.test(w.parts[0]!.text.slice(0, eq))) {
        const name = w.parts[0]!.text.slice(0, eq);
        const first = { ...w.parts[0]!, text: w.parts[0]!.text.slice(eq + 1) };
        node.assigns.push({ name, value: { parts: [first, ...w.parts.slice(1)], raw: w.raw.slice(eq + 1) } });
      } else node.words.push(w);
      this.at++;
    }
    if (!node.words.length && !node.assigns.length && !node.redirects.length) throw new ShellSyntaxError(`line ${t.line}: syntax error near '${t.kind === 'op' ? t.op : t.word.raw}'`);
    return node;
  }
}
