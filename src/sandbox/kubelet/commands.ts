// The commands a simulated container has, run against its folder (container-fs.ts). A real image
// has a shell and hundreds of binaries; the sandbox has what the upgrade's backup and restore
// steps run through exec, with the options they use:
//
//   tar    -c / -x / -t, -f - (the archive is stdin or stdout), -C DIR, -z, -v, -p, -o, -m,
//          --ignore-failed-read, --warning=..., --no-same-owner, --no-same-permissions,
//          old-style bundles (`tar czf - ...`)
//   test / [   -e -f -d -s -r -w -x, and `!`
//   ls     [-1aAl] [PATH...]
//   cat    [FILE...] (stdin without arguments)
//   mkdir  [-p] [-m MODE] DIR...
//   rm     [-r] [-f] PATH...
//   sh     -c SCRIPT [NAME [ARG...]], the shell language of shell.ts
//   and in a database container (database.ts): mariadb, mysql, mariadb-dump, mysqldump
//
// Anything else exits 127 with "command not found" on stderr, as in a container without that
// binary. Exit codes follow GNU coreutils and tar: 1 for a failed test or a missing file to cat,
// 2 for usage errors and tar's fatal errors.
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { posix, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { Pack, Parser, Unpack } from 'tar';
import { absolute, hostPath } from './container-fs.js';
import { CLIENTS, DUMPERS, client, dump } from './database.js';
import { sh } from './shell.js';

export interface CommandIO {
  /** The container's folder on the host. */
  root: string;
  stdin?: Readable;
  stdout(data: Buffer): Promise<void>;
  stderr(data: Buffer): Promise<void>;
  /** The programs this container has beyond COMMANDS (a database image's clients). */
  programs?: readonly string[];
  /** The environment of the process (variables a shell sets before a command, such as MYSQL_PWD). */
  env?: Record<string, string>;
}

export const COMMANDS = ['tar', 'test', '[', 'ls', 'cat', 'mkdir', 'rm', 'sh'] as const;

/** Runs argv in the container; resolves with the exit code. */
export async function runCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const [program = '', ...args] = argv;
  const name = /^\/(usr\/)?(local\/)?s?bin\/[^/]+$/.test(program) ? posix.basename(program) : program;
  const say = (stream: 'stdout' | 'stderr', text: string): Promise<void> => io[stream](Buffer.from(text));
  try {
    switch (name) {
      case 'tar':
        return await tar(args, io);
      case 'test':
        return await test(args, io);
      case '[':
        if (args[args.length - 1] !== ']') {
          await say('stderr', "[: missing ']'\n");
          return 2;
        }
        return await test(args.slice(0, -1), io);
      case 'ls':
        return await ls(args, io);
      case 'cat':
        return await cat(args, io);
      case 'mkdir':
        return await mkdirCommand(args, io);
      case 'rm':
        return await rmCommand(args, io);
      case 'sh':
        return await sh(args, io, runCommand, (n) => (COMMANDS as readonly string[]).includes(n) || (io.programs ?? []).includes(n));
      default:
        if ((io.programs ?? []).includes(name)) {
          if ((CLIENTS as readonly string[]).includes(name)) return await client(name, args, io);
          if ((DUMPERS as readonly string[]).includes(name)) return await dump(name, args, io);
        }
        await say('stderr', `${program || '""'}: command not found\n`);
        return 127;
    }
  } finally {
    // Whatever the command did not read of stdin is thrown away, so the sender is not held up.
    io.stdin?.resume();
  }
}

async function exists(path: string): Promise<import('node:fs').Stats | undefined> {
  return stat(path).catch(() => undefined);
}

async function test(args: string[], io: CommandIO): Promise<number> {
  let negate = false;
  if (args[0] === '!') {
    negate = true;
    args = args.slice(1);
  }
  let result: boolean;
  if (args.length === 0) result = false;
  else if (args.length === 1) result = args[0] !== '';
  else if (args.length === 2 && /^-[efdsrwx]$/.test(args[0]!)) {
    const st = await exists(await hostPath(io.root, args[1]!));
    switch (args[0]) {
      case '-d':
        result = st?.isDirectory() ?? false;
        break;
      case '-f':
        result = st?.isFile() ?? false;
        break;
      case '-s':
        result = (st?.size ?? 0) > 0;
        break;
      case '-x':
        result = st !== undefined && (st.mode & 0o111) !== 0;
        break;
      default:
        result = st !== undefined;
    }
  } else {
    await io.stderr(Buffer.from(`test: ${args.join(' ')}: unsupported expression in the sandbox container\n`));
    return 2;
  }
  return result !== negate ? 0 : 1;
}

async function cat(args: string[], io: CommandIO): Promise<number> {
  if (args.length === 0 || (args.length === 1 && args[0] === '-')) {
    for await (const chunk of io.stdin ?? []) await io.stdout(chunk as Buffer);
    return 0;
  }
  let code = 0;
  for (const arg of args) {
    const path = await hostPath(io.root, arg);
    const st = await exists(path);
    if (!st) {
      await io.stderr(Buffer.from(`cat: ${arg}: No such file or directory\n`));
      code = 1;
      continue;
    }
    if (st.isDirectory()) {
      await io.stderr(Buffer.from(`cat: ${arg}: Is a directory\n`));
      code = 1;
      continue;
    }
    for await (const chunk of createReadStream(path)) await io.stdout(chunk as Buffer);
  }
  return code;
}

async function ls(args: string[], io: CommandIO): Promise<number> {
  const flags = new Set<string>();
  const paths: string[] = [];
  for (const a of args) {
    if (a.startsWith('-') && a.length > 1) for (const f of a.slice(1)) flags.add(f);
    else paths.push(a);
  }
  if (paths.length === 0) paths.push('.');
  const hidden = (n: string): boolean => n.startsWith('.') && !flags.has('a') && !flags.has('A');
  const line = async (name: string, full: string): Promise<string> => {
    if (!flags.has('l')) return `${name}\n`;
    const st = await stat(full);
    const type = st.isDirectory() ? 'd' : '-';
    const perms = [6, 3, 0].map((s) => ['r', 'w', 'x'].map((c, i) => ((st.mode >> s) & (4 >> i) ? c : '-')).join('')).join('');
    return `${type}${perms} 1 ${st.uid} ${st.gid} ${st.size} ${st.mtime.toISOString().slice(0, 16).replace('T', ' ')} ${name}\n`;
  };
  let code = 0;
  for (const p of paths) {
    const full = await hostPath(io.root, p);
    const st = await exists(full);
    if (!st) {
      await io.stderr(Buffer.from(`ls: cannot access '${p}': No such file or directory\n`));
      code = 2;
      continue;
    }
    if (paths.length > 1 && st.isDirectory()) await io.stdout(Buffer.from(`${p}:\n`));
    if (!st.isDirectory()) {
      await io.stdout(Buffer.from(await line(p, full)));
      continue;
    }
    const names = (await readdir(full)).filter((n) => !hidden(n)).sort();
    if (flags.has('a')) names.unshift('.', '..');
    for (const n of names) await io.stdout(Buffer.from(await line(n, posix.join(full, n))));
  }
  return code;
}

async function mkdirCommand(args: string[], io: CommandIO): Promise<number> {
  let parents = false;
  let mode = 0o777;
  const dirs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-p' || a === '--parents') parents = true;
    else if (a === '-m') mode = parseInt(args[++i] ?? '', 8);
    else if (a.startsWith('-m')) mode = parseInt(a.slice(2), 8);
    else if (a.startsWith('--mode=')) mode = parseInt(a.slice(7), 8);
    else dirs.push(a);
  }
  if (dirs.length === 0 || Number.isNaN(mode)) {
    await io.stderr(Buffer.from('mkdir: missing operand\n'));
    return 1;
  }
  let code = 0;
  for (const d of dirs) {
    const path = await hostPath(io.root, d);
    try {
      await mkdir(path, { recursive: parents, mode });
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'EEXIST' ? 'File exists' : 'No such file or directory';
      await io.stderr(Buffer.from(`mkdir: cannot create directory '${d}': ${why}\n`));
      code = 1;
    }
  }
  return code;
}

async function rmCommand(args: string[], io: CommandIO): Promise<number> {
  let recursive = false;
  let force = false;
  const paths: string[] = [];
  for (const a of args) {
    if (/^-[rRf]+$/.test(a)) {
      recursive ||= /[rR]/.test(a);
      force ||= a.includes('f');
    } else if (a === '--recursive') recursive = true;
    else if (a === '--force') force = true;
    else if (a.startsWith('-') && a !== '-') {
      await io.stderr(Buffer.from(`rm: invalid option -- '${a.slice(1)}'\n`));
      return 1;
    } else paths.push(a);
  }
  if (paths.length === 0) {
    if (force) return 0;
    await io.stderr(Buffer.from('rm: missing operand\n'));
    return 1;
  }
  let code = 0;
  for (const p of paths) {
    if (absolute(p) === '/') {
      await io.stderr(Buffer.from("rm: it is dangerous to operate recursively on '/'\n"));
      code = 1;
      continue;
    }
    // rm removes a link, not what it points to.
    const path = await hostPath(io.root, p, false);
    const st = await lstat(path).catch(() => undefined);
    if (!st) {
      if (!force) {
        await io.stderr(Buffer.from(`rm: cannot remove '${p}': No such file or directory\n`));
        code = 1;
      }
      continue;
    }
    if (st.isDirectory() && !recursive) {
      await io.stderr(Buffer.from(`rm: cannot remove '${p}': Is a directory\n`));
      code = 1;
      continue;
    }
    await rm(path, { recursive, force: true });
  }
  return code;
}

interface TarPlan {
  mode?: 'c' | 'x' | 't';
  file?: string;
  gzip: boolean;
  verbose: boolean;
  ignoreFailedRead: boolean;
  /** Operands with the -C directory in force where each was given. */
  operands: { cwd: string; path: string }[];
  /** The last -C, where extraction goes. */
  cwd: string;
}

const TAR_IGNORED_LONG = /^--(warning=.*|no-same-owner|no-same-permissions|same-owner|preserve-permissions|same-permissions|touch|numeric-owner|overwrite|no-overwrite-dir|totals|checkpoint(=.*)?|format=.*|no-recursion|recursion|unlink-first|keep-old-files|skip-old-files)$/;

function parseTar(args: string[]): TarPlan | string {
  const plan: TarPlan = { gzip: false, verbose: false, ignoreFailedRead: false, operands: [], cwd: '/' };
  const list = [...args];
  // Old style: the first word is a bundle of letters without a dash (`tar czf - dir`).
  if (list[0] && !list[0].startsWith('-') && /^[cxtzfvpomC]+$/.test(list[0])) list[0] = `-${list[0]}`;
  const setMode = (m: 'c' | 'x' | 't'): string | undefined => {
    if (plan.mode && plan.mode !== m) return 'You may not specify more than one \'-Acdtrux\', \'--delete\' or  \'--test-label\' option';
    plan.mode = m;
    return undefined;
  };
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    if (a === '--') {
      plan.operands.push(...list.slice(i + 1).map((path) => ({ cwd: plan.cwd, path })));
      break;
    }
    if (a.startsWith('--')) {
      const [key, value] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      const arg = (): string | undefined => value ?? list[++i];
      if (key === '--create' || key === '--extract' || key === '--get' || key === '--list') {
        const e = setMode(key === '--create' ? 'c' : key === '--list' ? 't' : 'x');
        if (e) return e;
      } else if (key === '--gzip' || key === '--gunzip' || key === '--ungzip') plan.gzip = true;
      else if (key === '--file') plan.file = arg();
      else if (key === '--directory') plan.cwd = absolute(arg() ?? '/', plan.cwd);
      else if (key === '--verbose') plan.verbose = true;
      else if (key === '--ignore-failed-read') plan.ignoreFailedRead = true;
      else if (!TAR_IGNORED_LONG.test(a)) return `unrecognized option '${a}'`;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const f = a[j]!;
        const rest = (): string | undefined => (j + 1 < a.length ? a.slice(j + 1) : list[++i]);
        if (f === 'c' || f === 'x' || f === 't') {
          const e = setMode(f);
          if (e) return e;
        } else if (f === 'z') plan.gzip = true;
        else if (f === 'v') plan.verbose = true;
        else if (f === 'p' || f === 'o' || f === 'm') continue;
        else if (f === 'f' || f === 'C') {
          const value = rest();
          if (value === undefined) return `option requires an argument -- '${f}'`;
          if (f === 'f') plan.file = value;
          else plan.cwd = absolute(value, plan.cwd);
          break;
        } else return `invalid option -- '${f}'`;
      }
      continue;
    }
    plan.operands.push({ cwd: plan.cwd, path: a });
  }
  if (!plan.mode) return "You must specify one of the '-Acdtrux', '--delete' or '--test-label' options";
  return plan;
}

async function tar(args: string[], io: CommandIO): Promise<number> {
  const plan = parseTar(args);
  const fail = async (message: string, code = 2): Promise<number> => {
    await io.stderr(Buffer.from(`tar: ${message}\nTry 'tar --help' or 'tar --usage' for more information.\n`));
    return code;
  };
  if (typeof plan === 'string') return fail(plan);
  if (plan.file !== undefined && plan.file !== '-') {
    return fail(`${plan.file}: archives in files are not supported by the sandbox container; use -f - (stdin/stdout)`);
  }
  if (plan.mode === 'c') return tarCreate(plan, io);
  return tarRead(plan, io);
}

async function tarCreate(plan: TarPlan, io: CommandIO): Promise<number> {
  if (plan.operands.length === 0) {
    await io.stderr(Buffer.from('tar: Cowardly refusing to create an empty archive\n'));
    return 2;
  }
  let failed = false;
  const found: { cwd: string; path: string }[] = [];
  for (const op of plan.operands) {
    const hostCwd = await hostPath(io.root, op.cwd);
    const target = absolute(op.path, op.cwd);
    // tar does not follow a link named on the command line, only the folders above it.
    const hostTarget = await hostPath(io.root, target, false);
    const st = await stat(hostTarget).catch(() => undefined);
    if (!st || !(await exists(hostCwd))) {
      await io.stderr(Buffer.from(`tar: ${op.path}: ${plan.ignoreFailedRead ? 'Warning: ' : ''}Cannot stat: No such file or directory\n`));
      if (!plan.ignoreFailedRead) failed = true;
      continue;
    }
    const rel = relative(hostCwd, hostTarget);
    if (rel.startsWith('..')) {
      await io.stderr(Buffer.from(`tar: ${op.path}: a path through a symbolic link out of ${op.cwd} is not supported by the sandbox container\n`));
      failed = true;
      continue;
    }
    // An absolute operand is archived under its path without the leading slash, as GNU tar does.
    if (posix.isAbsolute(op.path)) found.push({ cwd: io.root, path: target.slice(1) || '.' });
    else found.push({ cwd: hostCwd, path: op.path.replace(/\/+$/, '') || '.' });
  }
  // One archive, written entry by entry for every -C directory in turn.
  const byCwd = new Map<string, string[]>();
  for (const f of found) byCwd.set(f.cwd, [...(byCwd.get(f.cwd) ?? []), f.path]);
  if (byCwd.size > 1) {
    await io.stderr(Buffer.from('tar: operands under different -C folders are not supported by the sandbox container\n'));
    return 2;
  }
  for (const [cwd, paths] of byCwd) {
    const entries: string[] = [];
    const pack = new Pack({
      cwd,
      gzip: plan.gzip ? {} : undefined,
      portable: true,
      preservePaths: false,
      onWriteEntry: (e) => void entries.push(e.path),
      onwarn: (_code, message) => void io.stderr(Buffer.from(`tar: ${message}\n`)),
    });
    for (const p of paths) pack.add(p);
    pack.end();
    for await (const chunk of pack as AsyncIterable<Buffer>) await io.stdout(chunk);
    // With the archive on stdout, GNU tar lists the members on stderr.
    if (plan.verbose && entries.length) await io.stderr(Buffer.from(entries.map((e) => `${e}\n`).join('')));
  }
  if (byCwd.size === 0) {
    // Nothing readable: an empty archive, as tar writes with --ignore-failed-read.
    const pack = new Pack({ gzip: plan.gzip ? {} : undefined });
    pack.end();
    for await (const chunk of pack as AsyncIterable<Buffer>) await io.stdout(chunk);
  }
  if (failed) {
    await io.stderr(Buffer.from('tar: Exiting with failure status due to previous errors\n'));
    return 2;
  }
  return 0;
}

async function tarRead(plan: TarPlan, io: CommandIO): Promise<number> {
  if (!io.stdin) {
    await io.stderr(Buffer.from('tar: Refusing to read archive contents from terminal (missing -f option?)\n'));
    return 2;
  }
  const errors: string[] = [];
  if (plan.mode === 't') {
    const names: string[] = [];
    const parser = new Parser({ onReadEntry: (e) => (names.push(e.path), e.resume()), onwarn: (_c, m) => errors.push(m) });
    await pipeInto(io.stdin, parser, 'end');
    await io.stdout(Buffer.from(names.map((n) => `${n}\n`).join('')));
  } else {
    const cwd = await hostPath(io.root, plan.cwd);
    if (!(await exists(cwd))?.isDirectory()) {
      await io.stderr(Buffer.from(`tar: ${plan.cwd}: Cannot open: No such file or directory\ntar: Error is not recoverable: exiting now\n`));
      return 2;
    }
    const names: string[] = [];
    const unpack = new Unpack({
      cwd,
      preserveOwner: false,
      preservePaths: false,
      onReadEntry: (e) => void names.push(e.path),
      onwarn: (_c, m) => errors.push(m),
    });
    await pipeInto(io.stdin, unpack, 'close');
    if (plan.verbose) await io.stdout(Buffer.from(names.map((n) => `${n}\n`).join('')));
  }
  if (errors.length) {
    await io.stderr(Buffer.from(errors.map((m) => `tar: ${m}\n`).join('') + 'tar: Exiting with failure status due to previous errors\n'));
    return 2;
  }
  return 0;
}

/** Feeds the readable into a tar parser and resolves once it has handled the last entry. */
function pipeInto(input: Readable, sink: Parser, done: 'end' | 'close'): Promise<void> {
  return new Promise((resolve, reject) => {
    sink.on(done, () => resolve());
    sink.on('error', (err: Error) => reject(err));
    input.on('error', reject);
    input.on('data', (chunk: Buffer) => {
      if (!sink.write(chunk)) {
        input.pause();
        sink.once('drain', () => input.resume());
      }
    });
    input.on('end', () => sink.end());
  });
}
