// What the operators refuse, found by the assessment before anything changes (assess/gates.yaml on
// the `minimal` sandbox, RHOAI 2.25.4): MultiKueue CRDs still storing v1alpha1 (the 2.25 operator's
// Kueue pre-condition, and the Red Hat build of Kueue's v1beta1-only CRDs) and a workflows.argoproj.io
// CRD that OpenShift AI did not deploy (the AI pipelines pre-condition of 2.25 and 3.3), each with the
// operator's own message; and what the 3.3 operator migrates by itself (AcceleratorProfiles to
// HardwareProfiles), reported and left to it.
import type { V1CustomResourceDefinition, V1JSONSchemaProps } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { installCrds } from '../../src/sandbox/crds/index.js';
import { failureOf, runCli, type CliRun } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';
import { DSC_V1, startTestSandbox } from './support/sandbox.js';

const CRD = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' } as const;
const MULTIKUEUE_MESSAGE = 'Kueue CRDs MultiKueueConfig v1alpha1 and/or MultiKueueCluster v1alpha1 exist, please remove them to proceed';
const ARGO_MESSAGE =
  'Failed upgrade: workflows.argoproj.io CRD already exists but not deployed by this operator remove existing Argo workflows or set `spec.components.aipipelines.managementState` to Removed to proceed';

function crd(group: string, plural: string, kind: string, version: string, labels?: Record<string, string>): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}`, ...(labels ? { labels } : {}) },
    spec: {
      group,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      scope: plural === 'workflows' ? 'Namespaced' : 'Cluster',
      versions: [{ name: version, served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } as V1JSONSchemaProps } }],
    },
  };
}

describe('assessment of what the operators refuse', () => {
  let sandbox: Sandbox;
  const assess = (): Promise<CliRun> =>
    runCli(['run', 'runbooks/rhoai-2.25-to-3.3/assess/gates.yaml', '--kubeconfig', sandbox.controlPlane.kubeconfigPath, '--state-dir', scratchDir('runbook-blockers'), '--yes', '-o', 'json']);
  const finding = (r: CliRun, check: string) => r.findings.find((f) => f.check === check);

  beforeAll(async () => {
    sandbox = await startTestSandbox({ scenario: 'minimal', speed: 0 });
  }, 600_000);
  afterAll(() => sandbox?.stop());

  it('reports the v1alpha1 MultiKueue CRDs and a foreign Argo Workflows CRD with the operators\' messages, and writes nothing', { timeout: 300_000 }, async () => {
    // An Argo Workflows of another installation, and the MultiKueue CRDs of an older Kueue.
    await installCrds(sandbox.controlPlane.kubeconfigPath, {
      crds: [
        crd('argoproj.io', 'workflows', 'Workflow', 'v1alpha1'),
        crd('kueue.x-k8s.io', 'multikueueclusters', 'MultiKueueCluster', 'v1alpha1'),
        crd('kueue.x-k8s.io', 'multikueueconfigs', 'MultiKueueConfig', 'v1alpha1'),
      ],
    });
    // What the 3.3 operator migrates by itself.
    const kube = sandbox.kube;
    await kube.create({ apiVersion: 'dashboard.opendatahub.io/v1', kind: 'AcceleratorProfile', metadata: { name: 'nvidia-gpu', namespace: 'redhat-ods-applications' }, spec: { displayName: 'NVIDIA GPU', enabled: true, identifier: 'nvidia.com/gpu' } });

    const r = await assess();
    expect(r.code, failureOf(r)).toBe(3);
    expect(r.summary?.apiCalls?.writes).toBe(0);

    // Kueue is Removed in this DSC: nothing refuses the CRDs today, a later Kueue would be.
    const unused = finding(r, 'multikueue-v1alpha1-unused');
    expect(unused?.severity).toBe('warning');
    expect(unused?.message).toContain(MULTIKUEUE_MESSAGE);
    expect(unused?.message).toContain('multikueueconfigs.kueue.x-k8s.io, multikueueclusters.kueue.x-k8s.io');
    expect(finding(r, 'multikueue-v1alpha1')).toBeUndefined();

    // AI pipelines are Managed and the CRD is not OpenShift AI's.
    const argo = finding(r, 'argo-workflows-crd');
    expect(argo?.severity).toBe('prohibited');
    expect(argo?.message).toContain('DataSciencePipelinesDoesntOwnArgoCRD');
    expect(argo?.message).toContain(ARGO_MESSAGE);

    expect(finding(r, 'accelerator-profile-migration')?.severity).toBe('warning');
    expect(finding(r, 'accelerator-profile-migration')?.message).toContain('redhat-ods-applications/nvidia-gpu');
  });

  it('with Kueue in use the MultiKueue CRDs block; OpenShift AI\'s own Argo CRD does not', { timeout: 300_000 }, async () => {
    const kube = sandbox.kube;
    await kube.patch(DSC_V1, 'merge', { spec: { components: { kueue: { managementState: 'Unmanaged' } } } });
    await kube.patch({ ...CRD, name: 'workflows.argoproj.io' }, 'merge', { metadata: { labels: { 'app.opendatahub.io/data-science-pipelines-operator': 'true' } } });

    const r = await assess();
    expect(r.code, failureOf(r)).toBe(3);
    const blocked = finding(r, 'multikueue-v1alpha1');
    expect(blocked?.severity).toBe('prohibited');
    expect(blocked?.message).toContain(MULTIKUEUE_MESSAGE);
    expect(blocked?.remediation).toContain('multikueueconfigs.kueue.x-k8s.io multikueueclusters.kueue.x-k8s.io');
    expect(finding(r, 'argo-workflows-crd')).toBeUndefined();
  });

  it('once the CRDs are gone (or Argo is brought by the site), neither blocks', { timeout: 300_000 }, async () => {
    const kube = sandbox.kube;
    for (const name of ['multikueueclusters.kueue.x-k8s.io', 'multikueueconfigs.kueue.x-k8s.io']) await kube.delete({ ...CRD, name });
    // A site that brings its own Argo says so in the DSC.
    await kube.patch({ ...CRD, name: 'workflows.argoproj.io' }, 'merge', { metadata: { labels: { 'app.opendatahub.io/data-science-pipelines-operator': null } } });
    await kube.patch(DSC_V1, 'merge', { spec: { components: { datasciencepipelines: { argoWorkflowsControllers: { managementState: 'Removed' } } } } });

    const r = await assess();
    expect(r.findings.map((f) => f.check)).not.toEqual(expect.arrayContaining(['multikueue-v1alpha1']));
    for (const check of ['multikueue-v1alpha1', 'multikueue-v1alpha1-unused', 'argo-workflows-crd']) expect(finding(r, check), check).toBeUndefined();
  });
});
