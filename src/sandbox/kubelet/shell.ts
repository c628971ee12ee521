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
import { type Node, NAME, Parser, type Part, type Simple, ShellSyntaxError, type Word, tokenize } from './shell-syntax.js';

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
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