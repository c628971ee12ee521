// `backup`: write objects as clean YAML (no managedFields or server fields, status optional) into a
// folder with a manifest of checksums. Skipped when an identical backup is already there, so a
// re-run neither rewrites it nor loses the first one.
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../atomic-write.js';
import { stringify } from 'yaml';
import type { JsonSchema, StepContext, StepType } from '../../contract/step-type.js';
import { withoutServerFields } from '../../kube/diff.js';
import type { KubeObject } from '../../kube/types.js';
import { reads } from './permissions.js';
import { TARGET_PROPERTIES, TARGET_REQUIRED } from './fragments.js';
import { resolveTargets, targetOf } from './target.js';
import { defaultsOf, type InputOf } from '../schema.js';

interface ManifestEntry {
  file: string;
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  sha256: string;
}

interface Manifest {
  createdAt: string;
  objects: ManifestEntry[];
}

interface BackupFile {
  entry: ManifestEntry;
  text: string;
}

const INPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['dir', 'objects'],
  properties: {
    dir: { type: 'string', minLength: 1, description: 'Folder for the backup (created if needed).' },
    objects: {
      type: 'array',
      minItems: 1,
      items: { type: 'object', additionalProperties: false, required: TARGET_REQUIRED, properties: TARGET_PROPERTIES },
      description: 'What to back up: objects by name or selector.',
    },
    keepStatus: { type: 'boolean', default: false, description: 'Keep each object status (default false).' },
  },
} as const satisfies JsonSchema;

type BackupInput = InputOf<typeof INPUT>;
const DEFAULTS = defaultsOf(INPUT);

export const backupStep: StepType<BackupInput> = {
  name: 'backup',
  summary: 'Save objects as clean YAML files with a checksummed manifest; skipped when an identical backup exists.',
  description:
    'Each object goes to `<dir>/<kind>-<namespace>-<name>.yaml` without managedFields, uid, resourceVersion and the like (ready to re-apply), with its status only when `keepStatus` is set. `manifest.json` lists every file with its SHA-256. The folder is relative to the directory runbook was started in. Backups are written in dry runs too: they only read the cluster.',
  input: INPUT,
  examples: [
    `- name: Back up every RayCluster
  backup:
    dir: "{{ backupDir }}/ray"
    objects:
      - apiVersion: ray.io/v1
        kind: RayCluster
        allNamespaces: true`,
  ],
  dryRun: 'native',
  permissions: (input) => input.objects.flatMap((t) => reads(t)),
  readOnly: true,
  async check(ctx, input) {
    const dir = resolve(input.dir);
    const files = await collect(ctx, input);
    const existing = await readManifest(dir);
    if (existing && sameBackup(existing, files)) return { holds: true, reason: `an identical backup of ${files.length} objects is in ${input.dir}`, output: { dir, files: existing.objects.map((o) => o.file) } };
    return { holds: false };
  },
  async apply(ctx, input) {
    const dir = resolve(input.dir);
    const files = await collect(ctx, input);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const f of files) await writeFileAtomic(join(dir, f.entry.file), f.text, { mode: 0o600 });
    const manifest: Manifest = { createdAt: new Date().toISOString(), objects: files.map((f) => f.entry) };
    await writeFileAtomic(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
    return { changed: true, summary: `backed up ${files.length} object${files.length === 1 ? '' : 's'} to ${input.dir}`, output: { dir, files: files.map((f) => f.entry.file) } };
  },
};

async function collect(ctx: StepContext, input: BackupInput): Promise<BackupFile[]> {
  const out: BackupFile[] = [];
  for (const t of input.objects) {
    for (const obj of await resolveTargets(ctx, targetOf(t))) out.push(toFile(obj, input.keepStatus ?? DEFAULTS.keepStatus));
  }
  return out.sort((a, b) => a.entry.file.localeCompare(b.entry.file));
}

function toFile(obj: KubeObject, keepStatus: boolean): BackupFile {
  const clean = withoutServerFields(obj, keepStatus) as KubeObject;
  const text = stringify(clean, { sortMapEntries: false });
  const ns = obj.metadata.namespace;
  const file = `${obj.kind.toLowerCase()}-${ns ? `${ns}-` : ''}${obj.metadata.name}.yaml`;
  return {
    text,
    entry: { file, apiVersion: obj.apiVersion, kind: obj.kind, ...(ns ? { namespace: ns } : {}), name: obj.metadata.name!, sha256: sha256(text) },
  };
}

async function readManifest(dir: string): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

function sameBackup(m: Manifest, files: readonly BackupFile[]): boolean {
  if (m.objects.length !== files.length) return false;
  const byFile = new Map(m.objects.map((o) => [o.file, o.sha256]));
  return files.every((f) => byFile.get(f.entry.file) === f.entry.sha256);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
