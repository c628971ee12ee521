// The `wait` step against the real API server, through the executor: every kind of condition,
// objects that appear later, failWhen ending the wait at once, a timeout that says what it saw,
// and a watch the server ends early. The test changes the objects while the step waits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { NOTEBOOK, configMap, createNamespace, deleteNamespace, dropFinalizers, notebook, refTo } from './support/objects.js';
import { shortWatches } from './support/intercept.js';
import { adminKube, firstLog, runStep, sideKube, type RunStepOptions, type StepRun } from './support/run-step.js';

describe('wait step', () => {
  let kube: KubeClient;
  let side: KubeClient;
  let ns: string;

  beforeAll(async () => {
    kube = adminKube();
    side = sideKube();
    ns = await createNamespace(kube, 'steps-wait');
  });
  afterAll(async () => {
    for (const nb of (await kube.list({ ...NOTEBOOK, namespace: ns })).items) await dropFinalizers(kube, refTo({ ...nb, ...NOTEBOOK }));
    await deleteNamespace(kube, ns);
  });

  /** Starts the wait, lets it judge the first state, then runs `change` (as another client would). */
  async function waitWhile(input: Record<string, unknown>, change: () => Promise<unknown>, options: RunStepOptions = {}): Promise<StepRun> {
    const first = firstLog();
    const running = runStep('wait', input, { ...options, onEvent: first.onEvent });
    const message = await Promise.race([first.logged, running.then((r) => `ended early: ${r.status} ${r.error ?? ''}`)]);
    expect(message).not.toMatch(/^ended early/);
    await change();
    return running;
  }

  const setStatus = (obj: KubeObject, status: Record<string, unknown>) => side.patch(refTo(obj), 'merge', { status }, { subresource: 'status' });
  const nbTarget = (name: string, extra: Record<string, unknown>) => ({ ...NOTEBOOK, name, namespace: ns, timeout: '30s', ...extra });

  it('condition: ends when the condition turns True, with zero writes', async () => {
    const nb = await kube.create(notebook('cond', ns));
    const run = await waitWhile(nbTarget('cond', { for: { condition: { type: 'Ready' } } }), () => setStatus(nb, { conditions: [{ type: 'Ready', status: 'True', reason: 'Running' }] }));
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('ok');
    expect(run.result?.summary).toBe('Ready=True (Running)');
    expect(run.logs[0]).toBe('no Ready condition yet');
    expect(run.calls.writes).toBe(0);
    expect(run.calls.watches).toBe(1);
    expect((run.output as KubeObject).metadata.name).toBe('cond');
  });

  it('expression: CEL over the object; fields not there yet are waited for', async () => {
    const nb = await kube.create(notebook('expr', ns));
    const expression = 'object.status.readyReplicas >= 2';
    const run = await waitWhile(nbTarget('expr', { for: { expression } }), async () => {
      await setStatus(nb, { readyReplicas: 1 });
      await setStatus(nb, { readyReplicas: 2 });
    });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('ok');
    expect(run.result?.summary).toBe(`${expression} holds`);
    expect(run.logs).toEqual([`${expression} cannot be judged yet: No such key: status`, `${expression} is false`, `${expression} holds`]);
  });

  it('expression: one that cannot work fails at once, naming it', async () => {
    await kube.create(notebook('expr-bad', ns));
    const run = await runStep('wait', nbTarget('expr-bad', { for: { expression: 'object.metadata.name + 1 == 2' } }));
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/object.metadata.name \+ 1 == 2: no such overload/);
  });

  it('jsonpath: a kubectl-style path and the value it must give', async () => {
    const nb = await kube.create(notebook('jsonpath', ns));
    const run = await waitWhile(nbTarget('jsonpath', { for: { jsonpath: '{.status.phase}', value: 'Running' } }), async () => {
      await setStatus(nb, { phase: 'Pending' });
      await setStatus(nb, { phase: 'Running' });
    });
    expect(run.status).toBe('ok');
    expect(run.result?.summary).toBe('{.status.phase} = Running');
    expect(run.logs).toEqual(['{.status.phase} = <none>, want Running', '{.status.phase} = Pending, want Running', '{.status.phase} = Running']);
  });

  it('ready by kind: a Deployment is ready when its replicas are updated and available', async () => {
    const labels = { app: 'ready' };
    const deployment = await kube.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'ready', namespace: ns },
      spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'c:1' }] } } },
    });
    const generation = deployment.metadata.generation;
    const run = await waitWhile({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'ready', namespace: ns, for: { ready: true }, timeout: '30s' }, async () => {
      // What the deployment controller would write, step by step.
      await setStatus(deployment, { observedGeneration: generation, replicas: 2, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1 });
      await setStatus(deployment, { observedGeneration: generation, replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 });
    });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('ok');
    expect(run.result?.summary).toBe('2 of 2 replicas available');
    expect(run.logs).toContain('1 of 2 replicas available');
  });

  it('exists: an object that does not exist yet', async () => {
    const run = await waitWhile(nbTarget('later', { for: { exists: true } }), () => side.create(notebook('later', ns, { sidecar: false })));
    expect(run.status).toBe('ok');
    expect(run.logs).toEqual(['does not exist yet', 'exists']);
  });

  it('deleted: ends when the last finalizer is gone', async () => {
    const nb = await kube.create(notebook('going', ns));
    const run = await waitWhile(nbTarget('going', { for: { deleted: true } }), async () => {
      await side.delete(refTo(nb));
      await dropFinalizers(side, refTo(nb));
    });
    expect(run.status).toBe('ok');
    expect(run.logs[0]).toBe('still exists');
    expect(run.logs.at(-1)).toBe('deleted');
  });

  it('count: a number of matches of a selector', async () => {
    const input = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, labelSelector: 'wave=one', for: { count: { min: 3 } }, timeout: '30s' };
    const run = await waitWhile(input, async () => {
      for (let i = 0; i < 3; i++) await side.create(configMap(`wave-${i}`, ns, {}, { wave: 'one' }));
    });
    expect(run.status).toBe('ok');
    expect(run.logs[0]).toBe('0 match (want 3 or more)');
    expect(run.result?.summary).toBe('3 match');
    expect((run.output as KubeObject[]).map((o) => o.metadata.name).sort()).toEqual(['wave-0', 'wave-1', 'wave-2']);
  });

  it('a state that already holds ends at once: one list, no watch', async () => {
    await kube.create(configMap('there', ns));
    const run = await runStep('wait', { apiVersion: 'v1', kind: 'ConfigMap', name: 'there', namespace: ns, for: { exists: true } });
    expect(run.status).toBe('ok');
    expect(run.calls).toMatchObject({ reads: 1, watches: 0, writes: 0 });
  });

  it('failWhen ends the wait at once, with what it saw', async () => {
    const nb = await kube.create(notebook('fails', ns));
    const started = Date.now();
    const run = await waitWhile(
      nbTarget('fails', { for: { condition: { type: 'Ready' } }, failWhen: [{ condition: { type: 'Degraded' } }, { jsonpath: '{.status.phase}', value: 'Failed' }], timeout: '60s' }),
      () => setStatus(nb, { conditions: [{ type: 'Degraded', status: 'True', reason: 'ImagePullBackOff', message: 'image x:1 not found' }] }),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.status).toBe('failed');
    expect(run.error).toBe(`Notebook ${ns}/fails: Degraded=True (ImagePullBackOff): image x:1 not found`);
    expect(run.result?.error?.data?.lastState).toMatchObject({ exists: true, name: 'fails' });
  });

  it('a timeout names the last state seen, in the message and the data', async () => {
    const nb = await kube.create(notebook('slow', ns));
    await setStatus(nb, { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [slow]' }] });
    const run = await runStep('wait', nbTarget('slow', { for: { condition: { type: 'Ready' } }, timeout: '1500ms' }));
    expect(run.status).toBe('failed');
    expect(run.error).toBe(`timed out after 1.5s waiting for Notebook ${ns}/slow: Ready=False (ContainersNotReady): containers with unready status: [slow]`);
    expect(run.result?.error?.data?.lastState).toMatchObject({
      exists: true,
      phase: 'Pending',
      conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }],
    });
  });

  it('survives watches the server ends early, and still sees the change', async () => {
    const nb = await kube.create(notebook('reconnect', ns));
    const run = await waitWhile(
      nbTarget('reconnect', { for: { condition: { type: 'Ready' } } }),
      async () => {
        // Long enough for the server to end two one-second watches.
        await new Promise((r) => setTimeout(r, 2_500));
        await setStatus(nb, { conditions: [{ type: 'Ready', status: 'True' }] });
      },
      { kube: shortWatches(kube, 1) },
    );
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('ok');
    // At least one watch ended by the server and a new one opened, with no event lost between.
    expect(run.calls.watches).toBeGreaterThanOrEqual(2);
  });

  it('dry run: reads the state once and says what it would wait for', async () => {
    await kube.create(notebook('dry', ns));
    const run = await runStep('wait', nbTarget('dry', { for: { condition: { type: 'Ready' } } }), { dryRun: 'client' });
    expect(run.status).toBe('ok');
    expect(run.result?.summary).toBe(`would wait for Notebook ${ns}/dry: no Ready condition yet`);
    expect(run.calls).toMatchObject({ writes: 0, watches: 0 });
  });

  // The RayCluster finding: after a spec change the status still describes the previous spec
  // (here: failed) until the controller observes the new generation. Neither `for` nor `failWhen`
  // may judge it before; the status is written through the status subresource as KubeRay would.
  describe('a status of an older generation', () => {
    const RAY = { apiVersion: 'ray.io/v1', kind: 'RayCluster' } as const;
    const rayCluster = (name: string): KubeObject => ({
      ...RAY,
      metadata: { name, namespace: ns },
      spec: { headGroupSpec: { rayStartParams: {}, template: { spec: { containers: [{ name: 'ray-head', image: 'ray:2.9' }] } } } },
    });
    const waitInput = (name: string) => ({
      ...RAY,
      name,
      namespace: ns,
      for: { jsonpath: '{.status.state}', value: 'ready' },
      failWhen: [{ jsonpath: '{.status.state}', value: 'failed' }, { condition: { type: 'HeadPodReady', status: 'False' } }],
      timeout: '30s',
    });
    const failedStatus = { state: 'failed', reason: 'head pod crashed', conditions: [{ type: 'HeadPodReady', status: 'False', reason: 'CrashLoopBackOff' }] };

    /** A RayCluster whose controller saw generation 1 fail, and whose spec was then changed (generation 2). */
    async function failedThenChanged(name: string): Promise<KubeObject> {
      const created = await kube.create(rayCluster(name));
      await setStatus(created, { observedGeneration: 1, ...failedStatus });
      const changed = await kube.patch(refTo(created), 'merge', { spec: { headGroupSpec: { rayStartParams: { 'num-cpus': '1' } } } });
      expect(changed.metadata.generation).toBe(2);
      expect((changed.status as { observedGeneration?: number }).observedGeneration).toBe(1);
      return changed;
    }

    it('is pending, for success and failWhen alike, until observedGeneration reaches the generation', async () => {
      const rc = await failedThenChanged('stale');
      const run = await waitWhile(waitInput('stale'), async () => {
        // Written again for the old generation: still not a verdict.
        await setStatus(rc, { observedGeneration: 1, ...failedStatus });
        await new Promise((r) => setTimeout(r, 300));
        // The controller observes generation 2 and the cluster comes up.
        await setStatus(rc, { observedGeneration: 2, state: 'ready', reason: null, conditions: [{ type: 'HeadPodReady', status: 'True' }] });
      });
      expect(run.error).toBeUndefined();
      expect(run.status).toBe('ok');
      expect(run.result?.summary).toBe('{.status.state} = ready');
      expect(run.logs).toEqual(['waiting for the controller to observe generation 2 (its status is of generation 1)', '{.status.state} = ready']);
      expect(run.calls.writes).toBe(0);
    });

    it('failWhen fires once the failure is of the current generation', async () => {
      const rc = await failedThenChanged('fails');
      const run = await waitWhile(waitInput('fails'), () => setStatus(rc, { observedGeneration: 2, ...failedStatus }));
      expect(run.status).toBe('failed');
      expect(run.error).toBe(`RayCluster ${ns}/fails: {.status.state} = failed`);
      expect(run.logs[0]).toBe('waiting for the controller to observe generation 2 (its status is of generation 1)');
    });
  });

  it('a condition of the wrong shape is refused before the run, with what to give', async () => {
    await expect(runStep('wait', nbTarget('dry', { for: { exists: true, deleted: true } }))).rejects.toThrow(/"for" does not match any allowed form: give exactly one of ready, exists, deleted.*\s+hint: Exactly one of: ready, exists, deleted/);
  });
});
