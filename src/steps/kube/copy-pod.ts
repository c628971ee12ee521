// `copyFromPod` and `copyToPod`: copy a folder (or file) out of a container and back, as `oc cp` /
// `oc rsync` do: tar runs in the container through the exec API and the archive is read or written
// here. Copies out are made safe and private (extract-archive.ts). Both are idempotent through
// markers written last: `.runbook-copy.json` in the local folder, a restore marker in the container.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { writeFileAtomic } from '../../atomic-write.js';
import { StepFailure } from '../../contract/errors.js';
import type { JsonSchema, StepType } from '../../contract/step-type.js';
import { COPY_MARKER, extractArchive } from './extract-archive.js';
import { POD_TARGET_ONE_OF, POD_TARGET_PROPERTIES, type PodChoice, choosePod, describePodTarget, execInPod, podPermissions } from './pod-select.js';
import { type InputOf } from '../schema.js';
import { tarModule } from './tar-module.js';

export const RESTORE_MARKER = '.runbook-restore.json';

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

const FROM_INPUT = {
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
} as const satisfies JsonSchema;

type CopyFromPodInput = InputOf<typeof FROM_INPUT>;

/** `check` hands the pod it chose to `apply`. */
export const copyFromPodStep: StepType<CopyFromPodInput, PodChoice> = {
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
  input: FROM_INPUT,
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
    return { holds: false, prepared: choice };
  },
  async apply(ctx, input, chosen) {
    const choice = chosen ?? (await choosePod(ctx, input));
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

/** What `check` found: the pod to copy into and the digest of what would be sent. */
interface PlannedCopy {
  choice: PodChoice;
  tree: LocalTree;
}

const TO_INPUT = {
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
} as const satisfies JsonSchema;

type CopyToPodInput = InputOf<typeof TO_INPUT>;

/** `check` hands the pod it chose and the local tree it read to `apply`. */
export const copyToPodStep: StepType<CopyToPodInput, PlannedCopy> = {
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
  input: TO_INPUT,
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
    return { holds: false, prepared: { choice, tree } };
  },
  async apply(ctx, input, plan) {
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
  const pack = new (tarModule().Pack)({ cwd, portable: true, filter: (p) => posix.basename(p) !== COPY_MARKER || posix.dirname(p.replace(/^\.\//, '')) !== '.' });
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
