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
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { absolute, hostPath } from './container-fs.js';
import { CLIENTS, DUMPERS, client, dump } from './database.js';
import { sh } from './shell.js';
import { tar } from './tar-command.js';

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
