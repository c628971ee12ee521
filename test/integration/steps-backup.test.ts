// The `backup` step against the real API server, through the executor: clean YAML files with a
// checksummed manifest, skipped when an identical backup is there, rewritten when an object
// changed, and a backup file that the apply step restores as it was.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { KubeClient } from '../../src/kube/client.js';
import { NOTEBOOK, configMap, createNamespace, deleteNamespace, dropFinalizers, live, notebook, refTo } from './support/objects.js';
import { adminKube, runStep } from './support/run-step.js';

interface Manifest {
  objects: { file: string; kind: string; name: string; namespace?: string; sha256: string }[];
}

describe('backup step', () => {
  let kube: KubeClient;
  let ns: string;
  let dir: string;
  let input: Record<string, unknown>;

  beforeAll(async () => {
    kube = adminKube();
    ns = await createNamespace(kube, 'steps-backup');
    dir = join(await mkdtemp(join(tmpdir(), 'runbook-backup-')), 'notebooks');
    for (const name of ['nb-1', 'nb-2']) await kube.create(notebook(name, ns));
    await kube.patch({ ...NOTEBOOK, name: 'nb-1', namespace: ns }, 'merge', { status: { readyReplicas: 1 } }, { subresource: 'status' });
    await kube.create(configMap('settings', ns, { a: '1' }));
    input = {
      dir,
      objects: [
        { ...NOTEBOOK, namespace: ns },
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace: ns },
      ],
    };
  });
  afterAll(async () => {
    for (const nb of (await kube.list({ ...NOTEBOOK, namespace: ns })).items) await dropFinalizers(kube, refTo({ ...nb, ...NOTEBOOK }));
    await deleteNamespace(kube, ns);
  });

  const manifest = async (): Promise<Manifest> => JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  it('writes one clean YAML file per object and a manifest of checksums', async () => {
    const run = await runStep('backup', input);
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('changed');
    expect(run.result?.summary).toBe(`backed up 3 objects to ${dir}`);
    expect(run.calls.writes).toBe(0);
    const files = [`configmap-${ns}-settings.yaml`, `notebook-${ns}-nb-1.yaml`, `notebook-${ns}-nb-2.yaml`];
    expect((await readdir(dir)).sort()).toEqual([...files, 'manifest.json'].sort());
    expect((await stat(join(dir, files[1]!))).mode & 0o777).toBe(0o600);

    const m = await manifest();
    expect(m.objects.map((o) => o.file)).toEqual(files);
    for (const entry of m.objects) expect(entry.sha256).toBe(sha256(await readFile(join(dir, entry.file), 'utf8')));

    const nb = parse(await readFile(join(dir, files[1]!), 'utf8')) as { metadata: Record<string, unknown>; status?: unknown; spec: unknown };
    expect(nb.metadata).toMatchObject({ name: 'nb-1', namespace: ns });
    for (const field of ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation']) expect(nb.metadata[field]).toBeUndefined();
    expect(nb.status).toBeUndefined();
  });

  it('a second run finds the identical backup: ok, files untouched', async () => {
    const before = (await stat(join(dir, 'manifest.json'))).mtimeMs;
    const run = await runStep('backup', input);
    expect(run.status).toBe('ok');
    expect(run.result?.reason).toBe(`an identical backup of 3 objects is in ${dir}`);
    expect((await stat(join(dir, 'manifest.json'))).mtimeMs).toBe(before);
  });

  it('an object that changed is backed up again, with its new checksum', async () => {
    const old = await manifest();
    await kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace: ns }, 'merge', { data: { a: '2' } });
    const run = await runStep('backup', input);
    expect(run.status).toBe('changed');
    const now = await manifest();
    const entry = (m: Manifest) => m.objects.find((o) => o.kind === 'ConfigMap')!;
    expect(entry(now).sha256).not.toBe(entry(old).sha256);
    expect(now.objects.filter((o) => o.kind === 'Notebook')).toEqual(old.objects.filter((o) => o.kind === 'Notebook'));
    expect(parse(await readFile(join(dir, entry(now).file), 'utf8'))).toMatchObject({ data: { a: '2' } });
  });

  it('keepStatus keeps each object status', async () => {
    const withStatus = join(dir, '..', 'with-status');
    await runStep('backup', { ...input, dir: withStatus, keepStatus: true });
    expect(parse(await readFile(join(withStatus, `notebook-${ns}-nb-1.yaml`), 'utf8'))).toMatchObject({ status: { readyReplicas: 1 } });
  });

  it('runs in a dry run too: it only reads the cluster', async () => {
    const dryDir = join(dir, '..', 'dry');
    const run = await runStep('backup', { ...input, dir: dryDir }, { dryRun: 'client' });
    expect(run.status).toBe('changed');
    expect(run.calls.writes).toBe(0);
    expect((JSON.parse(await readFile(join(dryDir, 'manifest.json'), 'utf8')) as Manifest).objects).toHaveLength(3);
  });

  it('a backup file restores the object with the apply step', async () => {
    const file = join(dir, `notebook-${ns}-nb-2.yaml`);
    const original = await live(kube, { ...NOTEBOOK, name: 'nb-2', namespace: ns });
    await dropFinalizers(kube, refTo(original));
    await kube.delete(refTo(original));
    const run = await runStep('apply', { template: file });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('changed');
    const restored = await live(kube, refTo(original));
    expect(restored.spec).toEqual(original.spec);
    expect(restored.metadata.labels).toEqual(original.metadata.labels);
  });
});
