// `copyFromPod` and `copyToPod`: copy a folder (or file) out of a container and back, as `oc cp` /
// `oc rsync` do: tar runs in the container through the exec API and the archive is read or written
// here. Copies out are made safe and private: nothing is written outside the target folder (no
// absolute or `..` names, no links pointing out, no writing through links), files are 0600 and
// folders 0700. Both are idempotent through markers written last: `.runbook-copy.json` in the
// local folder, a restore marker in the container.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, lstat, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve, sep } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Pack, Parser, type ReadEntry } from 'tar';
import writeFileAtomic from 'write-file-atomic';
import { StepFailure } from '../../contract/errors.js';
import type { StepType } from '../../contract/step-type.js';
import { POD_TARGET_ONE_OF, POD_TARGET_PROPERTIES, type PodChoice, type PodTargetInput, choosePod, describePodTarget, execInPod, podPermissions } from './pod-select.js';

export const COPY_MARKER = '.runbook-copy.json';
export const RESTORE_MARKER = '.runbook-restore.json';

interface CopyFromPodInput extends PodTargetInput {
  path: string;
  to: string;
  missingOk?: boolean;
}

interface CopyMarker {
  namespace: string;
  pod: string;
  container: string;
  path: string;
  files: number;
  bytes: number;
  refused: string[];
  copiedAt: string;
}

const chosen = new WeakMap<object, PodChoice>();

export const copyFromPodStep: StepType<CopyFromPodInput> = {
  name: 'copyFromPod',
  summary: 'Copy a folder or file out of a container into a local folder (as `oc cp`); skipped when copied before.',
  description: [
    'Runs `tar` in the container (GNU tar\'s --ignore-failed-read and --warning=no-file-changed, so files that',
    'change while read, such as a live SQLite database, do not fail the copy; a tar without them is tried plain).',
    'A folder\'s contents land in `to`; a file lands as `to/<its name>`. Entries that would escape `to` (absolute',
    'or `..` names, links pointing outside, writes through links) are refused and listed; devices and fifos are',
    'skipped. Files are written 0600 and folders 0700. `.runbook-copy.json` (pod, container, path, file count,',
    'time) is written last; while it is there and names the same namespace, container and path, the step is',
    'skipped. `missingOk`: a path that does not exist in the container skips the step with a note. `to` is',
    'relative to the directory runbook was started in. Not run in a dry run.',
  ].join(' '),
  input: {
    type: 'object',
    additionalProperties: false,
    required: ['namespace', 'path', 'to'],
    oneOf: POD_TARGET_ONE_OF,
    properties: {
      ...POD_TARGET_PROPERTIES,
      path: { type: 'string', pattern: '^/', description: 'Absolute path of the folder or file in the container.' },
      to: { type: 'string', minLength: 1, description: 'Local folder to copy into (created 0700).' },
      missingOk: { type: 'boolean', description: 'A path that does not exist in the container skips the step with a note.' },
    },
  },
  examples: [
    `- name: Copy the Llama Stack data out
  copyFromPod:
    namespace: "{{ llsd.metadata.namespace }}"
    selector:
      app.kubernetes.io/instance: "{{ llsd.metadata.name }}"
    container: llama-stack
    path: /opt/app-root/src/.llama/distributions/rh
    to: "{{ backupDir }}/llama-stack/{{ llsd.metadata.namespace }}/{{ llsd.metadata.name }}/pod-data"
    missingOk: true
    missingPodOk: true`,
  ],
  dryRun: 'skip',
  permissions: (input) => podPermissions(input),
  async check(ctx, input) {
    const to = resolve(input.to);
    const marker = await readJson<CopyMarker>(join(to, COPY_MARKER));
    if (marker && marker.namespace === input.namespace && marker.path === normalizePath(input.path) && (!input.container || marker.container === input.container)) {
      return { holds: true, reason: `${input.to} already holds a copy of ${marker.path} from pod ${marker.namespace}/${marker.pod} (${COPY_MARKER} of ${marker.copiedAt})`, output: outputOf(marker, to) };
    }
    const choice = await choosePod(ctx, input);
    if ('missing' in choice) {
      if (input.missingPodOk) return { holds: true, reason: `${choice.missing}: nothing to copy (missingPodOk)`, output: { skipped: true, reason: choice.missing } };
      return { holds: false };
    }
    if (ctx.dryRun !== 'none') ctx.log(`would copy ${input.path} from ${choice.note} to ${input.to}`);
    chosen.set(input, choice);
    return { holds: false };
  },
  async apply(ctx, input) {
    const choice = chosen.get(input) ?? (await choosePod(ctx, input));
    chosen.delete(input);
    if ('missing' in choice) throw new StepFailure(choice.missing, { hint: `nothing to copy from (${describePodTarget(input)}); set missingPodOk: true if that is expected` });
    const path = normalizePath(input.path);
    const where = { namespace: choice.namespace, pod: choice.name, container: choice.container, signal: ctx.signal };
    // `test` tells a missing path from a failing tar; an image without `test` (127) goes on to tar.
    const probe = await execInPod(ctx, { ...where, command: ['test', '-e', path] });
    if (probe.exitCode === 1) return missingPath(input, choice, path);
    ctx.log(`copying ${path} from ${choice.note} to ${input.to}`);
    const to = resolve(input.to);
    await mkdir(to, { recursive: true, mode: 0o700 });
    const parent = posix.dirname(path);
    const base = path === '/' ? '.' : posix.basename(path);
    const attempts = [
      ['tar', '--warning=no-file-changed', '--ignore-failed-read', '-cf', '-', '-C', parent, base],
      ['tar', '-cf', '-', '-C', parent, base],
    ];
    for (const [i, command] of attempts.entries()) {
      const extraction = extractArchive(to, { base });
      const result = await execInPod(ctx, { ...where, command: command!, stdout: extraction.sink });
      const summary = await extraction.done;
      // GNU tar: 1 means some files changed while read (kept as read), 2 a fatal error.
      if (result.exitCode === 0 || (result.exitCode === 1 && summary.entries > 0)) {
        if (result.stderr.trim()) ctx.log(`tar said: ${ctx.redact(result.stderr.trim())}`);
        if (summary.entries === 0 && /Cannot stat|No such file/.test(result.stderr)) return missingPath(input, choice, path);
        for (const r of summary.refused) ctx.log(`refused: ${r}`);
        const marker: CopyMarker = { namespace: choice.namespace, pod: choice.name, container: choice.container, path, files: summary.files, bytes: summary.bytes, refused: summary.refused, copiedAt: new Date().toISOString() };
        await writeFileAtomic(join(to, COPY_MARKER), `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o600 });
        const refused = summary.refused.length ? `, ${summary.refused.length} entr${summary.refused.length === 1 ? 'y' : 'ies'} refused` : '';
        return { changed: true, output: outputOf(marker, to), summary: `copied ${summary.files} file${summary.files === 1 ? '' : 's'} (${summary.bytes} bytes) from ${choice.name}:${path}${refused}` };
      }
      const unsupported = /unrecognized option|invalid option|unknown option|usage/i.test(result.stderr) && summary.entries === 0;
      if (i === 0 && unsupported) continue;
      if (result.exitCode === 127) throw new StepFailure(`pod ${choice.namespace}/${choice.name} (container ${choice.container}) has no tar: ${ctx.redact(result.stderr.trim())}`, { hint: 'copying needs tar in the container, as oc cp and oc rsync do' });
      throw new StepFailure(`tar exited with ${result.exitCode} in pod ${choice.namespace}/${choice.name}: ${ctx.redact(result.stderr.trim().split('\n').slice(-5).join('\n'))}`);
    }
    throw new StepFailure('unreachable');
  },
};

function missingPath(input: CopyFromPodInput, choice: PodChoice, path: string): { changed: false; output: unknown; summary: string } {
  if (!input.missingOk) throw new StepFailure(`${path} does not exist in ${choice.note}`, { hint: 'set missingOk: true if the path may be absent' });
  return { changed: false, output: { skipped: true, reason: `${path} does not exist`, pod: choice.name, container: choice.container }, summary: `skipped: ${path} does not exist in ${choice.name} (missingOk)` };
}

function outputOf(m: CopyMarker, to: string): Record<string, unknown> {
  return { files: m.files, bytes: m.bytes, pod: m.pod, container: m.container, path: m.path, to, refused: m.refused };
}

function normalizePath(p: string): string {
  return posix.normalize(p).replace(/(.)\/+$/, '$1');
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export interface ExtractSummary {
  entries: number;
  files: number;
  bytes: number;
  refused: string[];
}

/**
 * Extracts a tar stream into `to`. With `base`, the archive was made with `-C <parent> <base>`:
 * `<base>/x` lands as `x` and a file named `<base>` as itself. Resolves `done` once every entry is
 * written; `sink` is where the archive bytes go.
 */
export function extractArchive(to: string, options: { base?: string } = {}): { sink: Writable; done: Promise<ExtractSummary> } {
  const summary: ExtractSummary = { entries: 0, files: 0, bytes: 0, refused: [] };
  const links: string[] = [];
  const regular = new Set<string>();
  let chain: Promise<void> = Promise.resolve();
  let failure: Error | undefined;
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      summary.entries++;
      chain = chain.then(() => writeEntry(entry)).catch((err: Error) => {
        failure ??= err;
        entry.resume();
      });
    },
    onwarn: (_code, message) => summary.refused.push(`archive: ${String(message)}`),
  });
  const parsed = new Promise<void>((res, rej) => {
    parser.on('end', () => res());
    parser.on('error', (err: Error) => rej(err));
  });

  const relativeName = (raw: string): string | undefined => {
    let name = raw.replace(/\/+$/, '');
    if (name.startsWith('/')) return undefined;
    const parts = name.split('/').filter((p) => p !== '' && p !== '.');
    const base = options.base;
    if (base && base !== '.') {
      if (parts[0] !== base) return undefined;
      if (parts.length === 1) return ''; // the folder itself, or the file copied (handled by the caller)
      parts.shift();
    }
    name = parts.join('/');
    if (parts.some((p) => p === '..')) return undefined;
    return name;
  };

  const throughLink = async (rel: string): Promise<boolean> => {
    // No component of the parent chain inside `to` may be a link: writing through one could land anywhere.
    const parts = rel.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const st = await lstat(join(to, ...parts.slice(0, i))).catch(() => undefined);
      if (st?.isSymbolicLink()) return true;
    }
    return false;
  };

  async function writeEntry(entry: ReadEntry): Promise<void> {
    const raw = entry.path;
    let rel = relativeName(raw);
    if (rel === '' && options.base && entry.type !== 'Directory') rel = options.base; // a single file copied
    if (rel === undefined) {
      summary.refused.push(`${raw}: outside the target folder`);
      entry.resume();
      return;
    }
    if (rel === '') {
      entry.resume();
      return;
    }
    if (rel === COPY_MARKER) {
      entry.resume();
      return;
    }
    const dest = join(to, ...rel.split('/'));
    if (await throughLink(rel)) {
      summary.refused.push(`${raw}: would be written through a link`);
      entry.resume();
      return;
    }
    switch (entry.type) {
      case 'Directory':
        await mkdir(dest, { recursive: true, mode: 0o700 });
        entry.resume();
        return;
      case 'File':
      case 'OldFile':
      case 'ContiguousFile': {
        await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
        const temporary = join(dirname(dest), `.${randomBytes(6).toString('hex')}.partial`);
        const out = createWriteStream(temporary, { mode: 0o600, flags: 'wx' });
        entry.pipe(out);
        await finished(out);
        await rename(temporary, dest);
        regular.add(rel);
        summary.files++;
        summary.bytes += entry.size;
        return;
      }
      case 'SymbolicLink': {
        entry.resume();
        const target = entry.linkpath ?? '';
        const lexical = posix.normalize(posix.join(posix.dirname(rel), target));
        if (target.startsWith('/') || lexical === '..' || lexical.startsWith('../')) {
          summary.refused.push(`${raw} -> ${target}: the link points outside the target folder`);
          return;
        }
        await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
        await rm(dest, { force: true });
        await symlink(target, dest);
        links.push(rel);
        return;
      }
      case 'Link': {
        entry.resume();
        const target = relativeName(entry.linkpath ?? '');
        if (!target || !regular.has(target)) {
          summary.refused.push(`${raw} => ${entry.linkpath}: a hard link to a file outside the copy`);
          return;
        }
        await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
        await rm(dest, { force: true });
        await link(join(to, ...target.split('/')), dest);
        regular.add(rel);
        summary.files++;
        return;
      }
      default:
        summary.refused.push(`${raw}: ${entry.type} entries are not copied`);
        entry.resume();
    }
  }

  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (parser.write(chunk)) cb();
      else parser.once('drain', () => cb());
    },
    final(cb) {
      parser.end();
      cb();
    },
  });
  const done = (async () => {
    await finished(sink);
    await parsed;
    await chain;
    if (failure) throw failure;
    // A link may point inside by its name and outside in fact (through another link): check where it lands.
    const root = await realpath(to);
    for (const rel of links) {
      const at = join(to, ...rel.split('/'));
      const real = await realpath(at).catch(() => undefined);
      if (real !== undefined && real !== root && !real.startsWith(root + sep)) {
        const target = await readlink(at).catch(() => '?');
        await rm(at, { force: true });
        summary.refused.push(`${rel} -> ${target}: the link resolves outside the target folder`);
      }
    }
    return summary;
  })();
  // Keep an early failure from being unhandled before the caller awaits `done`.
  done.catch(() => undefined);
  return { sink, done };
}

interface CopyToPodInput extends PodTargetInput {
  from: string;
  path: string;
  marker?: string | false;
  unless?: string[];
}

interface RestoreMarker {
  digest: string;
  files: number;
  bytes: number;
  restoredAt: string;
}

interface LocalTree {
  digest: string;
  files: number;
  bytes: number;
}

const planned = new WeakMap<object, { choice: PodChoice; tree: LocalTree }>();

export const copyToPodStep: StepType<CopyToPodInput> = {
  name: 'copyToPod',
  summary: 'Copy a local folder into a container (as `oc cp` / `oc rsync` back); skipped when the container already has that copy.',
  description: [
    'The contents of `from` (a folder, e.g. one copyFromPod wrote; its `.runbook-copy.json` is left out) are',
    'sent as a tar archive to `tar xf - -C <path>` in the container; `path` must exist there. Files of the',
    'same name are replaced, others are left alone. Idempotency: after the files, a marker',
    '(`<path>/.runbook-restore.json` by default, `marker` to put it elsewhere) records a digest of what was',
    'sent; while the container\'s marker has the digest of `from` as it is now, the step is skipped, so a',
    're-run does not overwrite what the service wrote since. `marker: false` writes none; then `unless` (a',
    'command run in the container, argv) can say the copy is not needed (exit 0). Needs tar in the container',
    'and a Kubernetes 1.30+ API server (exec input closed over v5.channel.k8s.io). `from` is relative to the',
    'directory runbook was started in. Not run in a dry run; the marker is still read (`cat`, a read-only exec)',
    'and the log says what would be copied.',
  ].join(' '),
  input: {
    type: 'object',
    additionalProperties: false,
    required: ['namespace', 'from', 'path'],
    oneOf: POD_TARGET_ONE_OF,
    properties: {
      ...POD_TARGET_PROPERTIES,
      from: { type: 'string', minLength: 1, description: 'Local folder whose contents are copied.' },
      path: { type: 'string', pattern: '^/', description: 'Absolute path of the folder in the container to copy into.' },
      marker: {
        description: 'Container path of the restore marker (default <path>/.runbook-restore.json), or false for none.',
        anyOf: [{ type: 'string', pattern: '^/' }, { const: false }],
      },
      unless: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'A command run in the container first; exit 0 skips the copy.' },
    },
  },
  examples: [
    `- name: Put the TrustyAI data back
  copyToPod:
    namespace: "{{ ns }}"
    selector: { app: "{{ tas }}" }
    container: trustyai-service
    from: "{{ backupDir }}/trustyai/{{ ns }}/data"
    path: /inputs`,
  ],
  dryRun: 'skip',
  permissions: (input) => podPermissions(input),
  async check(ctx, input) {
    const tree = await localTree(resolve(input.from));
    const choice = await choosePod(ctx, input);
    if ('missing' in choice) {
      if (input.missingPodOk) return { holds: true, reason: `${choice.missing}: nothing to copy to (missingPodOk)`, output: { skipped: true, reason: choice.missing } };
      return { holds: false };
    }
    const where = { namespace: choice.namespace, pod: choice.name, container: choice.container, signal: ctx.signal };
    const markerPath = markerOf(input);
    if (markerPath) {
      // A read: the container's marker, if any (exit 1 without one; 127 if the image has no cat).
      const r = await execInPod(ctx, { ...where, command: ['cat', markerPath] });
      if (r.exitCode === 0) {
        const marker = parseJson<RestoreMarker>(r.stdout.toString('utf8'));
        if (marker?.digest === tree.digest) {
          return { holds: true, reason: `${choice.name}:${normalizePath(input.path)} already holds this copy of ${input.from} (${markerPath} of ${marker.restoredAt})`, output: { files: tree.files, bytes: tree.bytes, pod: choice.name, container: choice.container, path: normalizePath(input.path) } };
        }
      }
    }
    if (input.unless) {
      const r = await execInPod(ctx, { ...where, command: input.unless });
      if (r.exitCode === 0) return { holds: true, reason: `the unless command succeeded in ${choice.name}`, output: { pod: choice.name, container: choice.container, path: normalizePath(input.path) } };
    }
    if (ctx.dryRun !== 'none') ctx.log(`would copy ${tree.files} files (${tree.bytes} bytes) from ${input.from} to ${normalizePath(input.path)} in ${choice.note}`);
    planned.set(input, { choice, tree });
    return { holds: false };
  },
  async apply(ctx, input) {
    const plan = planned.get(input);
    planned.delete(input);
    const choice = plan?.choice ?? (await choosePod(ctx, input));
    if ('missing' in choice) throw new StepFailure(choice.missing, { hint: `nothing to copy to (${describePodTarget(input)}); set missingPodOk: true if that is expected` });
    const from = resolve(input.from);
    const tree = plan?.tree ?? (await localTree(from));
    const path = normalizePath(input.path);
    const where = { namespace: choice.namespace, pod: choice.name, container: choice.container, signal: ctx.signal };
    ctx.log(`copying ${tree.files} files (${tree.bytes} bytes) from ${input.from} to ${path} in ${choice.note}`);
    const archive = packFolder(from, '.');
    const result = await execInPod(ctx, { ...where, command: ['tar', '-xf', '-', '-C', path], stdin: archive });
    if (result.exitCode !== 0) {
      const hint = result.exitCode === 127 ? 'copying needs tar in the container, as oc cp and oc rsync do' : undefined;
      throw new StepFailure(`tar exited with ${result.exitCode} in pod ${choice.namespace}/${choice.name}: ${ctx.redact(result.stderr.trim().split('\n').slice(-5).join('\n'))}`, hint ? { hint } : {});
    }
    const markerPath = markerOf(input);
    if (markerPath) {
      // Written after the files, so a marker is only ever there for a complete copy.
      const marker: RestoreMarker = { digest: tree.digest, files: tree.files, bytes: tree.bytes, restoredAt: new Date().toISOString() };
      const staging = await mkdtemp(join(tmpdir(), 'runbook-restore-marker-'));
      try {
        await writeFile(join(staging, posix.basename(markerPath)), `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o644 });
        const r = await execInPod(ctx, { ...where, command: ['tar', '-xf', '-', '-C', posix.dirname(markerPath)], stdin: packFolder(staging, posix.basename(markerPath)) });
        if (r.exitCode !== 0) throw new StepFailure(`the files were copied, but writing the marker ${markerPath} failed (exit ${r.exitCode}): ${ctx.redact(r.stderr.trim())}`);
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
    }
    return { changed: true, output: { files: tree.files, bytes: tree.bytes, pod: choice.name, container: choice.container, path }, summary: `copied ${tree.files} file${tree.files === 1 ? '' : 's'} (${tree.bytes} bytes) to ${choice.name}:${path}` };
  },
};

function markerOf(input: CopyToPodInput): string | undefined {
  if (input.marker === false) return undefined;
  return normalizePath(input.marker ?? posix.join(input.path, RESTORE_MARKER));
}

function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** A tar stream of `entry` under `cwd` (the copy marker left out), for a command's stdin. */
function packFolder(cwd: string, entry: string): PassThrough {
  const pack = new Pack({ cwd, portable: true, filter: (p) => posix.basename(p) !== COPY_MARKER || posix.dirname(p.replace(/^\.\//, '')) !== '.' });
  pack.add(entry);
  pack.end();
  const out = new PassThrough();
  (pack as unknown as NodeJS.ReadableStream).pipe(out);
  return out;
}

/** A digest of the folder's contents (names, types, sizes, file contents, link targets). */
async function localTree(root: string): Promise<LocalTree> {
  const st = await lstat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new StepFailure(`${root} is not a folder`, { hint: 'give `from` the folder whose contents go into the container' });
  const hash = createHash('sha256');
  let files = 0;
  let bytes = 0;
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      if (!rel && name === COPY_MARKER) continue;
      const full = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const s = await lstat(full);
      if (s.isDirectory()) {
        hash.update(`d ${r}\n`);
        await walk(full, r);
      } else if (s.isSymbolicLink()) {
        hash.update(`l ${r} ${await readlink(full)}\n`);
      } else if (s.isFile()) {
        const content = createHash('sha256');
        for await (const chunk of createReadStream(full)) content.update(chunk as Buffer);
        hash.update(`f ${r} ${s.size} ${content.digest('hex')}\n`);
        files++;
        bytes += s.size;
      }
    }
  };
  await walk(root, '');
  return { digest: hash.digest('hex'), files, bytes };
}
