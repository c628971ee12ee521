// Watch-based waits against the real API server: already-true conditions resolve from the first
// list, later changes through the watch, failures fail fast, timeouts carry the last state,
// stale resourceVersions re-list, and deletion and not-yet-existing objects work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunAborted, StepFailure, StepTimeout } from '../../src/contract/errors.js';
import { KubeClient } from '../../src/kube/client.js';
import { conditionIs, deleted, everyItem, exists, readinessFor, type Verdict } from '../../src/kube/readiness.js';
import type { KubeObject } from '../../src/kube/types.js';
import { waitFor } from '../../src/kube/wait.js';
import { adminKubeconfigPath, uniqueName } from './support/cluster.js';

const GROUP = `${uniqueName('wait')}.runbook.test`;
const GADGET = `${GROUP}/v1`;

const configMap = (name: string, namespace: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data: {},
});

const later = (ms: number, action: () => Promise<unknown>): Promise<number> =>
  new Promise((resolve, reject) => setTimeout(() => action().then(() => resolve(Date.now()), reject), ms));

describe('waitFor', () => {
  let kube: KubeClient;
  let ns: string;
  const gadget = (name: string) => ({ apiVersion: GADGET, kind: 'Gadget', namespace: ns, name });
  const setConditions = (name: string, conditions: object[]) =>
    kube.patch(gadget(name), 'merge', { status: { conditions } }, { subresource: 'status' });

  beforeAll(async () => {
    kube = KubeClient.load({ kubeconfig: adminKubeconfigPath(), env: {} });
    ns = uniqueName('kube-wait');
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await kube.create({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `gadgets.${GROUP}` },
      spec: {
        group: GROUP,
        scope: 'Namespaced',
        names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
        versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    });
    // The wait layer itself waits for the CRD to be established, then for discovery to serve it.
    await waitFor(kube, {
      target: { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: `gadgets.${GROUP}` },
      predicate: readinessFor('apiextensions.k8s.io/v1', 'CustomResourceDefinition'),
      timeoutMs: 30_000,
    });
    for (let i = 0; i < 100 && !(await kube.mapper.tryMap(GADGET, 'Gadget')); i++) await new Promise((r) => setTimeout(r, 100));
  });

  afterAll(async () => {
    await kube?.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => undefined);
    await kube?.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: `gadgets.${GROUP}` }).catch(() => undefined);
  });

  it('resolves from the first list when the condition already holds, without watching', async () => {
    await kube.create(configMap('present', ns));
    const result = await waitFor(kube, {
      target: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'present' },
      predicate: exists,
      timeoutMs: 5_000,
    });
    expect(result).toMatchObject({ lists: 1, watches: 0, verdict: { status: 'done' } });
  });

  it('resolves on a later change seen through the watch (Deployment readiness)', async () => {
    const deployment = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
    };
    const created = await kube.create(deployment);
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' };
    const seen: Verdict[] = [];
    // No deployment controller runs in this control plane: play its part through the status subresource.
    const changedAt = later(300, async () => {
      await kube.patch(ref, 'merge', { status: { observedGeneration: created.metadata.generation, replicas: 2, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1 } }, { subresource: 'status' });
      await kube.patch(ref, 'merge', { status: { readyReplicas: 2, availableReplicas: 2 } }, { subresource: 'status' });
    });
    const result = await waitFor(kube, {
      target: ref,
      predicate: readinessFor('apps/v1', 'Deployment'),
      timeoutMs: 20_000,
      onUpdate: (v) => seen.push(v),
    });
    const reactionMs = Date.now() - (await changedAt);
    console.log(`wait reaction after the change: ${reactionMs} ms`);
    expect(result.verdict.description).toBe('2 of 2 replicas available');
    expect(seen.map((v) => v.description)).toEqual(['no status yet', '1 of 2 replicas available', '2 of 2 replicas available']);
    expect(result.lists).toBe(1);
  });

  it('fails fast when the predicate reports failure', async () => {
    await kube.create({ apiVersion: GADGET, kind: 'Gadget', metadata: { name: 'doomed', namespace: ns } });
    void later(200, () => setConditions('doomed', [{ type: 'Degraded', status: 'True', reason: 'Broken', message: 'disk full' }]));
    const started = Date.now();
    const err = await waitFor(kube, {
      target: gadget('doomed'),
      predicate: conditionIs('Ready', 'True', [{ type: 'Degraded', status: 'True' }]),
      timeoutMs: 30_000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailure);
    expect(err).not.toBeInstanceOf(StepTimeout);
    expect((err as StepFailure).message).toBe(`Gadget ${ns}/doomed: Degraded=True (Broken): disk full`);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('times out with the last state seen in message and data', async () => {
    await kube.create({ apiVersion: GADGET, kind: 'Gadget', metadata: { name: 'slow', namespace: ns } });
    await setConditions('slow', [{ type: 'Ready', status: 'False', reason: 'Warming', message: 'loading model' }]);
    const err = await waitFor(kube, { target: gadget('slow'), predicate: conditionIs('Ready'), timeoutMs: 1_500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepTimeout);
    const timeout = err as StepTimeout;
    expect(timeout.message).toBe(`timed out after 1.5s waiting for Gadget ${ns}/slow: Ready=False (Warming): loading model`);
    expect(timeout.data?.lastState).toMatchObject({
      description: 'Ready=False (Warming): loading model',
      exists: true,
      conditions: [{ type: 'Ready', status: 'False', reason: 'Warming', message: 'loading model' }],
    });
  });

  it('lists again when the resourceVersion it watches from is too old (410 Gone)', async () => {
    const current = (await kube.create(configMap('gone', ns, { step: 'new' })))!;
    const stale: KubeObject = { ...current, metadata: { ...current.metadata, labels: { step: 'old' } } };
    const result = await waitFor(kube, {
      target: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'gone' },
      predicate: (o): Verdict => ((o as KubeObject | null)?.metadata.labels?.step === 'new' ? { status: 'done', description: 'new' } : { status: 'pending', description: 'old' }),
      timeoutMs: 10_000,
      initial: { objects: [stale], resourceVersion: '1' },
    });
    expect(result).toMatchObject({ lists: 1, verdict: { description: 'new' } });
    expect(result.watches).toBeGreaterThanOrEqual(1);
  });

  it('waits for an object that does not exist yet', async () => {
    void later(300, () => kube.create(configMap('arrives', ns)));
    const result = await waitFor(kube, { target: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'arrives' }, predicate: exists, timeoutMs: 10_000 });
    expect(result.verdict.status).toBe('done');
  });

  it('waits for deletion, through finalizers', async () => {
    await kube.create({ ...configMap('leaving', ns), metadata: { name: 'leaving', namespace: ns, finalizers: ['runbook.test/hold'] } });
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'leaving' };
    await kube.delete(ref);
    const seen: string[] = [];
    void later(300, () => kube.patch(ref, 'merge', { metadata: { finalizers: null } }));
    const result = await waitFor(kube, { target: ref, predicate: deleted, timeoutMs: 10_000, onUpdate: (v) => seen.push(v.description) });
    expect(seen).toEqual(['being deleted, waiting for finalizers runbook.test/hold', 'deleted']);
    expect(result.state).toBeNull();
  });

  it('waits for a namespace to be deleted by the namespace controller', async () => {
    const gone = uniqueName('kube-wait-gone');
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: gone } });
    await kube.create(configMap('content', gone));
    await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: gone });
    const result = await waitFor(kube, { target: { apiVersion: 'v1', kind: 'Namespace', name: gone }, predicate: deleted, timeoutMs: 60_000 });
    expect(result.verdict.description).toBe('deleted');
  });

  it('waits on a label selector for every matching object', async () => {
    void later(200, async () => {
      await kube.create(configMap('sel-a', ns, { group: 'sel' }));
      await kube.create(configMap('sel-b', ns, { group: 'sel' }));
    });
    const result = await waitFor(kube, {
      target: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, labelSelector: 'group=sel' },
      predicate: (items) => everyItem(exists, 2)(items as KubeObject[]),
      timeoutMs: 10_000,
    });
    expect((result.state as KubeObject[]).map((o) => o.metadata.name).sort()).toEqual(['sel-a', 'sel-b']);
  });

  it('reconnects when the server ends the watch, resuming from the last resourceVersion', async () => {
    await kube.create({ apiVersion: GADGET, kind: 'Gadget', metadata: { name: 'patient', namespace: ns } });
    void later(2_500, () => setConditions('patient', [{ type: 'Ready', status: 'True' }]));
    const result = await waitFor(kube, { target: gadget('patient'), predicate: conditionIs('Ready'), timeoutMs: 20_000, watchTimeoutSeconds: 1 });
    expect(result.verdict.status).toBe('done');
    expect(result.watches).toBeGreaterThanOrEqual(2);
    expect(result.lists).toBe(1);
  });

  it('stops at once when aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    const err = await waitFor(kube, {
      target: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'never' },
      predicate: exists,
      timeoutMs: 30_000,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunAborted);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
