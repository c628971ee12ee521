// Error classification against the real API server: what a step sees for 404, 409, 403, 422 and an
// unreachable server, and whether the executor may retry it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTransient } from '../../src/contract/errors.js';
import { KubeClient } from '../../src/kube/client.js';
import { KubeApiError, isAlreadyExists, isConflict } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/types.js';
import { adminKubeconfigPath, uniqueName, viewerKubeconfigPath } from './support/cluster.js';

const configMap = (name: string, namespace: string, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data,
});

async function failure(call: Promise<unknown>): Promise<KubeApiError> {
  const err = await call.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(KubeApiError);
  return err as KubeApiError;
}

describe('kube error classification', () => {
  let admin: KubeClient;
  let viewer: KubeClient;
  let ns: string;

  beforeAll(async () => {
    admin = KubeClient.load({ kubeconfig: adminKubeconfigPath(), env: {} });
    viewer = KubeClient.load({ kubeconfig: viewerKubeconfigPath(), env: {} });
    ns = uniqueName('kube-errors');
    await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await admin.create(configMap('cm', ns, { a: '1' }));
  });

  afterAll(async () => {
    await admin?.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => undefined);
  });

  it('404 Not Found is permanent and names the object', async () => {
    const err = await failure(admin.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'missing' }, 'merge', { data: { a: '2' } }));
    expect(err.code).toBe(404);
    expect(isTransient(err)).toBe(false);
    expect(err.message).toBe(`patch configmaps ${ns}/missing: 404 NotFound: configmaps "missing" not found`);
  });

  it('409 Conflict from a stale resourceVersion is transient', async () => {
    const live = (await admin.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'cm' }))!;
    await admin.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'cm' }, 'merge', { data: { a: '2' } });
    const err = await failure(admin.replace({ ...live, data: { a: 'stale' } }));
    expect(err.code).toBe(409);
    expect(isConflict(err)).toBe(true);
    expect(isTransient(err)).toBe(true);
    expect(err.message).toMatch(/the object has been modified/);
    expect(err.hint).toMatch(/reading it again/);
  });

  it('409 AlreadyExists is permanent', async () => {
    const err = await failure(admin.create(configMap('cm', ns)));
    expect(isAlreadyExists(err)).toBe(true);
    expect(isTransient(err)).toBe(false);
  });

  it('403 says which verb, resource and namespace were denied, and for whom', async () => {
    const err = await failure(viewer.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'cm' }, 'merge', { data: { a: '3' } }));
    expect(err.code).toBe(403);
    expect(isTransient(err)).toBe(false);
    expect(err.message).toBe(`patch configmaps ${ns}/cm: 403 Forbidden: user "runbook-viewer" cannot patch configmaps in namespace "${ns}"`);
    expect(err.data?.denied).toEqual({ user: 'runbook-viewer', verb: 'patch', resource: 'configmaps', group: '', namespace: ns });
    expect(err.hint).toMatch(/grant "patch" on configmaps in namespace/);
  });

  it('403 for cluster-scoped writes and secret reads', async () => {
    const create = await failure(viewer.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: uniqueName('nope') } }));
    expect(create.message).toMatch(/user "runbook-viewer" cannot create namespaces at cluster scope/);
    const secrets = await failure(viewer.list({ apiVersion: 'v1', kind: 'Secret', namespace: ns }));
    expect(secrets.message).toMatch(/cannot list secrets in namespace/);
  });

  it('403 on a watch names the verb even without a server message', async () => {
    const iterate = async () => {
      for await (const _ of viewer.watch({ apiVersion: 'v1', kind: 'Secret', namespace: ns })) break;
    };
    const err = await failure(iterate());
    expect(err.code).toBe(403);
    expect(err.message).toMatch(/watch secrets/);
  });

  it('422 Invalid keeps the server message and the field causes', async () => {
    const err = await failure(admin.create(configMap('Not_A_Valid_Name', ns)));
    expect(err.code).toBe(422);
    expect(isTransient(err)).toBe(false);
    expect(err.message).toMatch(/422 Invalid: ConfigMap "Not_A_Valid_Name" is invalid: metadata.name/);
    expect(err.data?.causes).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'metadata.name' })]));
  });

  it('an unreachable API server is transient', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'unreachable-'));
    const file = path.join(dir, 'config');
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    writeFileSync(
      file,
      [
        'apiVersion: v1', 'kind: Config', 'current-context: c',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: c, context: {cluster: c, user: u}}]',
      ].join('\n'),
    );
    const client = KubeClient.load({ kubeconfig: file, env: {} });
    const err = await client.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'x' }).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/ECONNREFUSED/);
    expect(isTransient(err)).toBe(true);
  });
});
