// The `installOperator` step through the executor, with the test playing OLM: namespace,
// OperatorGroup and Subscription are created, the plan OLM makes is installed (approved by the
// step when approval is Manual), and the step ends when the CSV has Succeeded. A re-run writes
// nothing; dry runs create nothing.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { uniqueName } from './support/cluster.js';
import { deleteNamespace, live } from './support/objects.js';
import { INSTALL_PLAN, OPERATOR_GROUP, OlmPlayer, SUBSCRIPTION } from './support/olm-player.js';
import { adminKube, runStep, sideKube } from './support/run-step.js';

describe('installOperator step', () => {
  let kube: KubeClient;
  let ns: string;
  let olm: OlmPlayer;
  const namespaces: string[] = [];

  beforeEach(() => {
    kube = adminKube();
    ns = uniqueName('steps-install');
    namespaces.push(ns);
    olm = new OlmPlayer(sideKube(), ns);
  });
  afterEach(() => olm.stop());
  afterAll(async () => {
    for (const n of namespaces) await deleteNamespace(kube, n);
  });

  it('Automatic: creates namespace, OperatorGroup and Subscription, and ends with the CSV Succeeded', async () => {
    olm.start();
    const input = { package: 'kueue-operator', namespace: ns, channel: 'stable-v1.1', targetNamespaces: [], timeout: '60s' };
    const run = await runStep('installOperator', input);
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('changed');
    expect(run.result?.summary).toBe(`kueue-operator.v1.0.0 Succeeded (created Namespace ${ns}, OperatorGroup ${ns}/${ns}, Subscription ${ns}/kueue-operator)`);
    expect(run.output).toEqual({ csv: 'kueue-operator.v1.0.0' });
    const sub = await live(kube, { ...SUBSCRIPTION, name: 'kueue-operator', namespace: ns });
    expect(sub.spec).toEqual({
      name: 'kueue-operator',
      channel: 'stable-v1.1',
      source: 'redhat-operators',
      sourceNamespace: 'openshift-marketplace',
      installPlanApproval: 'Automatic',
    });
    const group = await live(kube, { ...OPERATOR_GROUP, name: ns, namespace: ns });
    // The API server fills upgradeStrategy's default (operator-framework/api operatorgroups CRD).
    expect(group.spec).toEqual({ upgradeStrategy: 'Default' });

    const again = await runStep('installOperator', input);
    expect(again.status).toBe('ok');
    expect(again.result?.reason).toBe('kueue-operator.v1.0.0 is installed and Succeeded');
    expect(again.calls.writes).toBe(0);
  });

  it('Manual: approves the plan for the starting CSV and keeps an existing OperatorGroup', async () => {
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await kube.create({ ...OPERATOR_GROUP, metadata: { name: 'own-group', namespace: ns }, spec: { targetNamespaces: [ns] } });
    olm.start();
    const run = await runStep('installOperator', {
      package: 'rhods-operator',
      namespace: ns,
      channel: 'stable-3.3',
      approval: 'Manual',
      startingCSV: 'rhods-operator.3.3.2',
      timeout: '60s',
    });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('changed');
    expect(run.result?.summary).toBe(`rhods-operator.3.3.2 Succeeded (created Subscription ${ns}/rhods-operator)`);
    expect(((await live(kube, { ...INSTALL_PLAN, name: 'install-rhods-operator', namespace: ns })).spec as { approved: boolean }).approved).toBe(true);
    expect((await kube.list({ ...OPERATOR_GROUP, namespace: ns })).items.map((g) => g.metadata.name)).toEqual(['own-group']);
  });

  it('dry runs create nothing and say what they would create', async () => {
    for (const dryRun of ['client', 'server'] as const) {
      const run = await runStep('installOperator', { package: 'kueue-operator', namespace: ns, channel: 'stable-v1.1' }, { dryRun });
      expect(run.error).toBeUndefined();
      expect(run.status).toBe('changed');
      expect(run.result?.summary).toBe(`would create Namespace ${ns}, OperatorGroup ${ns}/${ns}, Subscription ${ns}/kueue-operator`);
      if (dryRun === 'client') expect(run.calls.writes).toBe(0);
    }
    expect(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })).toBeNull();
  });

  it('a failed install plan ends the step at once with OLM\'s message', async () => {
    olm.failing.set('broken-operator.v1.0.0', 'unpack job failed');
    olm.start();
    const started = Date.now();
    const run = await runStep('installOperator', { package: 'broken-operator', namespace: ns, channel: 'stable', timeout: '60s' });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(run.status).toBe('failed');
    expect(run.error).toBe(`Subscription ${ns}/broken-operator: InstallPlanFailed=True (InstallComponentFailed): unpack job failed`);
  });
});
