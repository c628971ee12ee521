// The simulator on the `risky` scenario (`full` plus models 3.x cannot serve), instant speed, on a
// control plane of this file's own: the 2.25 starting state, the OLM upgrade to 3.3 by hand
// (channel, InstallPlan approval), and every "what breaks if you do nothing" of the guides, each
// then fixed the way the guides say.
// The tests run in order and walk one cluster through the upgrade.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { CODEFLARE_PRESENT_MESSAGE, KUEUE_MANAGED_MESSAGE, KUEUE_OPERATOR_NOT_INSTALLED_MESSAGE } from '../../src/sandbox/simulator/components.js';
import { eventually } from './support/cluster.js';
import {
  DSC_V1,
  DSC_V2,
  DSCI_V1,
  OLM,
  RHOAI_NS,
  RHOAI_SUB,
  conditionOf,
  readiness,
  startTestSandbox,
  statusOf,
  until,
} from './support/sandbox.js';

let sandbox: Sandbox;
let kube: KubeClient;

beforeAll(async () => {
  sandbox = await startTestSandbox({ scenario: 'risky', speed: 0 });
  kube = sandbox.kube;
});

afterAll(async () => {
  await sandbox?.stop();
});

const ISVC = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' };
const NOTEBOOK = { apiVersion: 'kubeflow.org/v1', kind: 'Notebook' };
const CSV = (name: string, namespace = RHOAI_NS) => ({ apiVersion: OLM, kind: 'ClusterServiceVersion', name, namespace });

async function operatorPods(namespace: string, deployment: string): Promise<string[]> {
  const pods = await kube.list({ apiVersion: 'v1', kind: 'Pod', namespace }, { labelSelector: `name=${deployment}` });
  return pods.items.map((p) => p.metadata.name!).sort();
}

async function settled(): Promise<void> {
  await sandbox.simulator.settled();
}

describe('risky scenario on 2.25.4', () => {
  it('has the DSC and DSCI Ready on 2.25.4', async () => {
    const dsc = await until(kube, DSC_V1, 'the DSC Ready', (o) => statusOf(o).phase === 'Ready');
    expect(statusOf(dsc).release).toEqual({ name: 'OpenShift AI Self-Managed', version: '2.25.4' });
    expect(conditionOf(dsc, 'Ready')?.status).toBe('True');
    expect(conditionOf(dsc, 'KserveReady')?.status).toBe('True');
    expect(conditionOf(dsc, 'KueueReady')?.status).toBe('True');
    expect(conditionOf(dsc, 'DataSciencePipelinesReady')?.status).toBe('True');
    // A Removed component reports False with reason Removed, as the operator does.
    expect(conditionOf(dsc, 'TrainingOperatorReady')).toMatchObject({ status: 'False', reason: 'Removed' });
    expect(statusOf(dsc).observedGeneration).toBe(dsc.metadata.generation);

    const dsci = await until(kube, DSCI_V1, 'the DSCI Ready', (o) => statusOf(o).phase === 'Ready');
    expect(statusOf(dsci).release).toEqual({ name: 'OpenShift AI Self-Managed', version: '2.25.4' });
    expect(conditionOf(dsci, 'Available')?.status).toBe('True');
    expect(conditionOf(dsci, 'Degraded')?.status).toBe('False');

    const sub = await kube.get(RHOAI_SUB);
    expect(statusOf(sub)).toMatchObject({ installedCSV: 'rhods-operator.2.25.4' });
    expect(statusOf(await kube.get(CSV('rhods-operator.2.25.4'))).phase).toBe('Succeeded');
  });

  it('serves every InferenceService mode under 2.25', async () => {
    await settled();
    expect(await readiness(kube, ISVC.apiVersion, ISVC.kind)).toEqual({
      'data-science/summarizer': 'True/Ready',
      'ml-team/granite-chat': 'True/Ready',
      'ml-team/legacy-v0': 'True/Ready',
      'ml-team/sentiment-caikit': 'True/Ready',
      'mm-team/fraud-detector': 'True/Ready',
    });
    const serverless = await kube.get({ ...ISVC, name: 'granite-chat', namespace: 'ml-team' });
    expect(statusOf(serverless)).toMatchObject({ deploymentMode: 'Serverless', url: 'https://granite-chat-ml-team.apps.sandbox.example.com' });
  });

  it('runs the running workbenches and keeps the stopped one stopped', async () => {
    await settled();
    expect(await readiness(kube, NOTEBOOK.apiVersion, NOTEBOOK.kind)).toEqual({
      'data-science/alice-wb': 'True/Running',
      'data-science/bob-custom': 'True/Running',
      'data-science/carol-wb': 'False/Stopped',
      'data-science/erin-wb': 'False/Stopped',
      'team-kueue/dana-wb': 'True/Running',
    });
    const stopped = await kube.get({ ...NOTEBOOK, name: 'carol-wb', namespace: 'data-science' });
    expect(statusOf(stopped).readyReplicas).toBe(0);
  });

  it('gives a workbench created later a status too', async () => {
    await kube.create({
      ...NOTEBOOK,
      metadata: { name: 'dave-wb', namespace: 'data-science', annotations: { 'notebooks.opendatahub.io/inject-oauth': 'true' } },
      spec: { template: { spec: { containers: [{ name: 'dave-wb', image: 'quay.io/modh/odh-minimal-notebook:2025.1' }] } } },
    });
    const nb = await until(kube, { ...NOTEBOOK, name: 'dave-wb', namespace: 'data-science' }, 'the new workbench Ready', (o) => conditionOf(o, 'Ready')?.status === 'True');
    expect(statusOf(nb).readyReplicas).toBe(1);
  });
});

describe('the upgrade to 3.3 by hand', () => {
  let oldPods: string[];

  it('stable-3.3 has no edge from 2.25: OLM offers nothing, and says nothing', async () => {
    oldPods = await operatorPods(RHOAI_NS, 'rhods-operator');
    expect(oldPods).toHaveLength(1);
    await kube.patch(RHOAI_SUB, 'merge', { spec: { channel: 'stable-3.3' } });
    await settled();
    const sub = await kube.get(RHOAI_SUB);
    expect(statusOf(sub)).toMatchObject({ installedCSV: 'rhods-operator.2.25.4', state: 'AtLatestKnown' });
    expect(conditionOf(sub, 'ResolutionFailed')).toBeUndefined();
    const plans = await kube.list({ apiVersion: OLM, kind: 'InstallPlan', namespace: RHOAI_NS });
    expect(plans.items.flatMap((p) => (p.spec as { clusterServiceVersionNames: string[] }).clusterServiceVersionNames)).not.toContain('rhods-operator.3.3.0');
  });

  it('a channel the catalog does not have fails resolution with OLM text', async () => {
    await kube.patch(RHOAI_SUB, 'merge', { spec: { channel: 'stable-9.9' } });
    const sub = await until(kube, RHOAI_SUB, 'ResolutionFailed', (o) => conditionOf(o, 'ResolutionFailed')?.status === 'True');
    expect(conditionOf(sub, 'ResolutionFailed')).toMatchObject({
      reason: 'ConstraintsNotSatisfiable',
      message: 'constraints not satisfiable: no operators found in channel stable-9.9 of package rhods-operator in the catalog referenced by subscription rhods-operator, subscription rhods-operator exists',
    });
  });

  it('support-required-upgrade yields an InstallPlan for 3.3.2 (the only entry 2.25.4 reaches), waiting for approval', async () => {
    await kube.patch(RHOAI_SUB, 'merge', { spec: { channel: 'support-required-upgrade' } });
    const sub = await until(kube, RHOAI_SUB, 'the Subscription to point at a 3.3.2 plan', (o) => statusOf(o).currentCSV === 'rhods-operator.3.3.2');
    const status = statusOf<{ state: string; installPlanRef: { name: string; namespace: string; kind: string }; installedCSV: string }>(sub);
    expect(status.state).toBe('UpgradePending');
    expect(status.installedCSV).toBe('rhods-operator.2.25.4');
    expect(conditionOf(sub, 'InstallPlanPending')).toMatchObject({ status: 'True', reason: 'RequiresApproval' });
    expect(conditionOf(sub, 'ResolutionFailed')).toBeUndefined();
    expect(status.installPlanRef).toMatchObject({ kind: 'InstallPlan', namespace: RHOAI_NS });

    const plan = await kube.get({ apiVersion: OLM, kind: 'InstallPlan', name: status.installPlanRef.name, namespace: RHOAI_NS });
    expect(plan?.metadata.name).toMatch(/^install-[a-z0-9]{5}$/);
    expect(plan?.spec).toMatchObject({ clusterServiceVersionNames: ['rhods-operator.3.3.2'], approval: 'Manual', approved: false });
    expect(statusOf(plan).phase).toBe('RequiresApproval');
    expect(plan?.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Subscription', name: 'rhods-operator', uid: sub.metadata.uid })]);
    // One plan per CSV, however quickly the Subscription was reconciled again: the 2.25.11 one the
    // stable-2.25 channel offered while the cluster sat on 2.25.4, and this one.
    const plans = await kube.list({ apiVersion: OLM, kind: 'InstallPlan', namespace: RHOAI_NS });
    expect(plans.items.map((p) => (p.spec as { clusterServiceVersionNames: string[] }).clusterServiceVersionNames[0]).sort()).toEqual(['rhods-operator.2.25.11', 'rhods-operator.3.3.2']);
    // Nothing is installed before the approval.
    expect(await kube.get(CSV('rhods-operator.3.3.2'))).toBeNull();
  });

  it('approving the plan installs 3.3.2, removes 2.25.4, restarts the operator, and OLM offers the next 3.3', async () => {
    const planName = statusOf<{ installPlanRef: { name: string } }>(await kube.get(RHOAI_SUB)).installPlanRef.name;
    const planRef = { apiVersion: OLM, kind: 'InstallPlan', name: planName, namespace: RHOAI_NS };
    await kube.patch(planRef, 'merge', { spec: { approved: true } });

    await until(kube, planRef, 'the plan Complete', (o) => statusOf(o).phase === 'Complete');
    const csv = await until(kube, CSV('rhods-operator.3.3.2'), 'the 3.3.2 CSV Succeeded', (o) => statusOf(o).phase === 'Succeeded');
    // OLM records what the new CSV replaces: the one installed, whatever the catalog's replaces says.
    expect(csv.spec).toMatchObject({ version: '3.3.2', replaces: 'rhods-operator.2.25.4' });
    await eventually('the 2.25.4 CSV gone', async () => (await kube.get(CSV('rhods-operator.2.25.4'))) === null);
    // With 3.3.2 installed, the channel's head (3.3.6, skipRange >=3.3.2) is the next upgrade: Manual, so it waits.
    const sub = await until(kube, RHOAI_SUB, 'the next 3.3 offered', (o) => statusOf(o).currentCSV === 'rhods-operator.3.3.6');
    expect(statusOf(sub)).toMatchObject({ installedCSV: 'rhods-operator.3.3.2', state: 'UpgradePending' });

    const pods = await eventually('a new operator pod', async () => {
      const now = await operatorPods(RHOAI_NS, 'rhods-operator');
      return now.length === 1 && !oldPods.includes(now[0]!) ? now : undefined;
    });
    const pod = await kube.get({ apiVersion: 'v1', kind: 'Pod', name: pods[0]!, namespace: RHOAI_NS });
    expect((pod?.spec as { containers: { image: string }[] }).containers[0]!.image).toContain('v3.3.2');
    expect(statusOf(pod).phase).toBe('Running');
    const deployment = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'rhods-operator', namespace: RHOAI_NS });
    expect(deployment?.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ClusterServiceVersion', name: 'rhods-operator.3.3.2', uid: csv.metadata.uid })]);
  });

  it('serves the DSC as v2 on 3.3.2 with datasciencepipelines renamed aipipelines', async () => {
    const dsc = await until(kube, DSC_V2, 'the DSC on 3.3.2', (o) => (statusOf(o).release as { version?: string } | undefined)?.version === '3.3.2');
    expect(dsc.apiVersion).toBe('datasciencecluster.opendatahub.io/v2');
    const components = (dsc.spec as { components: Record<string, unknown> }).components;
    expect(components.aipipelines).toEqual({ managementState: 'Managed' });
    expect(components).not.toHaveProperty('datasciencepipelines');
    expect(components).not.toHaveProperty('modelmeshserving');
    expect(components).not.toHaveProperty('codeflare');
    expect(components.kserve).not.toHaveProperty('serving');
    expect(components.kserve).not.toHaveProperty('defaultDeploymentMode');
    expect(conditionOf(dsc, 'AIPipelinesReady')?.status).toBe('True');
    expect(conditionOf(dsc, 'DataSciencePipelinesReady')).toBeUndefined();
    expect(statusOf(await kube.get(DSCI_V1)).release).toEqual({ name: 'OpenShift AI Self-Managed', version: '3.3.2' });
  });
});

describe('what breaks under 3.3 if nothing is done, and its fix', () => {
  it('refuses Kueue Managed with the operator message; Unmanaged with the Kueue operator is accepted', async () => {
    // The 3.3 operator's texts (rhods-operator rhoai-3.3 internal/controller/status/status.go): reason
    // Error on KueueReady, and Ready copies ComponentsReady, which names the components.
    const dsc = await until(kube, DSC_V2, 'KueueReady False', (o) => conditionOf(o, 'KueueReady')?.status === 'False');
    expect(conditionOf(dsc, 'KueueReady')).toMatchObject({ reason: 'Error', message: KUEUE_MANAGED_MESSAGE });
    expect(statusOf(dsc).phase).toBe('Not Ready');
    expect(conditionOf(dsc, 'Ready')).toMatchObject({ status: 'False', reason: 'NotReady', message: 'Some components are not ready: kueue,ray' });

    await kube.patch(DSC_V2, 'merge', { spec: { components: { kueue: { managementState: 'Unmanaged' } } } });
    const missing = await until(kube, DSC_V2, 'Kueue Unmanaged without its operator', (o) => conditionOf(o, 'KueueReady')?.message === KUEUE_OPERATOR_NOT_INSTALLED_MESSAGE);
    expect(conditionOf(missing, 'KueueReady')?.reason).toBe('Error');
    expect(conditionOf(missing, 'Ready')?.message).toBe('Some components are not ready: kueue,ray');

    // Install the Red Hat build of Kueue through OLM, Automatic approval.
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'openshift-kueue-operator' } });
    await kube.create({ apiVersion: 'operators.coreos.com/v1', kind: 'OperatorGroup', metadata: { name: 'kueue', namespace: 'openshift-kueue-operator' }, spec: {} });
    const subRef = { apiVersion: OLM, kind: 'Subscription', name: 'kueue-operator', namespace: 'openshift-kueue-operator' };
    await kube.create({ ...subRef, metadata: { name: subRef.name, namespace: subRef.namespace }, spec: { name: 'kueue-operator', channel: 'stable-v1.1', source: 'redhat-operators', sourceNamespace: 'openshift-marketplace', installPlanApproval: 'Automatic' } });
    const sub = await until(kube, subRef, 'the Kueue operator installed', (o) => statusOf(o).installedCSV === 'kueue-operator.v1.1.0');
    expect(statusOf(sub).state).toBe('AtLatestKnown');
    const plans = await kube.list({ apiVersion: OLM, kind: 'InstallPlan', namespace: 'openshift-kueue-operator' });
    expect(plans.items.map((p) => [statusOf(p).phase, (p.spec as { approved?: boolean }).approved])).toEqual([['Complete', true]]);
    expect(await operatorPods('openshift-kueue-operator', 'openshift-kueue-operator')).toHaveLength(1);
    const accepted = await until(kube, DSC_V2, 'KueueReady True with Kueue Unmanaged', (o) => conditionOf(o, 'KueueReady')?.status === 'True');
    expect(conditionOf(accepted, 'Ready')?.message ?? '').not.toContain('kueue');
  });

  it('fails RayReady while a CodeFlare CR is left, and recovers once it is deleted', async () => {
    const codeflare = { apiVersion: 'components.platform.opendatahub.io/v1alpha1', kind: 'CodeFlare', name: 'default-codeflare' };
    expect(await kube.get(codeflare)).not.toBeNull();
    const dsc = await until(kube, DSC_V2, 'RayReady False', (o) => conditionOf(o, 'RayReady')?.status === 'False');
    expect(conditionOf(dsc, 'RayReady')).toMatchObject({ reason: 'Error', message: CODEFLARE_PRESENT_MESSAGE });

    await kube.delete(codeflare);
    const ready = await until(kube, DSC_V2, 'the DSC Ready', (o) => statusOf(o).phase === 'Ready');
    expect(conditionOf(ready, 'RayReady')?.status).toBe('True');
    expect(conditionOf(ready, 'Ready')?.status).toBe('True');
  });

  it('answers 503 for Serverless and ModelMesh InferenceServices; RawDeployment ones stay Ready', async () => {
    await settled();
    expect(await readiness(kube, ISVC.apiVersion, ISVC.kind)).toEqual({
      'data-science/summarizer': 'True/Ready',
      'ml-team/granite-chat': 'False/ServiceUnavailable',
      'ml-team/legacy-v0': 'True/Ready',
      'ml-team/sentiment-caikit': 'False/RuntimeRemoved',
      'mm-team/fraud-detector': 'False/ServiceUnavailable',
    });
    const serverless = await kube.get({ ...ISVC, name: 'granite-chat', namespace: 'ml-team' });
    expect(conditionOf(serverless, 'Ready')?.message).toMatch(/^503 Service Unavailable: Serverless/);

    // Converted to RawDeployment (what the migration helper does), it serves again.
    await kube.patch({ ...ISVC, name: 'granite-chat', namespace: 'ml-team' }, 'merge', { metadata: { annotations: { 'serving.kserve.io/deploymentMode': 'RawDeployment' } } });
    const raw = await until(kube, { ...ISVC, name: 'granite-chat', namespace: 'ml-team' }, 'the converted service Ready', (o) => conditionOf(o, 'Ready')?.status === 'True');
    expect(statusOf(raw).url).toBe('http://granite-chat-predictor.ml-team.svc.cluster.local');
  });

  it('loops on redirects for running un-migrated workbenches; migrated ones are Ready', async () => {
    await settled();
    const states = await readiness(kube, NOTEBOOK.apiVersion, NOTEBOOK.kind);
    expect(states).toMatchObject({
      'data-science/alice-wb': 'False/RedirectLoop',
      'data-science/bob-custom': 'False/RedirectLoop',
      'data-science/carol-wb': 'False/Stopped',
      'data-science/dave-wb': 'False/RedirectLoop',
    });
    const alice = { ...NOTEBOOK, name: 'alice-wb', namespace: 'data-science' };
    expect(conditionOf(await kube.get(alice), 'Ready')?.message).toContain('ERR_TOO_MANY_REDIRECTS');

    // The guide's migration: drop the oauth-proxy sidecar and its annotations, ask for inject-auth.
    const nb = (await kube.get(alice)) as KubeObject;
    const containers = (nb.spec as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers;
    await kube.patch(alice, 'json', [
      { op: 'remove', path: `/spec/template/spec/containers/${containers.findIndex((c) => c.name === 'oauth-proxy')}` },
      { op: 'remove', path: '/metadata/annotations/notebooks.opendatahub.io~1inject-oauth' },
      { op: 'add', path: '/metadata/annotations/notebooks.opendatahub.io~1inject-auth', value: 'true' },
    ]);
    const migrated = await until(kube, alice, 'the migrated workbench Ready', (o) => conditionOf(o, 'Ready')?.status === 'True');
    expect(conditionOf(migrated, 'Ready')?.reason).toBe('Running');
    // Only inject-auth without removing the sidecar is not enough.
    const bob = { ...NOTEBOOK, name: 'bob-custom', namespace: 'data-science' };
    await kube.patch(bob, 'merge', { metadata: { annotations: { 'notebooks.opendatahub.io/inject-auth': 'true' } } });
    await settled();
    expect(conditionOf(await kube.get(bob), 'Ready')?.reason).toBe('RedirectLoop');
  });

  it('Guardrails under 3.3: the 2.x exporter keys are gone, the 3.3 fields are kept, the orchestrator runs', async () => {
    const ref = { apiVersion: 'trustyai.opendatahub.io/v1alpha1', kind: 'GuardrailsOrchestrator', name: 'guardrails', namespace: 'trusty-team' };
    const ready = await until(kube, ref, 'Guardrails Ready', (o) => statusOf(o).phase === 'Ready');
    // The 3.3 CRD prunes protocol, otlpEndpoint, tracesEndpoint… (the settings silently lost).
    expect(Object.keys((ready.spec as { otelExporter?: object }).otelExporter ?? {})).toEqual([]);
    await kube.patch(ref, 'merge', { spec: { otelExporter: { otlpProtocol: 'grpc', otlpTracesEndpoint: 'otel-collector.observability.svc:4317', enableTraces: true } } });
    const configured = await until(kube, ref, 'Guardrails reconciled', (o) => statusOf(o).phase === 'Ready' && (o.spec as { otelExporter?: { enableTraces?: boolean } }).otelExporter?.enableTraces === true);
    expect((configured.spec as { otelExporter: object }).otelExporter).toEqual({ otlpProtocol: 'grpc', otlpTracesEndpoint: 'otel-collector.observability.svc:4317', enableTraces: true });
  });

  it('fails Llama Stack without POSTGRES_HOST; its SQLite data stays unmigrated, a new one is clean', async () => {
    const ref = { apiVersion: 'llamastack.io/v1alpha1', kind: 'LlamaStackDistribution', name: 'llama-stack', namespace: 'llama-team' };
    const failed = await until(kube, ref, 'Llama Stack Failed', (o) => statusOf(o).phase === 'Failed');
    expect(conditionOf(failed, 'Ready')).toMatchObject({ status: 'False', reason: 'StorageNotConfigured' });
    expect(conditionOf(failed, 'Ready')?.message).toContain('POSTGRES_HOST');
    expect(failed.metadata.annotations?.['runbook.dev/sandbox-created-under']).toBe('2');

    const env = (failed.spec as { server: { containerSpec: { env: unknown[] } } }).server.containerSpec.env;
    const postgres = ['POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_DB', 'POSTGRES_USER', 'POSTGRES_PASSWORD'].map((name) => ({ name, value: 'x' }));
    await kube.patch(ref, 'merge', { spec: { server: { containerSpec: { env: [...env, ...postgres] } } } });
    const ready = await until(kube, ref, 'Llama Stack Ready', (o) => statusOf(o).phase === 'Ready');
    expect(conditionOf(ready, 'DataMigrated')).toMatchObject({ status: 'False', reason: 'SQLiteDataNotMigrated' });

    // One created under 3.3 has no 2.25 data to lose.
    const fresh = { ...ref, name: 'llama-stack-2' };
    await kube.create({ ...fresh, metadata: { name: fresh.name, namespace: fresh.namespace }, spec: { replicas: 1, server: { distribution: { name: 'rh-dev' }, containerSpec: { name: 'llama-stack', env: postgres } } } });
    const clean = await until(kube, fresh, 'the new Llama Stack Ready', (o) => statusOf(o).phase === 'Ready');
    expect(clean.metadata.annotations?.['runbook.dev/sandbox-created-under']).toBe('3');
    expect(conditionOf(clean, 'DataMigrated')).toBeUndefined();
  });

  it('removes an operator Deployment and its pods through the garbage collector when its CSV is deleted', async () => {
    const ns = 'openshift-operators';
    expect(await operatorPods(ns, 'istio-operator')).toHaveLength(1);
    expect(await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'istio-operator', namespace: ns })).not.toBeNull();
    // The 3.3 operator ignores Service Mesh 2 altogether (its DSCI v2 has no serviceMesh): the DSCI stays
    // Ready and not Degraded with the mesh operator still installed.
    const dsci = await kube.get(DSCI_V1);
    expect(statusOf(dsci).phase).toBe('Ready');
    expect(conditionOf(dsci, 'Degraded')?.status).toBe('False');

    // The uninstall the guides describe: the Subscription, then its CSV.
    await kube.delete({ apiVersion: OLM, kind: 'Subscription', name: 'servicemeshoperator', namespace: ns });
    await kube.delete(CSV('servicemeshoperator.v2.6.8', ns));
    await eventually('the istio-operator Deployment collected', async () => (await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'istio-operator', namespace: ns })) === null);
    await eventually('its pods collected', async () => (await operatorPods(ns, 'istio-operator')).length === 0);
    // Authorino, in the same namespace, is untouched.
    expect(await operatorPods(ns, 'authorino-operator')).toHaveLength(1);
  });
});
