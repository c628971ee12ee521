// `sh -c SCRIPT [NAME [ARG...]]` in a simulated container: the part of the POSIX shell language the
// upgrade's exec steps use, run against the container's commands (commands.ts). Supported:
//
//   lists          cmd; cmd   newlines   cmd && cmd   cmd || cmd   # comments
//   compounds      if LIST; then LIST; [elif LIST; then LIST;] [else LIST;] fi
//                  for NAME in WORD...; do LIST; done
//   words          'single'  "double, with $expansions"  \escapes  NAME=value  VAR=value command
//   expansions     $NAME ${NAME} $0..$9 $# $?  (an unquoted one that would split into fields is refused)
//   redirections   < FILE   > FILE   >> FILE   N> FILE   N>&M   >&M   (/dev/null included)
//   builtins       read [-r] NAME... (IFS= for whole lines)   command -v NAME   exec COMMAND...
//                  echo [-n] ...   exit [N]   true   false   :
//
// Anything else (pipes, command substitution, globs, functions, while, case, background jobs) is a
// syntax error, exit 2, with a message naming it, as a shell without that feature would stop.
import { createReadStream } from 'node:fs';
import { stat, writeFile, appendFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { CommandIO } from './commands.js';
import { hostPath } from './container-fs.js';

type Part = { quoted: boolean; text: string; expand: boolean };
interface Word {
  parts: Part[];
  /** The word as written, for messages and keyword checks. */
  raw: string;
}
type Redirect = { fd: number; op: '<' | '>' | '>>' | '>&'; target: Word };
interface Simple {
  type: 'simple';
  assigns: { name: string; value: Word }[];
  words: Word[];
  redirects: Redirect[];
  line: number;
}
interface If {
  type: 'if';
  branches: { cond: Node[]; body: Node[] }[];
  otherwise?: Node[];
}
interface For {
  type: 'for';
  name: string;
  items: Word[];
  body: Node[];
}
interface AndOr {
  type: 'andor';
  first: Node;
  rest: { op: '&&' | '||'; node: Node }[];
}
type Node = Simple | If | For | AndOr;

type Token = { kind: 'word'; word: Word; line: number } | { kind: 'op'; op: string; line: number };

class ShellSyntaxError extends Error {}
class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function tokenize(script: string): Token[] {
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

class Parser {
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

/** Reads standard input a line at a time for `read`, and hands the rest to a command. */
class Input {
  private buffered = Buffer.alloc(0);
  private ended = false;
  private readonly it: AsyncIterator<unknown> | undefined;
  constructor(stdin: Readable | undefined) {
    this.it = stdin?.[Symbol.asyncIterator]();
    if (!stdin) this.ended = true;
  }

  async line(): Promise<string | undefined> {
    for (;;) {
      const nl = this.buffered.indexOf(10);
      if (nl >= 0) {
        const text = this.buffered.subarray(0, nl).toString('utf8');
        this.buffered = this.buffered.subarray(nl + 1);
        return text;
      }
      if (this.ended) {
        if (!this.buffered.length) return undefined;
        const text = this.buffered.toString('utf8');
        this.buffered = Buffer.alloc(0);
        return text;
      }
      const next = await this.it!.next();
      if (next.done) this.ended = true;
      else this.buffered = Buffer.concat([this.buffered, next.value as Buffer]);
    }
  }

  /** What is left of standard input, as a stream. */
  rest(): Readable | undefined {
    if (this.ended && !this.buffered.length) return Readable.from([]);
    const head = this.buffered;
    this.buffered = Buffer.alloc(0);
    const it = this.it;
    const ended = this.ended;
    this.ended = true;
    return Readable.from(
      (async function* () {
        if (head.length) yield head;
        if (!ended && it) for (let n = await it.next(); !n.done; n = await it.next()) yield n.value as Buffer;
      })(),
    );
  }
}

type Run = (argv: readonly string[], io: CommandIO) => Promise<number>;

const BUILTINS = new Set(['read', 'command', 'exec', 'echo', 'exit', 'true', 'false', ':', 'test', '[']);

class Shell {
  private status = 0;
  private readonly input: Input;
  constructor(
    private readonly vars: Map<string, string>,
    private readonly positional: string[],
    private readonly io: CommandIO,
    private readonly run: Run,
    private readonly programs: (name: string) => boolean,
  ) {
    this.input = new Input(io.stdin);
  }

  private expandPart(p: Part, line: number): string {
    if (!p.expand) return p.text;
    let out = '';
    for (let i = 0; i < p.text.length; i++) {
      const c = p.text[i]!;
      if (c === '\\' && p.quoted && '$`"\\\n'.includes(p.text[i + 1] ?? '')) {
        out += p.text[++i];
        continue;
      }
      if (c !== '$') {
        out += c;
        continue;
      }
      const rest = p.text.slice(i + 1);
      let m: RegExpExecArray | null;
      if ((m = /^\{([A-Za-z_][A-Za-z0-9_]*|\d+|[#?])\}/.exec(rest)) || (m = /^([A-Za-z_][A-Za-z0-9_]*|\d|[#?])/.exec(rest))) {
        out += this.value(m[1]!);
        i += m[0].length;
      } else if (rest.startsWith('(') || rest.startsWith('{')) {
        throw new ShellSyntaxError(`line ${line}: '$${rest[0]}' (command substitution or a parameter operation) is not supported by the sandbox shell`);
      } else if (rest.startsWith('@') || rest.startsWith('*')) {
        throw new ShellSyntaxError(`line ${line}: '$${rest[0]}' is not supported by the sandbox shell`);
      } else out += '$';
    }
    return out;
  }

  private value(name: string): string {
    if (name === '?') return String(this.status);
    if (name === '#') return String(Math.max(this.positional.length - 1, 0));
    if (/^\d+$/.test(name)) return this.positional[Number(name)] ?? '';
    return this.vars.get(name) ?? '';
  }

  /** A word's value; undefined for an unquoted expansion that came out empty (no field, as sh drops it). */
  private expand(w: Word, line: number): string | undefined {
    const text = w.parts.map((p) => this.expandPart(p, line)).join('');
    const unquotedExpansion = w.parts.some((p) => !p.quoted && p.text.includes('$'));
    if (unquotedExpansion) {
      const fromVars = w.parts.filter((p) => !p.quoted).map((p) => this.expandPart(p, line)).join('');
      if (/\s/.test(fromVars)) throw new ShellSyntaxError(`line ${line}: the unquoted expansion in ${w.raw} would be split into words, which the sandbox shell does not do: quote it`);
      if (text === '' && w.parts.every((p) => !p.quoted)) return undefined;
    }
    return text;
  }

  private words(ws: Word[], line: number): string[] {
    return ws.map((w) => this.expand(w, line)).filter((x): x is string => x !== undefined);
  }

  async list(nodes: Node[]): Promise<number> {
    for (const n of nodes) this.status = await this.node(n);
    return this.status;
  }

  private async node(n: Node): Promise<number> {
    switch (n.type) {
      case 'andor': {
        let code = await this.node(n.first);
        for (const r of n.rest) {
          this.status = code;
          if ((r.op === '&&') === (code === 0)) code = await this.node(r.node);
        }
        return code;
      }
      case 'if': {
        for (const b of n.branches) {
          if ((await this.list(b.cond)) === 0) return b.body.length ? this.list(b.body) : 0;
        }
        return n.otherwise ? this.list(n.otherwise) : 0;
      }
      case 'for': {
        let code = 0;
        for (const item of this.words(n.items, 0)) {
          this.vars.set(n.name, item);
          code = await this.list(n.body);
        }
        return code;
      }
      default:
        return this.simple(n);
    }
  }

  private async simple(n: Simple): Promise<number> {
    const assigns = n.assigns.map((a) => [a.name, this.expand(a.value, n.line) ?? ''] as const);
    let argv = this.words(n.words, n.line);
    if (argv.length === 0) {
      for (const [k, v] of assigns) this.vars.set(k, v);
      return 0;
    }
    // Where stdout and stderr go, and stdin comes from, after the redirections, left to right.
    const sinks: Record<number, (b: Buffer) => Promise<void>> = { 1: this.io.stdout, 2: this.io.stderr };
    let stdin: Readable | undefined;
    const discard = async (): Promise<void> => undefined;
    for (const r of n.redirects) {
      const target = this.expand(r.target, n.line) ?? '';
      if (r.op === '>&') {
        if (!/^[12]$/.test(target) || !(r.fd === 1 || r.fd === 2)) throw new ShellSyntaxError(`line ${n.line}: ${r.fd}>&${target} is not supported by the sandbox shell`);
        sinks[r.fd] = sinks[Number(target)]!;
      } else if (r.op === '<') {
        if (r.fd !== 0) throw new ShellSyntaxError(`line ${n.line}: ${r.fd}< is not supported by the sandbox shell`);
        if (target === '/dev/null') stdin = Readable.from([]);
        else {
          const path = await hostPath(this.io.root, target);
          const st = await stat(path).catch(() => undefined);
          if (!st?.isFile()) {
            await this.io.stderr(Buffer.from(`sh: line ${n.line}: ${target}: ${st ? 'Is a directory' : 'No such file or directory'}\n`));
            return 1;
          }
          stdin = createReadStream(path);
        }
      } else {
        if (r.fd !== 1 && r.fd !== 2) throw new ShellSyntaxError(`line ${n.line}: ${r.fd}> is not supported by the sandbox shell`);
        if (target === '/dev/null') sinks[r.fd] = discard;
        else {
          const path = await hostPath(this.io.root, target);
          if (r.op === '>') await writeFile(path, '');
          sinks[r.fd] = (b) => appendFile(path, b);
        }
      }
    }
    const env = { ...this.io.env, ...Object.fromEntries(assigns) };
    // Standard input goes to a program only when one runs: the builtins before it may still read lines.
    const io: CommandIO = { ...this.io, env, stdout: sinks[1]!, stderr: sinks[2]! };
    const withInput = (): CommandIO => ({ ...io, stdin: stdin ?? this.input.rest() });
    const say = (text: string): Promise<void> => io.stderr(Buffer.from(text));
    const [name, ...args] = argv;
    switch (name) {
      case 'exec': {
        if (!args.length) return 0;
        argv = args;
        throw new Exit(await this.external(argv, withInput(), n.line));
      }
      case 'exit': {
        const code = args[0] === undefined ? this.status : Number(args[0]);
        throw new Exit(Number.isInteger(code) ? code & 255 : 2);
      }
      case 'true':
      case ':':
        return 0;
      case 'false':
        return 1;
      case 'echo': {
        const newline = args[0] !== '-n';
        await io.stdout(Buffer.from(`${(newline ? args : args.slice(1)).join(' ')}${newline ? '\n' : ''}`));
        return 0;
      }
      case 'read': {
        const names = args.filter((a) => a !== '-r');
        if (args.some((a) => a.startsWith('-') && a !== '-r') || !names.length || names.some((x) => !NAME.test(x))) {
          await say(`sh: line ${n.line}: read: only read [-r] NAME... is supported by the sandbox shell\n`);
          return 2;
        }
        const line = await (stdin ? new Input(stdin) : this.input).line();
        if (line === undefined) {
          for (const x of names) this.vars.set(x, '');
          return 1;
        }
        const whole = assigns.some(([k, v]) => k === 'IFS' && v === '');
        const fields = whole ? [line] : line.trim().split(/[ \t]+/);
        names.forEach((x, i) => this.vars.set(x, i === names.length - 1 ? fields.slice(i).join(' ') : (fields[i] ?? '')));
        return 0;
      }
      case 'command': {
        if (args[0] !== '-v' || args.length !== 2) {
          await say(`sh: line ${n.line}: command: only command -v NAME is supported by the sandbox shell\n`);
          return 2;
        }
        const what = args[1]!;
        if (BUILTINS.has(what)) {
          await io.stdout(Buffer.from(`${what}\n`));
          return 0;
        }
        if (this.programs(what)) {
          await io.stdout(Buffer.from(`/usr/bin/${what}\n`));
          return 0;
        }
        return 1;
      }
      default:
        return this.external(argv, withInput(), n.line);
    }
  }

  private async external(argv: string[], io: CommandIO, line: number): Promise<number> {
    const code = await this.run(argv, { ...io, stderr: async (b) => io.stderr(Buffer.from(b.toString('utf8').replace(/^([^\s:]+): command not found/m, `sh: line ${line}: $1: command not found`))) });
    this.status = code;
    return code;
  }
}

/** Runs `sh` with its arguments; only the -c form. */
export async function sh(args: readonly string[], io: CommandIO, run: Run, programs: (name: string) => boolean): Promise<number> {
  if (args[0] !== '-c' || args.length < 2) {
    await io.stderr(Buffer.from('sh: only `sh -c SCRIPT [NAME [ARG...]]` is supported by the sandbox container\n'));
    return 2;
  }
  const [, script, ...positional] = args;
  let nodes: Node[];
  try {
    nodes = new Parser(tokenize(script!)).list();
  } catch (err) {
    if (!(err instanceof ShellSyntaxError)) throw err;
    await io.stderr(Buffer.from(`sh: -c: ${err.message}\n`));
    return 2;
  }
  const shell = new Shell(new Map(), positional.length ? positional : ['sh'], io, run, programs);
  try {
    return await shell.list(nodes);
  } catch (err) {
    if (err instanceof Exit) return err.code;
    if (err instanceof ShellSyntaxError) {
      await io.stderr(Buffer.from(`sh: ${err.message}\n`));
      return 2;
    }
    throw err;
  }
}
