// `tar` in a simulated container (commands.ts lists the options it takes): its arguments, old-style
// bundles included, read into a plan, then an archive written to stdout or read from stdin with
// node-tar against the container's folder.
import { stat } from 'node:fs/promises';
import { posix, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { Pack, Parser, Unpack } from 'tar';
import type { CommandIO } from './commands.js';
import { absolute, hostPath } from './container-fs.js';

async function exists(path: string): Promise<import('node:fs').Stats | undefined> {
  return stat(path).catch(() => undefined);
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

export async function tar(args: string[], io: CommandIO): Promise<number> {
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
