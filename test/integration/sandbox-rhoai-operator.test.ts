// The simulated RHOAI operator's DSC/DSCI API on the `full` scenario, walked from 2.25 to 3.3 by
// hand: the 2.25 CRDs (v1 only); the 3.3 CRDs OLM brings with the CSV (v1 + v2,
// v2 storage, conversion by the operator's webhook, pruning); the 3.3 validating webhook; the status
// texts of the 3.3 operator; and the runbook's during/dsc-ready step failing fast on the real Kueue
// text. The tests run in order on one cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { CODEFLARE_PRESENT_MESSAGE, KUEUE_MANAGED_MESSAGE } from '../../src/sandbox/simulator/components.js';
import { runCli } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';
import { DSC_V1, DSC_V2, DSCI_V1, OLM, RHOAI_NS, RHOAI_SUB, conditionOf, startTestSandbox, statusOf, until } from './support/sandbox.js';

const DSCI_V2 = { apiVersion: 'dscinitialization.opendatahub.io/v2', kind: 'DSCInitialization', name: 'default-dsci' } as const;
const CRD = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };
const DSC_CRD = { ...CRD, name: 'datascienceclusters.datasciencecluster.opendatahub.io' };
const DSCI_CRD = { ...CRD, name: 'dscinitializations.dscinitialization.opendatahub.io' };

let sandbox: Sandbox;
let kube: KubeClient;

beforeAll(async () => {
  sandbox = await startTestSandbox({ scenario: 'full', speed: 0 });
  kube = sandbox.kube;
});

afterAll(async () => {
  await sandbox?.stop();
});

/** What the API server said when it refused a request (the client rewords every 403 as RBAC). */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { data?: { serverMessage?: string } }).data?.serverMessage ?? (err as Error).message;
  }
  throw new Error('expected the API server to refuse the request');
}

type Components = Record<string, Record<string, unknown> | undefined>;
const componentsOf = (o: KubeObject | null): Components => ((o?.spec as { components?: Components } | undefined)?.components ?? {}) as Components;

describe('on 2.25', () => {
  it('serves DSC and DSCI as v1 only, without conversion', async () => {
    await until(kube, DSC_V1, 'the DSC Ready on 2.25.4', (o) => statusOf(o).phase === 'Ready');
    for (const ref of [DSC_CRD, DSCI_CRD]) {
      const crd = await kube.get(ref);
      const spec = crd!.spec as { versions: { name: string; served: boolean; storage: boolean }[]; conversion?: { strategy: string } };
      expect(spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([['v1', true, true]]);
      expect(spec.conversion?.strategy ?? 'None').toBe('None');
    }
    await expect(kube.get(DSC_V2)).rejects.toThrow(/does not serve datasciencecluster.opendatahub.io\/v2/);
  });

  it('writes the 2.25 conditions: Removed components, installedComponents, the DSCI mesh capability', async () => {
    const dsc = await kube.get(DSC_V1);
    expect(conditionOf(dsc, 'Ready')).toMatchObject({ status: 'True' });
    expect(conditionOf(dsc, 'ComponentsReady')?.status).toBe('True');
    expect(conditionOf(dsc, 'DataSciencePipelinesReady')?.status).toBe('True');
    expect(conditionOf(dsc, 'TrainingOperatorReady')).toMatchObject({ status: 'False', reason: 'Removed', message: 'Component ManagementState is set to Removed' });
    expect(statusOf<{ installedComponents: Record<string, boolean> }>(dsc).installedComponents).toMatchObject({ 'data-science-pipelines-operator': true, 'model-mesh': true, trainingoperator: false });
    const dsci = await kube.get(DSCI_V1);
    expect(statusOf(dsci).phase).toBe('Ready');
    expect(conditionOf(dsci, 'Ready')).toBeUndefined();
    expect(conditionOf(dsci, 'ReconcileComplete')).toMatchObject({ status: 'True', reason: 'ReconcileCompleted', message: 'Reconcile completed successfully' });
    expect(conditionOf(dsci, 'CapabilityServiceMesh')?.status).toBe('True');
  });

  it('prunes what the 2.25 schema does not know', async () => {
    await kube.patch(DSC_V1, 'merge', { metadata: { annotations: { 'runbook.dev/test': 'prune' } }, spec: { components: { ray: { bogus: true } } } });
    expect(componentsOf(await kube.get(DSC_V1)).ray).toEqual({ managementState: 'Managed' });
  });
});

describe('the 3.3 operator installed by OLM', () => {
  it('replaces the DSC and DSCI CRDs: v1 and v2 served, v2 storage, conversion by the webhook', async () => {
    await kube.patch(RHOAI_SUB, 'merge', { spec: { channel: 'support-required-upgrade' } });
    const sub = await until(kube, RHOAI_SUB, 'a 3.3.2 plan', (o) => statusOf(o).currentCSV === 'rhods-operator.3.3.2');
    const plan = { apiVersion: OLM, kind: 'InstallPlan', name: statusOf<{ installPlanRef: { name: string } }>(sub).installPlanRef.name, namespace: RHOAI_NS };
    await kube.patch(plan, 'merge', { spec: { approved: true } });
    await until(kube, { apiVersion: OLM, kind: 'ClusterServiceVersion', name: 'rhods-operator.3.3.2', namespace: RHOAI_NS }, 'the 3.3.2 CSV Succeeded', (o) => statusOf(o).phase === 'Succeeded');
    await until(kube, DSC_V2, 'the DSC reconciled by 3.3.2', (o) => (statusOf(o).release as { version?: string } | undefined)?.version === '3.3.2');
    for (const ref of [DSC_CRD, DSCI_CRD]) {
      const spec = (await kube.get(ref))!.spec as { versions: { name: string; served: boolean; storage: boolean }[]; conversion: { strategy: string; webhook: { clientConfig: { url: string; caBundle: string }; conversionReviewVersions: string[] } } };
      expect(spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([['v1', true, false], ['v2', true, true]]);
      expect(spec.conversion.strategy).toBe('Webhook');
      expect(spec.conversion.webhook.clientConfig.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/convert$/);
      expect(spec.conversion.webhook.conversionReviewVersions).toEqual(['v1', 'v2']);
    }
    const hooks = (await kube.list({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration' })).items.map((h) => h.metadata.name).sort();
    expect(hooks).toEqual(['datasciencecluster-v1-validator.opendatahub.io', 'datasciencecluster-v2-validator.opendatahub.io', 'dscinitialization-v1-validator.opendatahub.io', 'dscinitialization-v2-validator.opendatahub.io', 'kubeflow-kueuelabels-validator.opendatahub.io']);
  });

  it('converts the DSC stored as v1 by 2.25: v2 shows aipipelines, no codeflare, modelmeshserving or kserve.serving', async () => {
    const v2 = componentsOf(await kube.get(DSC_V2));
    expect(v2.aipipelines).toEqual({ managementState: 'Managed' });
    expect(v2).not.toHaveProperty('datasciencepipelines');
    expect(v2).not.toHaveProperty('codeflare');
    expect(v2).not.toHaveProperty('modelmeshserving');
    expect(v2.kserve).not.toHaveProperty('serving');
    expect(v2.kserve).not.toHaveProperty('defaultDeploymentMode');
    expect(v2.kserve).not.toHaveProperty('devFlags');
    expect(v2.trainer).toEqual({ managementState: 'Removed' });
    expect(v2.mlflowoperator).toEqual({ managementState: 'Removed' });
  });

  it('reports the operator texts: Kueue Managed refused, Ray failed by CodeFlare, ComponentsReady and Ready NotReady', async () => {
    const dsc = await kube.get(DSC_V2);
    expect(conditionOf(dsc, 'KueueReady')).toMatchObject({ status: 'False', reason: 'Error', message: KUEUE_MANAGED_MESSAGE });
    expect(conditionOf(dsc, 'RayReady')).toMatchObject({ status: 'False', reason: 'Error', message: CODEFLARE_PRESENT_MESSAGE });
    expect(CODEFLARE_PRESENT_MESSAGE.split('\n')).toHaveLength(2);
    expect(conditionOf(dsc, 'ComponentsReady')).toMatchObject({ status: 'False', reason: 'NotReady', message: 'Some components are not ready: kueue,ray' });
    expect(conditionOf(dsc, 'Ready')).toMatchObject({ status: 'False', reason: 'NotReady', message: 'Some components are not ready: kueue,ray' });
    expect(statusOf(dsc).phase).toBe('Not Ready');
    expect(conditionOf(dsc, 'AIPipelinesReady')?.status).toBe('True');
    expect(conditionOf(dsc, 'TrainerReady')).toMatchObject({ status: 'False', reason: 'Removed', message: 'Component ManagementState is set to Removed', severity: 'Info' });
    expect(conditionOf(dsc, 'MLflowOperatorReady')).toMatchObject({ status: 'False', reason: 'Removed' });
    expect(conditionOf(dsc, 'ModelControllerReady')?.status).toBe('True');
    expect(conditionOf(dsc, 'CodeFlareReady')).toBeUndefined();
    expect(conditionOf(dsc, 'ModelMeshServingReady')).toBeUndefined();
    // The pipelines CR keeps its 2.x name; the 3.3 operator leaves CodeFlare and ModelMesh CRs alone.
    const component = (kind: string, name: string) => kube.get({ apiVersion: 'components.platform.opendatahub.io/v1alpha1', kind, name });
    expect(conditionOf(await component('DataSciencePipelines', 'default-datasciencepipelines'), 'Ready')?.status).toBe('True');
    expect(conditionOf(await component('Kueue', 'default-kueue'), 'Ready')).toMatchObject({ status: 'False', reason: 'Error', message: KUEUE_MANAGED_MESSAGE });
    expect(await component('CodeFlare', 'default-codeflare')).not.toBeNull();
    expect(await component('ModelMeshServing', 'default-modelmeshserving')).not.toBeNull();
  });

  it('reads back through v1 with the 3.3 v1 shape: datasciencepipelines, DataSciencePipelinesReady, installedComponents', async () => {
    const v1 = await kube.get(DSC_V1);
    const components = componentsOf(v1);
    expect(components.datasciencepipelines).toEqual({ managementState: 'Managed' });
    expect(components).not.toHaveProperty('aipipelines');
    expect(components).not.toHaveProperty('trainer');
    expect(conditionOf(v1, 'DataSciencePipelinesReady')?.status).toBe('True');
    expect(conditionOf(v1, 'AIPipelinesReady')).toBeUndefined();
    expect(statusOf<{ installedComponents: Record<string, boolean> }>(v1).installedComponents).toMatchObject({ 'data-science-pipelines-operator': true, kueue: true, 'model-registry-operator': true, trainingoperator: false });
  });

  it('refuses a v1 write while Kueue is Managed, with the webhook text', async () => {
    const message = await refusal(kube.patch(DSC_V1, 'merge', { spec: { components: { trustyai: { managementState: 'Removed' } } } }));
    expect(message).toContain('admission webhook "datasciencecluster-v1-validator.opendatahub.io" denied the request: Managed is no longer supported as a managementState');
    const again = await refusal(kube.patch(DSC_V1, 'merge', { spec: { components: { kueue: { managementState: 'Managed' } } } }));
    expect(again).toContain('Managed is no longer supported as a managementState');
  });

  it('writes through v2 (no Kueue check there), and v1 and v2 then read the same object each its own way', async () => {
    await kube.patch(DSC_V2, 'merge', { spec: { components: { kueue: { managementState: 'Unmanaged' }, mlflowoperator: { managementState: 'Managed' } } } });
    const v2 = componentsOf(await kube.get(DSC_V2));
    expect(v2.aipipelines).toEqual({ managementState: 'Managed' });
    expect(v2).not.toHaveProperty('datasciencepipelines');
    expect(v2.mlflowoperator).toEqual({ managementState: 'Managed' });
    const v1 = componentsOf(await kube.get(DSC_V1));
    expect(v1.datasciencepipelines).toEqual({ managementState: 'Managed' });
    expect(v1).not.toHaveProperty('aipipelines');
    expect(v1).not.toHaveProperty('mlflowoperator');
    // A write through v1 resets mlflowoperator to Removed, as the operator's conversion does.
    await kube.patch(DSC_V1, 'merge', { spec: { components: { trustyai: { managementState: 'Managed' } } } });
    expect(componentsOf(await kube.get(DSC_V2)).mlflowoperator).toEqual({ managementState: 'Removed' });
  });

  it('Kueue Unmanaged without its operator, then the operator installed', async () => {
    const missing = await until(kube, DSC_V2, 'KueueReady without the Kueue operator', (o) => conditionOf(o, 'KueueReady')?.message === 'Kueue operator not installed, install it or change kueue component state to Removed');
    expect(conditionOf(missing, 'KueueReady')).toMatchObject({ status: 'False', reason: 'Error' });
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'openshift-kueue-operator' } });
    await kube.create({ apiVersion: 'operators.coreos.com/v1', kind: 'OperatorGroup', metadata: { name: 'kueue', namespace: 'openshift-kueue-operator' }, spec: {} });
    await kube.create({ apiVersion: OLM, kind: 'Subscription', metadata: { name: 'kueue-operator', namespace: 'openshift-kueue-operator' }, spec: { name: 'kueue-operator', channel: 'stable-v1.1', source: 'redhat-operators', sourceNamespace: 'openshift-marketplace', installPlanApproval: 'Automatic' } });
    const ok = await until(kube, DSC_V2, 'KueueReady True', (o) => conditionOf(o, 'KueueReady')?.status === 'True', 60_000);
    expect(conditionOf(ok, 'ComponentsReady')?.message).toBe('Some components are not ready: ray');
  });

  it('recovers Ray once the CodeFlare CR is deleted', async () => {
    await kube.delete({ apiVersion: 'components.platform.opendatahub.io/v1alpha1', kind: 'CodeFlare', name: 'default-codeflare' });
    const ready = await until(kube, DSC_V2, 'the DSC Ready', (o) => statusOf(o).phase === 'Ready');
    expect(conditionOf(ready, 'RayReady')?.status).toBe('True');
    expect(conditionOf(ready, 'Ready')?.status).toBe('True');
    expect(conditionOf(ready, 'ComponentsReady')?.status).toBe('True');
  });

  it('serves the DSCI as v2 without serviceMesh, Ready with the five DSCI conditions, and refuses its deletion', async () => {
    const dsci = await until(kube, DSCI_V2, 'the DSCI on 3.3.2', (o) => (statusOf(o).release as { version?: string } | undefined)?.version === '3.3.2');
    expect(dsci.spec).not.toHaveProperty('serviceMesh');
    expect(statusOf(dsci).phase).toBe('Ready');
    for (const [type, status] of [['ReconcileComplete', 'True'], ['Available', 'True'], ['Progressing', 'False'], ['Degraded', 'False'], ['Upgradeable', 'True']]) {
      expect(conditionOf(dsci, type!), type).toMatchObject({ status, reason: 'ReconcileCompleted', message: 'Reconcile completed successfully' });
    }
    expect(conditionOf(dsci, 'Ready')).toBeUndefined();
    expect(await refusal(kube.delete(DSCI_V2))).toContain('Cannot delete DSCInitialization v2 object when DataScienceCluster object still exists');
    expect(await refusal(kube.delete(DSCI_V1))).toContain('Cannot delete DSCInitialization v1 object when DataScienceCluster object still exists');
    expect(await refusal(kube.create({ ...DSC_V2, metadata: { name: 'second-dsc' }, spec: { components: {} } }))).toContain('Only one instance of DataScienceCluster object is allowed');
  });
});

describe('the runbook on 3.3 with Kueue set Managed through v2', () => {
  it('KueueReady carries the operator text and during/dsc-ready fails at once with it', { timeout: 300_000 }, async () => {
    await kube.patch(DSC_V2, 'merge', { spec: { components: { kueue: { managementState: 'Managed' } } } });
    const dsc = await until(kube, DSC_V2, 'KueueReady refused', (o) => conditionOf(o, 'KueueReady')?.message === KUEUE_MANAGED_MESSAGE);
    expect(conditionOf(dsc, 'KueueReady')).toMatchObject({ status: 'False', reason: 'Error' });
    expect(conditionOf(dsc, 'Ready')).toMatchObject({ status: 'False', reason: 'NotReady', message: 'Some components are not ready: kueue' });

    const started = Date.now();
    const run = await runCli([
      'run', 'runbooks/rhoai-2.25-to-3.3/during/operator-upgrade.yaml',
      // during/names finds the DSC the wait names (the runbook's dscName is empty: the only one).
      '--only', 'during/names', '--only', 'during/dsc-ready',
      '--kubeconfig', sandbox.controlPlane.kubeconfigPath,
      '--state-dir', scratchDir('runbook-dsc-ready-'), '--yes', '-o', 'json',
    ]);
    expect(run.code, run.stderr).toBe(1);
    // Far below the step's 30 minute timeout: failWhen ended it.
    expect(Date.now() - started).toBeLessThan(60_000);
    const failed = run.events.find((e) => e.type === 'node:end' && (e.result as { status: string }).status === 'failed' && (e.node as { kind: string }).kind === 'step');
    expect((failed!.node as { id: string }).id).toBe('during/dsc-ready');
    expect(JSON.stringify(failed!.result)).toContain(KUEUE_MANAGED_MESSAGE);
  });

  it('the verification reports what 3.3 reports: Kueue, the components and the DSC not ready; KServe ready', { timeout: 120_000 }, async () => {
    const run = await runCli([
      'run', 'runbooks/rhoai-2.25-to-3.3/verify/verify.yaml',
      '--only', 'verify/names', '--only', 'verify/dsci', '--only', 'verify/dsc', '--only', 'verify/kserve', '--only', 'verify/kueue', '--only', 'verify/components',
      '--kubeconfig', sandbox.controlPlane.kubeconfigPath,
      '--state-dir', scratchDir('runbook-verify-'), '--yes', '-o', 'json',
    ]);
    expect(run.findings.map((f) => f.check).sort()).toEqual(['verify-components', 'verify-dsc', 'verify-kueue']);
    expect(run.code, run.stderr).toBe(3);
  });
});
