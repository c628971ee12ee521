// The simulator's injected faults, from a scenario file on top of `minimal`, at a small realistic
// speed (slowOperators only shows with delays): a DSC that never becomes Ready, an InstallPlan
// that fails with its message, operators that take ten times longer to install, and API faults
// between the user and the API server (a proxy) that the simulated operators never see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { runStep } from './support/run-step.js';
import { DSC_V1, DSCI_V1, OLM, RHOAI_NS, RHOAI_SUB, conditionOf, scratchFiles, startTestSandbox, statusOf, until } from './support/sandbox.js';

const SPEED = 0.05;
const SCENARIO = `apiVersion: runbook.dev/v1
kind: SandboxScenario
metadata:
  name: faulty
  description: minimal with every simulator fault
spec:
  base: minimal
  faults:
    dscNeverReady: true
    installPlanFails: [rhods-operator.3.3.2]
    slowOperators: [kueue-operator]
    api: { seed: 7, errors: 0.3, watchCutAfterEvents: 2 }
`;

let sandbox: Sandbox;
let kube: KubeClient;
let files: ReturnType<typeof scratchFiles>;

beforeAll(async () => {
  files = scratchFiles({ 'faulty.yaml': SCENARIO });
  sandbox = await startTestSandbox({ scenario: `${files.dir}/faulty.yaml`, speed: SPEED });
  kube = sandbox.kube;
});

afterAll(async () => {
  await sandbox?.stop();
  files?.remove();
});

describe('simulator faults', () => {
  it('dscNeverReady: the DSC stays Not Ready with the reconcile error; the DSCI is Ready', async () => {
    expect(sandbox.scenario).toBe('faulty');
    const dsc = await until(kube, DSC_V1, 'the DSC reconciled', (o) => statusOf(o).observedGeneration === o.metadata.generation && conditionOf(o, 'Ready')?.reason === 'Error');
    expect(statusOf(dsc).phase).toBe('Not Ready');
    expect(conditionOf(dsc, 'Ready')?.message).toContain('failed to apply manifests (simulated fault)');
    // Every component is fine: only the fault keeps it from Ready.
    expect(conditionOf(dsc, 'DashboardReady')?.status).toBe('True');
    expect(statusOf(await until(kube, DSCI_V1, 'the DSCI Ready', (o) => statusOf(o).phase === 'Ready')).phase).toBe('Ready');
    // A later spec change does not clear it.
    await kube.patch(DSC_V1, 'merge', { spec: { components: { trustyai: { managementState: 'Removed' } } } });
    const again = await until(kube, DSC_V1, 'the change reconciled', (o) => statusOf(o).observedGeneration === o.metadata.generation && conditionOf(o, 'TrustyAIReady')?.reason === 'Removed');
    expect(statusOf(again).phase).toBe('Not Ready');
  });

  it('installPlanFails: the approved plan fails with its message and the Subscription says so', async () => {
    await kube.patch(RHOAI_SUB, 'merge', { spec: { channel: 'support-required-upgrade' } });
    const pending = await until(kube, RHOAI_SUB, 'the 3.3.2 plan', (o) => statusOf(o).currentCSV === 'rhods-operator.3.3.2');
    const planRef = { apiVersion: OLM, kind: 'InstallPlan', name: statusOf<{ installPlanRef: { name: string } }>(pending).installPlanRef.name, namespace: RHOAI_NS };
    await until(kube, planRef, 'the plan waiting for approval', (o) => statusOf(o).phase === 'RequiresApproval');
    await kube.patch(planRef, 'merge', { spec: { approved: true } });

    const plan = await until(kube, planRef, 'the plan Failed', (o) => statusOf(o).phase === 'Failed');
    const message = 'error creating csv rhods-operator.3.3.2: install strategy failed: deployment rollout failed';
    expect(conditionOf(plan, 'Installed')).toMatchObject({ status: 'False', reason: 'InstallComponentFailed', message });
    const sub = await until(kube, RHOAI_SUB, 'the Subscription UpgradeFailed', (o) => statusOf(o).state === 'UpgradeFailed');
    expect(conditionOf(sub, 'InstallPlanFailed')).toMatchObject({ status: 'True', reason: 'InstallComponentFailed', message });
    expect(statusOf(sub).installedCSV).toBe('rhods-operator.2.25.4');
    // Nothing was installed: 2.25.4 still runs the cluster.
    expect(await kube.get({ apiVersion: OLM, kind: 'ClusterServiceVersion', name: 'rhods-operator.3.3.2', namespace: RHOAI_NS })).toBeNull();
    expect(statusOf(await kube.get({ apiVersion: OLM, kind: 'ClusterServiceVersion', name: 'rhods-operator.2.25.4', namespace: RHOAI_NS })).phase).toBe('Succeeded');
    expect(sandbox.simulator.rhoaiVersion()).toBe('2.25.4');
    expect(statusOf(await kube.get(DSC_V1)).release).toMatchObject({ version: '2.25.4' });
  });

  it('slowOperators: a slow operator installs ten times slower than another', async () => {
    // When each CSV was first seen in each phase, from a watch started before the subscriptions.
    const seen = new Map<string, Map<string, number>>();
    const stop = new AbortController();
    const csvRef = { apiVersion: OLM, kind: 'ClusterServiceVersion' };
    // From a list's resourceVersion: every change after it, however late the watch connects.
    const { resourceVersion } = (await kube.list(csvRef, { allNamespaces: true })).metadata;
    const watching = (async () => {
      for await (const event of kube.watch(csvRef, { allNamespaces: true, ...(resourceVersion ? { resourceVersion } : {}), signal: stop.signal })) {
        const phases = seen.get(event.object.metadata.name!) ?? new Map<string, number>();
        const phase = statusOf(event.object).phase as string | undefined;
        if (phase && !phases.has(phase)) phases.set(phase, Date.now());
        seen.set(event.object.metadata.name!, phases);
      }
    })().catch(() => undefined);
    const subscribe = async (pkg: string, ns: string, channel: string): Promise<void> => {
      await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      await kube.create({ apiVersion: 'operators.coreos.com/v1', kind: 'OperatorGroup', metadata: { name: ns, namespace: ns }, spec: {} });
      const ref = { apiVersion: OLM, kind: 'Subscription', name: pkg, namespace: ns };
      await kube.create({ ...ref, metadata: { name: pkg, namespace: ns }, spec: { name: pkg, channel, source: 'redhat-operators', sourceNamespace: 'openshift-marketplace', installPlanApproval: 'Automatic' } });
      await until(kube, ref, `${pkg} installed`, (o) => statusOf(o).state === 'AtLatestKnown' && Boolean(statusOf(o).installedCSV));
    };
    try {
      await Promise.all([subscribe('kueue-operator', 'openshift-kueue-operator', 'stable-v1.1'), subscribe('job-set', 'openshift-jobset-operator', 'stable-v1.0')]);
    } finally {
      stop.abort();
      await watching;
    }
    const span = (csv: string): number => {
      const phases = seen.get(csv);
      expect([...(phases?.keys() ?? [])], csv).toEqual(['Pending', 'InstallReady', 'Installing', 'Succeeded']);
      return phases!.get('Succeeded')! - phases!.get('Pending')!;
    };
    // The CSV's own phases take 1 + 1.5 + 2 s at speed 1 (timers: lower bounds), ten times that when slow.
    const slow = span('kueue-operator.v1.1.0');
    const normal = span('jobset-operator.v1.0.0');
    expect(slow).toBeGreaterThanOrEqual(4500 * SPEED * 10 * 0.95);
    expect(normal).toBeGreaterThanOrEqual(4500 * SPEED * 0.95);
    expect(normal).toBeLessThan(slow);
    // One plan per subscription, however fast the events came.
    for (const ns of ['openshift-kueue-operator', 'openshift-jobset-operator']) {
      expect((await kube.list({ apiVersion: OLM, kind: 'InstallPlan', namespace: ns })).items).toHaveLength(1);
    }
  });

  it('api: the sandbox kubeconfig meets seeded 500s and cut watches; runbook steps get through by retrying', async () => {
    expect(sandbox.faultProxy).toBeDefined();
    expect(sandbox.kubeconfigPath).not.toBe(sandbox.controlPlane.kubeconfigPath);
    const user = KubeClient.load({ kubeconfig: sandbox.kubeconfigPath, env: {} });
    const resent: string[] = [];
    user.onResend((r) => resent.push(r.error));
    // Every read gets through: the client sends a failed GET again.
    for (let i = 0; i < 40; i++) expect((await user.get(DSC_V1))?.metadata.name).toBe('default-dsc');
    // About 30% of the sends failed, drawn from seed 7, each one sent again.
    expect(resent.length).toBeGreaterThan(4);
    expect(resent.length).toBeLessThan(40);
    expect(resent.every((e) => e.includes('500'))).toBe(true);
    expect(user.stats.resends).toBe(resent.length);

    const since = sandbox.faultProxy!.injected.length;
    const run = await runStep('patch', { ...DSC_V1, patch: { metadata: { annotations: { 'example.com/rehearsed': 'true' } } } }, { kube: user, common: { retries: 8, backoff: { delay: '20ms', factor: 1 } } });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('changed');
    expect((await kube.get(DSC_V1))?.metadata.annotations?.['example.com/rehearsed']).toBe('true');
    expect(sandbox.faultProxy!.injected.length).toBeGreaterThanOrEqual(since);
    // The simulated operators talk to the API server directly: they kept reconciling.
    const dsc = await until(kube, DSC_V1, 'the DSC reconciled', (o) => statusOf(o).observedGeneration === o.metadata.generation);
    expect(conditionOf(dsc, 'Ready')?.message).toContain('simulated fault');
  });
});
