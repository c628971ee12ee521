// The simulator at a realistic pace (scaled by 0.05 so the file stays short): the same upgrade as
// sandbox-simulator.test.ts reaches the same end states, and on the way the objects pass through the
// intermediate phases the real controllers show (CSV Pending → InstallReady → Installing →
// Succeeded, plan Installing, a DSC Not Ready while it reconciles a spec change).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { KUEUE_MANAGED_MESSAGE } from '../../src/sandbox/simulator/components.js';
import { eventually } from './support/cluster.js';
import { DSC_V1, DSC_V2, OLM, RHOAI_NS, RHOAI_SUB, conditionOf, readiness, startTestSandbox, statusOf, until } from './support/sandbox.js';

const SPEED = 0.05;
let sandbox: Sandbox;
let kube: KubeClient;

beforeAll(async () => {
  sandbox = await startTestSandbox({ scenario: 'risky', speed: SPEED });
  kube = sandbox.kube;
});

afterAll(async () => {
  await sandbox?.stop();
});

/**
 * Every phase the objects of a kind go through after now, by name, in order, until stopped: the
 * watch starts from a list's resourceVersion, so it sees each change once and nothing from before.
 */
async function recordPhases(ref: { apiVersion: string; kind: string; namespace?: string }): Promise<{ phases: Map<string, string[]>; stop: () => void }> {
  const phases = new Map<string, string[]>();
  const controller = new AbortController();
  const scope = ref.namespace ? {} : { allNamespaces: true };
  const { resourceVersion } = (await kube.list(ref, scope)).metadata;
  void (async () => {
    try {
      for await (const event of kube.watch(ref, { ...scope, ...(resourceVersion ? { resourceVersion } : {}), signal: controller.signal })) {
        const phase = statusOf(event.object).phase as string | undefined;
        const seen = phases.get(event.object.metadata.name!) ?? [];
        if (phase && seen.at(-1) !== phase) seen.push(phase);
        phases.set(event.object.metadata.name!, seen);
      }
    } catch {
      // stopped
    }
  })();
  return { phases, stop: () => controller.abort() };
}

describe(`risky scenario (full plus models 3.x cannot serve) at speed ${SPEED}`, () => {
  it('starts Ready on 2.25.4', async () => {
    const dsc = await until(kube, DSC_V1, 'the DSC Ready', (o) => statusOf(o).phase === 'Ready');
    expect(statusOf(dsc).release).toMatchObject({ version: '2.25.4' });
  });

  it('shows a DSC spec change as Not Ready while it reconciles, then Ready', async () => {
    const dscs = await recordPhases({ apiVersion: DSC_V1.apiVersion, kind: DSC_V1.kind });
    try {
      await kube.patch(DSC_V1, 'merge', { spec: { components: { trainingoperator: { managementState: 'Managed' } } } });
      const dsc = await until(kube, DSC_V1, 'the change reconciled', (o) => statusOf(o).observedGeneration === o.metadata.generation && statusOf(o).phase === 'Ready');
      expect(conditionOf(dsc, 'TrainingOperatorReady')?.status).toBe('True');
      // The first event is the spec write itself, status untouched yet.
      expect(dscs.phases.get('default-dsc')).toEqual(['Ready', 'Not Ready', 'Ready']);
    } finally {
      dscs.stop();
    }
  });

  it('upgrades to 3.3.2 through every intermediate phase', async () => {
    const csvs = await recordPhases({ apiVersion: OLM, kind: 'ClusterServiceVersion', namespace: RHOAI_NS });
    const plans = await recordPhases({ apiVersion: OLM, kind: 'InstallPlan', namespace: RHOAI_NS });
    try {
      await kube.patch(RHOAI_SUB, 'merge', { spec: { channel: 'support-required-upgrade' } });
      const sub = await until(kube, RHOAI_SUB, 'the 3.3.2 plan', (o) => statusOf(o).currentCSV === 'rhods-operator.3.3.2');
      const planName = statusOf<{ installPlanRef: { name: string } }>(sub).installPlanRef.name;
      const planRef = { apiVersion: OLM, kind: 'InstallPlan', name: planName, namespace: RHOAI_NS };
      await until(kube, planRef, 'the plan waiting for approval', (o) => statusOf(o).phase === 'RequiresApproval');
      const approvedAt = Date.now();
      await kube.patch(planRef, 'merge', { spec: { approved: true } });
      await until(kube, { apiVersion: OLM, kind: 'ClusterServiceVersion', name: 'rhods-operator.3.3.2', namespace: RHOAI_NS }, 'the CSV Succeeded', (o) => statusOf(o).phase === 'Succeeded');
      // Plan 3 s, CSV 1.5 + 1 + 2 s at speed 1: the scaled sum is a lower bound.
      expect(Date.now() - approvedAt).toBeGreaterThanOrEqual((3000 + 4500) * SPEED);
      await until(kube, planRef, 'the plan Complete', (o) => statusOf(o).phase === 'Complete');
      await eventually('the 2.25.4 CSV gone', async () => (await kube.get({ apiVersion: OLM, kind: 'ClusterServiceVersion', name: 'rhods-operator.2.25.4', namespace: RHOAI_NS })) === null);
      expect(plans.phases.get(planName)).toEqual(['RequiresApproval', 'Installing', 'Complete']);
      expect(csvs.phases.get('rhods-operator.3.3.2')).toEqual(['Pending', 'InstallReady', 'Installing', 'Succeeded']);
      expect(csvs.phases.get('rhods-operator.2.25.4')).toEqual(['Replacing']);
    } finally {
      csvs.stop();
      plans.stop();
    }
  });

  it('reaches the same end states as at instant speed', async () => {
    const dsc = await until(kube, DSC_V2, 'the DSC on 3.3.2', (o) => (statusOf(o).release as { version?: string } | undefined)?.version === '3.3.2' && statusOf(o).observedGeneration === o.metadata.generation);
    expect((dsc.spec as { components: Record<string, unknown> }).components).toHaveProperty('aipipelines');
    expect(conditionOf(dsc, 'KueueReady')).toMatchObject({ status: 'False', message: KUEUE_MANAGED_MESSAGE });
    expect(conditionOf(dsc, 'RayReady')?.status).toBe('False');
    expect(statusOf(dsc).phase).toBe('Not Ready');
    await eventually('the workloads judged under 3.3', async () => {
      const isvcs = await readiness(kube, 'serving.kserve.io/v1beta1', 'InferenceService');
      return isvcs['ml-team/granite-chat'] === 'False/ServiceUnavailable' ? true : undefined;
    });
    await sandbox.simulator.settled();
    expect(await readiness(kube, 'serving.kserve.io/v1beta1', 'InferenceService')).toEqual({
      'data-science/summarizer': 'True/Ready',
      'ml-team/granite-chat': 'False/ServiceUnavailable',
      'ml-team/legacy-v0': 'True/Ready',
      'ml-team/sentiment-caikit': 'False/RuntimeRemoved',
      'mm-team/fraud-detector': 'False/ServiceUnavailable',
    });
    expect(await readiness(kube, 'kubeflow.org/v1', 'Notebook')).toEqual({
      'data-science/alice-wb': 'False/RedirectLoop',
      'data-science/bob-custom': 'False/RedirectLoop',
      'data-science/carol-wb': 'False/Stopped',
      'data-science/erin-wb': 'False/Stopped',
      'team-kueue/dana-wb': 'False/RedirectLoop',
    });
  });
});
