// The `delete` step against the real API server, through the executor: by name and by selector,
// waiting until a finalizer is gone (and not for a new object of the same name), skipping what is
// absent, the uid precondition that spares an object recreated under the same name, and both
// dry-run modes.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepFailure } from '../../src/contract/errors.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { deleteStep } from '../../src/steps/kube/delete.js';
import { eventually } from './support/cluster.js';
import { intercept } from './support/intercept.js';
import { NOTEBOOK, OAUTH_FINALIZER, configMap, createNamespace, deleteNamespace, dropFinalizers, live, notebook, refTo } from './support/objects.js';
import { adminKube, runStep, sideKube, stepContext, viewerKube } from './support/run-step.js';

describe('delete step', () => {
  let kube: KubeClient;
  let side: KubeClient;
  let ns: string;

  beforeAll(async () => {
    kube = adminKube();
    side = sideKube();
    ns = await createNamespace(kube, 'steps-delete');
  });
  afterAll(async () => {
    for (const nb of (await kube.list({ ...NOTEBOOK, namespace: ns })).items) await dropFinalizers(kube, refTo({ ...nb, ...NOTEBOOK }));
    await deleteNamespace(kube, ns);
  });

  const cmTarget = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', name, namespace: ns, ...extra });

  it('deletes by name; a second run is ok (nothing left) with zero writes', async () => {
    const cm = await kube.create(configMap('by-name', ns));
    const first = await runStep('delete', cmTarget('by-name'));
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('changed');
    expect(first.result?.summary).toBe(`deleted ConfigMap ${ns}/by-name`);
    expect(first.result?.diff).toMatch(/\(deleted\)/);
    expect(await kube.get(refTo(cm))).toBeNull();

    const second = await runStep('delete', cmTarget('by-name'));
    expect(second.status).toBe('ok');
    expect(second.result?.reason).toBe(`no ConfigMap ${ns}/by-name`);
    expect(second.calls.writes).toBe(0);
  });

  it('deletes every object a selector matches and nothing else', async () => {
    for (let i = 0; i < 5; i++) await kube.create(configMap(`old-${i}`, ns, {}, { generation: 'old' }));
    await kube.create(configMap('keep', ns, {}, { generation: 'new' }));
    const input = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, labelSelector: 'generation=old' };
    const run = await runStep('delete', input);
    expect(run.status).toBe('changed');
    expect(run.result?.summary).toBe('deleted 5 objects');
    const left = (await kube.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns }, { labelSelector: 'generation' })).items.map((o) => o.metadata.name);
    expect(left).toEqual(['keep']);
    const again = await runStep('delete', input);
    expect(again.status).toBe('ok');
    expect(again.calls.writes).toBe(0);
  });

  it('waits until the object is gone while a finalizer is still being removed', async () => {
    const nb = await kube.create(notebook('finalized', ns));
    const running = runStep('delete', { ...NOTEBOOK, name: 'finalized', namespace: ns, timeout: '60s' });
    // Play the controller: once the delete is seen, finish the cleanup a moment later.
    await eventually('the delete to start', async () => (await side.get(refTo(nb)))?.metadata.deletionTimestamp);
    await sleep(300);
    await dropFinalizers(side, refTo(nb));
    const run = await running;
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('changed');
    expect(run.logs).toContain(`Notebook ${ns}/finalized: being deleted, waiting for finalizers ${OAUTH_FINALIZER}`);
    expect(run.logs).toContain(`Notebook ${ns}/finalized: deleted`);
    expect(await kube.get(refTo(nb))).toBeNull();
  });

  it('the wait ends when the object deleted is gone, though a controller made a new one of its name before the wait looked', async () => {
    const cm = await kube.create(configMap('made-again', ns, { generation: 'first' }));
    let again: KubeObject | undefined;
    // A controller that makes the object again as soon as it is gone: here, before the step's
    // wait has looked once, which is the moment that held the wait until its timeout.
    const racing = intercept(kube, {
      delete: async (ref, options) => {
        const answer = await kube.delete(ref, options);
        again = await side.create(configMap('made-again', ns, { generation: 'second' }));
        return answer;
      },
    });
    const run = await runStep('delete', cmTarget('made-again', { timeout: '10s' }), { kube: racing });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('changed');
    expect(run.logs).toContain(`ConfigMap ${ns}/made-again: deleted; a new object of the same name exists now`);
    // The new object stays: it is not the one the step read and deleted.
    const now = await live(kube, refTo(cm));
    expect(now.metadata.uid).toBe(again!.metadata.uid);
    expect(now.metadata.uid).not.toBe(cm.metadata.uid);
    expect(now.data).toEqual({ generation: 'second' });
  });

  it('wait: false returns once the delete is accepted; the object being finalized then counts as done', async () => {
    const nb = await kube.create(notebook('no-wait', ns));
    const run = await runStep('delete', { ...NOTEBOOK, name: 'no-wait', namespace: ns, wait: false });
    expect(run.status).toBe('changed');
    expect((await live(kube, refTo(nb))).metadata.deletionTimestamp).toBeDefined();
    const again = await runStep('delete', { ...NOTEBOOK, name: 'no-wait', namespace: ns, wait: false });
    expect(again.status).toBe('ok');
    expect(again.calls.writes).toBe(0);
    await dropFinalizers(kube, refTo(nb));
  });

  it('a finalizer that never goes: the timeout says what was seen last', async () => {
    const nb = await kube.create(notebook('stuck', ns));
    const run = await runStep('delete', { ...NOTEBOOK, name: 'stuck', namespace: ns, timeout: '1s' });
    expect(run.status).toBe('failed');
    expect(run.error).toBe(`timed out after 1s waiting for Notebook ${ns}/stuck: being deleted, waiting for finalizers ${OAUTH_FINALIZER}`);
    expect(run.result?.error?.data?.lastState).toMatchObject({ exists: true, name: 'stuck', deletionTimestamp: expect.any(String) });
    await dropFinalizers(kube, refTo(nb));
  });

  it('an object recreated under the same name after the check is not deleted (uid precondition)', async () => {
    const first = await kube.create(configMap('recreated', ns, { v: 'first' }));
    const ctx = stepContext(kube);
    const input = cmTarget('recreated');
    const checked = await deleteStep.check!(ctx, input);
    expect(checked.holds).toBe(false);
    await side.delete(refTo(first));
    const second = await side.create(configMap('recreated', ns, { v: 'second' }));

    const error = await deleteStep.apply(ctx, input, checked.prepared).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(StepFailure);
    expect((error as StepFailure).message).toBe(`ConfigMap ${ns}/recreated was replaced by a new object of the same name since it was read; the new one was not deleted`);
    expect((error as StepFailure).transient).toBe(true);
    expect((await live(kube, refTo(second))).metadata.uid).toBe(second.metadata.uid);
  });

  describe('dry run', () => {
    it('client: sends no write; the diff shows what would go', async () => {
      const cm = await kube.create(configMap('dry-client', ns, { shown: 'in-diff' }));
      const run = await runStep('delete', cmTarget('dry-client'), { dryRun: 'client' });
      expect(run.status).toBe('changed');
      expect(run.calls.writes).toBe(0);
      expect(run.result?.diff).toMatch(/-\s+shown: in-diff/);
      expect(run.result?.diff).toMatch(/dry run: client/);
      expect((await live(kube, refTo(cm))).metadata.resourceVersion).toBe(cm.metadata.resourceVersion);
    });

    it('server: the server accepts the delete and keeps the object', async () => {
      const cm = await kube.create(configMap('dry-server', ns));
      const run = await runStep('delete', cmTarget('dry-server'), { dryRun: 'server' });
      expect(run.status).toBe('changed');
      expect(run.calls.writes).toBe(1);
      expect(run.result?.diff).toMatch(/dry run: server/);
      expect((await live(kube, refTo(cm))).metadata.resourceVersion).toBe(cm.metadata.resourceVersion);
    });
  });

  it('the view-only user gets a 403 naming verb and resource; the object stays', async () => {
    const cm = await kube.create(configMap('viewer', ns));
    const run = await runStep('delete', cmTarget('viewer'), { kube: viewerKube() });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(new RegExp(`cannot delete configmaps in namespace "${ns}"`));
    expect(await kube.get(refTo(cm))).not.toBeNull();
  });
});
