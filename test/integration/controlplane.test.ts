// Exercises the real control plane started by the global setup: the API behaviours the
// runbook executor relies on, checked against kube-apiserver itself rather than a mock.
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  VersionApi,
  setHeaderOptions,
  type KubeConfig,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readInstanceRecord, writeInstanceRecord } from '../../src/sandbox/controlplane/instance-record.js';
import { EXPIRED_RESOURCE_VERSION, startControlPlane } from '../../src/sandbox/controlplane/launcher.js';
import { processStartTime } from '../../src/sandbox/controlplane/pids.js';
import { startServer } from '../../src/sandbox/controlplane/processes.js';
import { reapAbandonedInstances } from '../../src/sandbox/controlplane/reaper.js';
import { startWatchdog } from '../../src/sandbox/controlplane/watchdog.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminKubeconfigPath,
  eventually,
  httpStatusOf,
  loadKubeConfig,
  uniqueName,
  viewerKubeconfigPath,
} from './support/cluster.js';
import { fakeBinDir, isRunning, scratchDir, spawnIdleProcess } from './support/processes.js';
import { openWatch } from './support/watch.js';

const patchAs = (strategy: PatchStrategy) => setHeaderOptions('Content-Type', strategy);

function configMap(name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}

async function statusOf(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call;
    return 200;
  } catch (error) {
    return httpStatusOf(error);
  }
}

describe('control plane', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let namespace: string;

  beforeAll(async () => {
    kc = loadKubeConfig(adminKubeconfigPath());
    core = kc.makeApiClient(CoreV1Api);
    namespace = uniqueName('controlplane-test');
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });

  afterAll(async () => {
    await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('reports the Kubernetes version it was built from', async () => {
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe('v1.34.4');
    expect(version.minor).toBe('34');
  });

  it('creates, reads and lists objects with label and field selectors', async () => {
    await core.createNamespacedConfigMap({ namespace, body: configMap('alpha', { tier: 'front' }, { a: '1' }) });
    await core.createNamespacedConfigMap({ namespace, body: configMap('beta', { tier: 'back' }) });
    await core.createNamespacedConfigMap({ namespace, body: configMap('gamma', { tier: 'front' }) });

    const alpha = await core.readNamespacedConfigMap({ name: 'alpha', namespace });
    expect(alpha.data).toEqual({ a: '1' });
    expect(alpha.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);

    const front = await core.listNamespacedConfigMap({ namespace, labelSelector: 'tier=front' });
    expect(front.items.map((cm) => cm.metadata?.name).sort()).toEqual(['alpha', 'gamma']);

    const notFront = await core.listNamespacedConfigMap({ namespace, labelSelector: 'tier,tier!=front' });
    expect(notFront.items.map((cm) => cm.metadata?.name)).toEqual(['beta']);

    const byName = await core.listNamespacedConfigMap({ namespace, fieldSelector: 'metadata.name=beta' });
    expect(byName.items.map((cm) => cm.metadata?.labels?.tier)).toEqual(['back']);
  });

  it('applies merge, JSON and server-side-apply patches', async () => {
    const name = 'patched';
    await core.createNamespacedConfigMap({ namespace, body: configMap(name, {}, { keep: 'yes', drop: 'yes' }) });

    const merged = await core.patchNamespacedConfigMap(
      { name, namespace, body: { data: { drop: null, added: 'merge' } } },
      patchAs(PatchStrategy.MergePatch),
    );
    expect(merged.data).toEqual({ keep: 'yes', added: 'merge' });

    const jsonPatched = await core.patchNamespacedConfigMap(
      {
        name,
        namespace,
        body: [
          { op: 'test', path: '/data/keep', value: 'yes' },
          { op: 'replace', path: '/data/keep', value: 'json' },
          { op: 'add', path: '/metadata/labels', value: { patched: 'json' } },
        ],
      },
      patchAs(PatchStrategy.JsonPatch),
    );
    expect(jsonPatched.data?.keep).toBe('json');
    expect(jsonPatched.metadata?.labels).toEqual({ patched: 'json' });

    // A failing JSON-patch test operation must reject the whole patch.
    const conflict = await statusOf(
      core.patchNamespacedConfigMap(
        { name, namespace, body: [{ op: 'test', path: '/data/keep', value: 'other' }] },
        patchAs(PatchStrategy.JsonPatch),
      ),
    );
    expect(conflict).toBe(422);

    const applied = await core.patchNamespacedConfigMap(
      {
        name,
        namespace,
        fieldManager: 'runbook-test',
        force: true,
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { applied: 'ssa' } },
      },
      patchAs(PatchStrategy.ServerSideApply),
    );
    expect(applied.data).toEqual({ keep: 'json', added: 'merge', applied: 'ssa' });
    const manager = applied.metadata?.managedFields?.find((entry) => entry.manager === 'runbook-test');
    expect(manager?.operation).toBe('Apply');
  });

  it('keeps status behind the status subresource of a custom resource', async () => {
    const group = 'controlplane.test.runbook.dev';
    const plural = 'widgets';
    const extensions = kc.makeApiClient(ApiextensionsV1Api);
    await extensions.createCustomResourceDefinition({
      body: {
        metadata: { name: `${plural}.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural, singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: { type: 'object', properties: { size: { type: 'integer' } } },
                    status: { type: 'object', properties: { phase: { type: 'string' } } },
                  },
                },
              },
            },
          ],
        },
      },
    });
    await eventually('the Widget CRD to be established', async () => {
      const crd = await extensions.readCustomResourceDefinition({ name: `${plural}.${group}` });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });

    const custom = kc.makeApiClient(CustomObjectsApi);
    const ref = { group, version: 'v1', namespace, plural };
    // The CRD's REST endpoint can lag a moment behind Established; retry creation until served.
    const created = (await eventually('the first Widget to be created', () =>
      custom.createNamespacedCustomObject({
        ...ref,
        body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 1 }, status: { phase: 'Ignored' } },
      }),
    )) as { status?: unknown; metadata: { generation: number } };
    expect(created.status).toBeUndefined(); // status in a main-resource write is dropped

    const patched = (await custom.patchNamespacedCustomObjectStatus(
      { ...ref, name: 'w1', body: { status: { phase: 'Ready' }, spec: { size: 99 } } },
      patchAs(PatchStrategy.MergePatch),
    )) as { status: { phase: string }; spec: { size: number }; metadata: { generation: number } };
    expect(patched.status.phase).toBe('Ready');
    expect(patched.spec.size).toBe(1); // spec in a status write is dropped
    expect(patched.metadata.generation).toBe(created.metadata.generation);
  });

  it('streams watch events and answers 410 Gone for a resourceVersion that is too old', async () => {
    const list = await core.listNamespacedConfigMap({ namespace });
    const path = `/api/v1/namespaces/${namespace}/configmaps`;
    const watch = await openWatch(kc, path, { resourceVersion: list.metadata?.resourceVersion ?? '' });
    try {
      await core.createNamespacedConfigMap({ namespace, body: configMap('watched') });
      await core.deleteNamespacedConfigMap({ name: 'watched', namespace });
      await eventually('ADDED and DELETED events', async () => {
        const seen = watch.events.filter((e) => e.object.metadata?.name === 'watched').map((e) => e.type);
        return seen.includes('ADDED') && seen.includes('DELETED') ? seen : undefined;
      });
    } finally {
      watch.stop();
    }

    // The launcher compacts etcd past this resourceVersion before the API server starts.
    // timeoutSeconds bounds the wait should the server wrongly accept the watch.
    const stale = await openWatch(kc, path, { resourceVersion: EXPIRED_RESOURCE_VERSION, timeoutSeconds: '10' });
    const closedWith = await stale.closed;
    const gone = stale.events.find((e) => e.type === 'ERROR');
    const status = gone?.object.code ?? (closedWith as { statusCode?: number } | null)?.statusCode;
    expect(status).toBe(410);
  });

  it('writes nothing on a server-side dry run', async () => {
    const dryRun = await core.createNamespacedConfigMap({ namespace, dryRun: 'All', body: configMap('dry', {}, { x: '1' }) });
    expect(dryRun.metadata?.name).toBe('dry');
    expect(dryRun.data).toEqual({ x: '1' });
    expect(await statusOf(core.readNamespacedConfigMap({ name: 'dry', namespace }))).toBe(404);
  });

  it('finishes deleting a namespace with content in it', async () => {
    const doomed = uniqueName('controlplane-doomed');
    await core.createNamespace({ body: { metadata: { name: doomed } } });
    await core.createNamespacedConfigMap({ namespace: doomed, body: configMap('content') });
    await core.deleteNamespace({ name: doomed });
    await eventually('the namespace to disappear', async () => (await statusOf(core.readNamespace({ name: doomed }))) === 404);
  });

  it('garbage-collects an owned object once its owner is deleted', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace, body: configMap('owner') });
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        ...configMap('dependent'),
        metadata: {
          name: 'dependent',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid ?? '' }],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ name: 'owner', namespace, propagationPolicy: 'Background' });
    await eventually(
      'the dependent to be garbage-collected',
      async () => (await statusOf(core.readNamespacedConfigMap({ name: 'dependent', namespace }))) === 404,
      { timeoutMs: 90_000 },
    );
  });

  it('lets the viewer read but forbids it to write', async () => {
    const viewer = loadKubeConfig(viewerKubeconfigPath()).makeApiClient(CoreV1Api);
    const listed = await viewer.listNamespacedConfigMap({ namespace });
    expect(listed.items.length).toBeGreaterThan(0);
    expect(await statusOf(viewer.createNamespacedConfigMap({ namespace, body: configMap('forbidden') }))).toBe(403);
    expect(await statusOf(viewer.deleteNamespacedConfigMap({ name: 'alpha', namespace }))).toBe(403);
  });
});

describe('control plane lifecycle', () => {
  it('stops every server and removes its folder', async () => {
    const controlPlane = await startControlPlane({ baseDir: scratchDir('runbook-cp-stop'), controllers: false });
    const pids = readInstanceRecord(controlPlane.dir)?.processes.map((p) => p.pid) ?? [];
    expect(pids).toHaveLength(2); // etcd and kube-apiserver
    expect(pids.every(isRunning)).toBe(true);

    await controlPlane.stop();
    expect(pids.filter(isRunning)).toEqual([]);
    expect(existsSync(controlPlane.dir)).toBe(false);
  });

  it('has the watchdog kill the servers when the owning process dies', async () => {
    const dir = scratchDir('runbook-cp-watchdog');
    const owner = spawnIdleProcess();
    const server = startServer({ name: 'idle', binary: 'sleep', args: ['120'], logFile: join(dir, 'idle.log') });
    writeInstanceRecord(dir, {
      ownerPid: owner,
      ownerStartTime: processStartTime(owner),
      processes: [{ name: 'idle', pid: server.pid, startTime: processStartTime(server.pid) }],
    });
    startWatchdog(dir, owner, processStartTime(owner));
    expect(isRunning(server.pid)).toBe(true);

    process.kill(owner, 'SIGKILL');
    await eventually('the server to be killed and the folder removed', async () => !isRunning(server.pid) && !existsSync(dir), {
      timeoutMs: 20_000,
    });
  });

  it('reaps the servers of an owner that died together with its watchdog', async () => {
    const baseDir = scratchDir('runbook-cp-reaper');
    const abandoned = join(baseDir, 'abandoned');
    const alive = join(baseDir, 'alive');
    const owner = spawnIdleProcess();
    const orphan = spawnIdleProcess();
    const kept = spawnIdleProcess();
    for (const [dir, ownerPid, serverPid] of [
      [abandoned, owner, orphan],
      [alive, process.pid, kept],
    ] as const) {
      mkdirSync(dir);
      writeInstanceRecord(dir, {
        ownerPid,
        ownerStartTime: processStartTime(ownerPid),
        processes: [{ name: 'idle', pid: serverPid, startTime: processStartTime(serverPid) }],
      });
    }
    process.kill(owner, 'SIGKILL');
    await eventually('the owner to be gone', async () => !isRunning(owner));

    await reapAbandonedInstances(baseDir);
    expect(isRunning(orphan)).toBe(false);
    expect(existsSync(abandoned)).toBe(false);
    // An instance whose owner still lives is left alone.
    expect(isRunning(kept)).toBe(true);
    expect(existsSync(alive)).toBe(true);
    process.kill(kept, 'SIGKILL');
  });

  it('names the failing server, its log file and its last lines when start-up fails', async () => {
    const binDir = fakeBinDir({
      etcd: 'echo "etcdmain: error verifying flags, data dir is not writable" >&2; exit 3',
      'kube-apiserver': 'echo "Kubernetes v0.0.0-fake"',
    });
    const failure = await startControlPlane({ binDir, baseDir: scratchDir('runbook-cp-fail') }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    const message = (failure as Error).message;
    expect(message).toMatch(/etcd exited \(exit code 3\) while waiting for etcd \/health/);
    expect(message).toMatch(/runbook-cp-fail-\w+\/instance-\w+\/etcd\.log/);
    expect(message).toContain('data dir is not writable');
  });

  it('retries with new ports when a server finds its port taken', async () => {
    const attempts = join(scratchDir('runbook-cp-attempts'), 'count');
    const binDir = fakeBinDir({
      etcd: `echo attempt >> ${attempts}; echo "listen tcp 127.0.0.1:2379: bind: address already in use" >&2; exit 1`,
      'kube-apiserver': 'echo "Kubernetes v0.0.0-fake"',
    });
    const failure = await startControlPlane({ binDir, baseDir: scratchDir('runbook-cp-conflict') }).catch((error: unknown) => error);
    expect((failure as Error).message).toContain('bind: address already in use');
    expect(readFileSync(attempts, 'utf8').trim().split('\n')).toHaveLength(3);
  });
});
