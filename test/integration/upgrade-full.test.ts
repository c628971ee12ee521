// The upgrade runbook end to end on the `full` scenario, through the real CLI: it finishes, every
// component ends in the state the guide expects, and a second run writes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/types.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { runCli } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';
import { DSC_V2, DSCI_V1, OLM, RHOAI_NS, conditionOf, startTestSandbox } from './support/sandbox.js';

const annotations = (o: KubeObject | null): Record<string, string> => (o?.metadata.annotations ?? {}) as Record<string, string>;

describe('upgrade runbook on the full scenario', () => {
  let sandbox: Sandbox;
  let stateDir: string;
  const upgrade = (extra: string[] = []) =>
    runCli([
      'run', 'runbooks/upgrade-2.25-to-3.3.yaml',
      '--kubeconfig', sandbox.controlPlane.kubeconfigPath,
      '--vars-file', 'runbooks/upgrade-2.25-to-3.3.sandbox-vars.yaml',
      '--var', `backupDir=${stateDir}/backup`,
      '--state-dir', stateDir, '--yes', '-o', 'json', ...extra,
    ]);

  beforeAll(async () => {
    sandbox = await startTestSandbox({ scenario: 'full', speed: 0 });
  });
  afterAll(() => sandbox?.stop());

  it('finishes, and every component ends as the guide expects', { timeout: 900_000 }, async () => {
    stateDir = scratchDir('runbook-upgrade-full');
    const run = await upgrade();
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(run.summary?.status).toBe('succeeded');
    expect(run.findings.filter((f) => f.severity === 'prohibited' || f.severity === 'critical')).toEqual([]);
    const kube = sandbox.kube;

    // The operator: 3.3.2 Succeeded, 2.25 gone, subscription on the 3.3 channel with Manual approval.
    const csvs = (await kube.list({ apiVersion: OLM, kind: 'ClusterServiceVersion', namespace: RHOAI_NS })).items;
    expect(csvs.map((c) => `${c.metadata.name}:${(c.status as { phase: string }).phase}`)).toEqual(['rhods-operator.3.3.2:Succeeded']);
    const sub = await kube.get({ apiVersion: OLM, kind: 'Subscription', name: 'rhods-operator', namespace: RHOAI_NS });
    expect(sub!.spec).toMatchObject({ channel: 'support-required-upgrade', installPlanApproval: 'Manual' });

    // DSC and DSCI Ready on 3.3; Kueue through RHBoK; no serving stack, no service mesh.
    const dsc = await kube.get(DSC_V2);
    expect((dsc!.status as { phase: string; release: { version: string } }).phase).toBe('Ready');
    expect((dsc!.status as { release: { version: string } }).release.version).toBe('3.3.2');
    const components = (dsc!.spec as { components: Record<string, { managementState?: string; serving?: unknown }> }).components;
    expect(components.kueue!.managementState).toBe('Unmanaged');
    expect(components.kserve!.serving).toBeUndefined();
    expect(components.codeflare).toBeUndefined();
    expect(components.aipipelines).toBeDefined();
    // The 3.3 DSCI has no serviceMesh: the conversion drops it once the 3.3 operator writes the
    // object (rhods-operator rhoai-3.3 api/dscinitialization/v1/dscinitialization_conversion.go), so
    // a v1 read shows none either.
    const dsci = await kube.get(DSCI_V1);
    expect((dsci!.spec as { serviceMesh?: unknown }).serviceMesh).toBeUndefined();
    expect((dsci!.status as { phase: string }).phase).toBe('Ready');
    const subs = (await kube.list({ apiVersion: OLM, kind: 'Subscription' }, { allNamespaces: true })).items.map((s) => (s.spec as { name: string }).name);
    expect(subs).toEqual(expect.arrayContaining(['rhods-operator', 'kueue-operator', 'openshift-cert-manager-operator']));
    expect(subs).not.toEqual(expect.arrayContaining(['serverless-operator']));
    expect(subs.filter((s) => ['serverless-operator', 'servicemeshoperator', 'authorino-operator'].includes(s))).toEqual([]);

    // Every InferenceService RawDeployment and Ready; the Serverless Route gone.
    const isvcs = (await kube.list({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' }, { allNamespaces: true })).items;
    for (const i of isvcs) {
      expect(annotations(i)['serving.kserve.io/deploymentMode'], i.metadata.name).toBe('RawDeployment');
      expect(conditionOf(i, 'Ready')?.status, `${i.metadata.namespace}/${i.metadata.name}`).toBe('True');
    }
    expect(await kube.get({ apiVersion: 'route.openshift.io/v1', kind: 'Route', name: 'granite-chat-ml-team', namespace: 'istio-system' })).toBeNull();

    // Workbenches migrated to inject-auth; the ones that ran are running again (restartWorkbenches).
    const notebooks = (await kube.list({ apiVersion: 'kubeflow.org/v1', kind: 'Notebook' }, { allNamespaces: true })).items;
    for (const nb of notebooks) {
      const containers = (nb.spec as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers;
      expect(containers.map((c) => c.name), nb.metadata.name).not.toContain('oauth-proxy');
      expect(annotations(nb)['notebooks.opendatahub.io/inject-auth']).toBe('true');
      expect(nb.metadata.finalizers ?? []).not.toContain('notebook-oauth-client-finalizer.opendatahub.io');
    }
    const byName = Object.fromEntries(notebooks.map((n) => [n.metadata.name, n]));
    expect(annotations(byName['alice-wb']!)['kubeflow-resource-stopped']).toBeUndefined();
    expect(conditionOf(byName['alice-wb']!, 'Ready')?.status).toBe('True');
    expect(annotations(byName['carol-wb']!)['kubeflow-resource-stopped']).toBe('2026-01-10T09:00:00Z');

    // Ray migrated and ready; Guardrails without otelExporter; Llama Stack on PostgreSQL.
    const ray = await kube.get({ apiVersion: 'ray.io/v1', kind: 'RayCluster', name: 'training-cluster', namespace: 'ray-team' });
    expect((ray!.status as { state: string }).state).toBe('ready');
    expect(annotations(ray)['odh.ray.io/secure-trusted-network']).toBe('true');
    const guardrails = await kube.get({ apiVersion: 'trustyai.opendatahub.io/v1alpha1', kind: 'GuardrailsOrchestrator', name: 'guardrails', namespace: 'trusty-team' });
    expect((guardrails!.spec as { otelExporter?: unknown }).otelExporter).toBeUndefined();
    const llama = await kube.get({ apiVersion: 'llamastack.io/v1alpha1', kind: 'LlamaStackDistribution', name: 'llama-stack', namespace: 'llama-team' });
    expect((llama!.status as { phase: string }).phase).toBe('Ready');

    // The report a team attaches to the change ticket.
    expect(run.summary!.report).toMatch(/report\.md$/);
  });

  it('a second run makes no write', { timeout: 600_000 }, async () => {
    const again = await upgrade(['--fresh']);
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    expect(again.summary?.apiCalls?.writes).toBe(0);
  });
});
