// The `subscription` step through the executor against a Subscription on the real API server: the
// channel change that starts an upgrade, only when it differs, both dry-run modes, and a clear
// failure when the subscription is not there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { createNamespace, deleteNamespace, live } from './support/objects.js';
import { OlmPlayer, SUBSCRIPTION } from './support/olm-player.js';
import { adminKube, runStep, sideKube } from './support/run-step.js';

describe('subscription step', () => {
  let kube: KubeClient;
  let ns: string;

  beforeAll(async () => {
    kube = adminKube();
    ns = await createNamespace(kube, 'steps-subscription');
    const olm = new OlmPlayer(sideKube(), ns);
    await olm.installed('rhods-operator', 'rhods-operator', 'rhods-operator.2.25.0', { channel: 'stable-2.25', installPlanApproval: 'Manual' });
  });
  afterAll(() => deleteNamespace(kube, ns));

  const sub = () => live(kube, { ...SUBSCRIPTION, name: 'rhods-operator', namespace: ns });

  it('changes the channel; a second run is ok with zero writes', async () => {
    const input = { name: 'rhods-operator', namespace: ns, channel: 'stable-3.3', installPlanApproval: 'Manual' };
    const first = await runStep('subscription', input);
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('changed');
    expect(first.result?.summary).toBe('channel=stable-3.3, installPlanApproval=Manual');
    expect(first.result?.diff).toMatch(/-\s+channel: stable-2.25/);
    expect(first.result?.diff).toMatch(/\+\s+channel: stable-3.3/);
    expect(first.output).toMatchObject({ installedCSV: 'rhods-operator.2.25.0' });
    const after = await sub();
    expect(after.spec).toMatchObject({ channel: 'stable-3.3', installPlanApproval: 'Manual', name: 'rhods-operator', source: 'redhat-operators' });

    const second = await runStep('subscription', input);
    expect(second.status).toBe('ok');
    expect(second.result?.reason).toBe('the subscription already has these settings');
    expect(second.calls.writes).toBe(0);
    expect((await sub()).metadata.resourceVersion).toBe(after.metadata.resourceVersion);
  });

  it('dry runs: client writes nothing, server stores nothing; both show the change', async () => {
    const before = await sub();
    for (const dryRun of ['client', 'server'] as const) {
      const run = await runStep('subscription', { name: 'rhods-operator', namespace: ns, channel: 'fast-3.x' }, { dryRun });
      expect(run.status).toBe('changed');
      expect(run.result?.diff).toMatch(/\+\s+channel: fast-3.x/);
      if (dryRun === 'client') expect(run.calls.writes).toBe(0);
    }
    expect((await sub()).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('a subscription that does not exist is named, with a hint', async () => {
    const run = await runStep('subscription', { name: 'rhods', namespace: ns, channel: 'stable-3.3' });
    expect(run.status).toBe('failed');
    expect(run.error).toBe(`Subscription ${ns}/rhods does not exist`);
    expect(run.result?.error?.hint).toMatch(/oc get subscriptions -A/);
  });
});
