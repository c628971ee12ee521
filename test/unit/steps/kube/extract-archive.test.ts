// Two halves of copying out of a container, without a cluster: the local extraction copyFromPod
// uses (nothing lands outside the target folder, whatever the archive says; private modes), and
// the commands of a simulated container (tar with the flags the companion scripts use, test, ls,
// cat, mkdir; 127 for anything else; paths resolved as in a chroot).
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Header } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '../../../../src/sandbox/kubelet/commands.js';
import { hostPath } from '../../../../src/sandbox/kubelet/container-fs.js';
import { extractArchive } from '../../../../src/steps/kube/extract-archive.js';

interface Entry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'FIFO';
  content?: string;
  linkpath?: string;
}

/** A tar archive with exactly these entries, names as given (tar would refuse to make some). */
function archive(entries: Entry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.content ?? '');
    const header = new Header({ path: e.path, type: e.type ?? 'File', size: e.type && e.type !== 'File' ? 0 : body.length, mode: e.type === 'Directory' ? 0o755 : 0o644, mtime: new Date(0), uid: 0, gid: 0, ...(e.linkpath ? { linkpath: e.linkpath } : {}) });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block);
    if (body.length && (e.type ?? 'File') === 'File') blocks.push(Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

async function extract(bytes: Buffer, to: string, base?: string) {
  const { sink, done } = extractArchive(to, base ? { base } : {});
  Readable.from([bytes]).pipe(sink);
  return done;
}

describe('extractArchive', () => {
  let dir: string;
  let to: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runbook-extract-'));
    to = join(dir, 'to');
    await mkdir(to, { mode: 0o700 });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes files 0600 and folders 0700, stripping the copied folder\'s own name', async () => {
    const summary = await extract(
      archive([
        { path: 'rh/', type: 'Directory' },
        { path: 'rh/kvstore.db', content: 'SQLite format 3\0' },
        { path: 'rh/files/', type: 'Directory' },
        { path: 'rh/files/a.txt', content: 'a\n' },
        { path: 'rh/files/same.txt', type: 'Link', linkpath: 'rh/files/a.txt' },
        { path: 'rh/latest', type: 'SymbolicLink', linkpath: 'files/a.txt' },
      ]),
      to,
      'rh',
    );
    expect(summary).toEqual({ entries: 6, files: 3, bytes: 18, refused: [] });
    expect((await readdir(to)).sort()).toEqual(['files', 'kvstore.db', 'latest']);
    expect((await stat(join(to, 'kvstore.db'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(to, 'files'))).mode & 0o777).toBe(0o700);
    expect(await readFile(join(to, 'files', 'same.txt'), 'utf8')).toBe('a\n');
    expect(await readlink(join(to, 'latest'))).toBe('files/a.txt');
  });

  it('a single file copied lands under its name', async () => {
    const summary = await extract(archive([{ path: 'dump.sql', content: 'CREATE TABLE t;\n' }]), to, 'dump.sql');
    expect(summary.files).toBe(1);
    expect(await readFile(join(to, 'dump.sql'), 'utf8')).toBe('CREATE TABLE t;\n');
  });

  it('refuses names and links that escape, and writes nothing outside', async () => {
    await mkdir(join(to, 'real'));
    const summary = await extract(
      archive([
        { path: './', type: 'Directory' },
        { path: './ok.txt', content: 'fine' },
        { path: '../escaped.txt', content: 'no' },
        { path: './a/../../escaped2.txt', content: 'no' },
        { path: '/etc/evil', content: 'no' },
        { path: './abs-link', type: 'SymbolicLink', linkpath: '/etc/passwd' },
        { path: './up-link', type: 'SymbolicLink', linkpath: '../outside' },
        { path: './hard', type: 'Link', linkpath: '/etc/shadow' },
        { path: './fifo', type: 'FIFO' },
        // A link that stays inside by name, used to write through: refused.
        { path: './inner', type: 'SymbolicLink', linkpath: 'real' },
        { path: './inner/through.txt', content: 'no' },
        // Inside by its name, outside in fact: `self` is the folder itself, `self/..` its parent.
        { path: './self', type: 'SymbolicLink', linkpath: '.' },
        { path: './sneaky', type: 'SymbolicLink', linkpath: 'self/..' },
      ]),
      to,
      '.',
    );
    expect(summary.files).toBe(1);
    expect(summary.refused).toEqual([
      '../escaped.txt: outside the target folder',
      './a/../../escaped2.txt: outside the target folder',
      '/etc/evil: outside the target folder',
      './abs-link -> /etc/passwd: the link points outside the target folder',
      './up-link -> ../outside: the link points outside the target folder',
      './hard => /etc/shadow: a hard link to a file outside the copy',
      './fifo: FIFO entries are not copied',
      './inner/through.txt: would be written through a link',
      'sneaky -> self/..: the link resolves outside the target folder',
    ]);
    expect((await readdir(dir)).sort()).toEqual(['to']);
    expect((await readdir(to)).sort()).toEqual(['inner', 'ok.txt', 'real', 'self']);
    expect(await readdir(join(to, 'real'))).toEqual([]);
    expect((await lstat(join(to, 'inner'))).isSymbolicLink()).toBe(true);
  });

  it('entries of another folder than the one asked for are refused', async () => {
    const summary = await extract(archive([{ path: 'other/x', content: 'x' }]), to, 'rh');
    expect(summary.refused).toEqual(['other/x: outside the target folder']);
    expect(await readdir(to)).toEqual([]);
  });
});

describe('simulated container commands', () => {
  let root: string;
  const run = async (argv: string[], stdin?: Buffer): Promise<{ code: number; out: Buffer; err: string }> => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const code = await runCommand(argv, { root, ...(stdin ? { stdin: Readable.from([stdin]) } : {}), stdout: async (b) => void out.push(b), stderr: async (b) => void err.push(b) });
    return { code, out: Buffer.concat(out), err: Buffer.concat(err).toString() };
  };
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'runbook-container-'));
    await mkdir(join(root, 'opt/app-root/src/.llama/distributions/rh/files'), { recursive: true });
    await writeFile(join(root, 'opt/app-root/src/.llama/distributions/rh/kvstore.db'), 'kv');
    await writeFile(join(root, 'opt/app-root/src/.llama/distributions/rh/files/f.txt'), 'f');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('tar with the Llama Stack script\'s flags makes a gzip archive another tar extracts', async () => {
    const made = await run(['tar', '--warning=no-file-changed', '--ignore-failed-read', '-czf', '-', '-C', '/opt/app-root/src/.llama/distributions/rh', '.']);
    expect(made.code).toBe(0);
    expect(made.out.subarray(0, 2).toString('hex')).toBe('1f8b');
    await mkdir(join(root, 'restore'));
    const back = await run(['tar', 'xzf', '-', '-C', '/restore'], made.out);
    expect(back).toMatchObject({ code: 0, err: '' });
    expect(await readFile(join(root, 'restore/files/f.txt'), 'utf8')).toBe('f');
    const listed = await run(['tar', '-tzf', '-'], made.out);
    expect(listed.out.toString().split('\n').filter(Boolean).sort()).toEqual(['./', './files/', './files/f.txt', './kvstore.db']);
  });

  it('tar: a missing operand is fatal (2) unless --ignore-failed-read; bad options and files are usage errors', async () => {
    expect(await run(['tar', 'cf', '-', '-C', '/', 'absent'])).toMatchObject({ code: 2, err: expect.stringContaining('tar: absent: Cannot stat: No such file or directory') });
    expect(await run(['tar', '--ignore-failed-read', '-cf', '-', '-C', '/', 'absent'])).toMatchObject({ code: 0, err: expect.stringContaining('Warning: Cannot stat') });
    expect((await run(['tar', '--bogus', '-cf', '-', '.'])).code).toBe(2);
    expect((await run(['tar', '-cf', '/tmp/x.tar', '.'])).code).toBe(2);
    expect((await run(['tar', '-xf', '-', '-C', '/nowhere'], Buffer.alloc(1024))).err).toContain('tar: /nowhere: Cannot open: No such file or directory');
  });

  it('test, ls, cat and mkdir behave like coreutils', async () => {
    expect((await run(['test', '-d', '/opt/app-root/src/.llama/distributions/rh'])).code).toBe(0);
    expect((await run(['test', '-f', '/opt/app-root/src/.llama/distributions/rh'])).code).toBe(1);
    expect((await run(['[', '-e', '/absent', ']'])).code).toBe(1);
    expect((await run(['test', '!', '-e', '/absent'])).code).toBe(0);
    expect((await run(['ls', '/opt/app-root/src/.llama/distributions/rh'])).out.toString()).toBe('files\nkvstore.db\n');
    expect(await run(['ls', '/absent'])).toMatchObject({ code: 2, err: "ls: cannot access '/absent': No such file or directory\n" });
    expect((await run(['cat', '/opt/app-root/src/.llama/distributions/rh/kvstore.db'])).out.toString()).toBe('kv');
    expect((await run(['cat'], Buffer.from('piped'))).out.toString()).toBe('piped');
    expect((await run(['mkdir', '-p', '/a/b/c'])).code).toBe(0);
    expect((await stat(join(root, 'a/b/c'))).isDirectory()).toBe(true);
    expect(await run(['mkdir', '/a'])).toMatchObject({ code: 1, err: "mkdir: cannot create directory '/a': File exists\n" });
  });

  it('anything else is not found (127), as in an image without it', async () => {
    expect(await run(['python3', '-c', 'print(1)'])).toMatchObject({ code: 127, err: 'python3: command not found\n' });
    expect((await run(['/usr/bin/mariadb-dump'])).code).toBe(127);
    expect((await run(['/usr/bin/test', '-d', '/opt'])).code).toBe(0);
  });

  it('paths resolve inside the container, as in a chroot', async () => {
    await symlink('/opt/app-root/src/.llama/distributions/rh/kvstore.db', join(root, 'abs-link'));
    await symlink('/etc/hostname', join(root, 'host-link'));
    expect((await run(['cat', '/abs-link'])).out.toString()).toBe('kv');
    expect(await hostPath(root, '/../../../etc/hostname')).toBe(join(root, 'etc/hostname'));
    expect((await run(['cat', '/host-link'])).code).toBe(1);
    expect((await run(['cat', '../../../../etc/hostname'])).code).toBe(1);
  });
});
