// The migration findings of the summit notes and the InferenceService migration guide, found by the
// readiness assessment on the guide-001 scenario (full, plus what each check looks for): each fires
// on what the scenario holds, and clears once the cluster is fixed the way its remediation says.
// OADP, MetalLB and OpenShift's Infrastructure have no CRD in the sandbox: their CRDs (group,
// version, kind, scope as upstream has them) are installed here, with Knative Eventing's
// (knative/operator pkg/apis/operator/v1beta1) for another team's use of OpenShift Serverless.
import type { V1CustomResourceDefinition, V1JSONSchemaProps } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCrds } from '../../src/sandbox/crds/index.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { failureOf, runCli, type CliRun } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';
import { startTestSandbox } from './support/sandbox.js';

function crd(group: string, plural: string, kind: string, version: string, scope: 'Namespaced' | 'Cluster'): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      scope,
      // The model's name of x-kubernetes-preserve-unknown-fields: the typed client drops the JSON one,
      // and the API server would then prune spec and status.
      versions: [{ name: version, served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } as V1JSONSchemaProps } }],
    },
  };
}

const BACKUP = { apiVersion: 'velero.io/v1', kind: 'Backup', namespace: 'openshift-adp' } as const;

describe('the migration findings of guides 001 and 002', () => {
  let sandbox: Sandbox;
  const assess = (vars: string[] = []): Promise<CliRun> =>
    runCli([
      'run', 'runbooks/rhoai-readiness-assessment.yaml',
      '--kubeconfig', sandbox.controlPlane.kubeconfigPath,
      '--state-dir', scratchDir('runbook-guide-001-'), '--yes', '-o', 'json', ...vars,
    ]);
  const finding = (r: CliRun, check: string) => r.findings.find((f) => f.check === check);

  beforeAll(async () => {
    sandbox = await startTestSandbox({ scenario: 'src/sandbox/scenarios/guide-001.yaml', speed: 0 });
    // velero.io Backup (vmware-tanzu/velero pkg/apis/velero/v1), metallb.io MetalLB and IPAddressPool
    // (metallb/metallb-operator api/v1beta1, metallb/metallb api/v1beta1), config.openshift.io
    // Infrastructure (openshift/api config/v1, cluster-scoped).
    await installCrds(sandbox.controlPlane.kubeconfigPath, {
      crds: [
        crd('velero.io', 'backups', 'Backup', 'v1', 'Namespaced'),
        crd('metallb.io', 'metallbs', 'MetalLB', 'v1beta1', 'Namespaced'),
        crd('metallb.io', 'ipaddresspools', 'IPAddressPool', 'v1beta1', 'Namespaced'),
        crd('config.openshift.io', 'infrastructures', 'Infrastructure', 'v1', 'Cluster'),
        crd('operator.knative.dev', 'knativeeventings', 'KnativeEventing', 'v1beta1', 'Namespaced'),
      ],
    });
    const kube = sandbox.kube;
    await kube.create({ apiVersion: 'config.openshift.io/v1', kind: 'Infrastructure', metadata: { name: 'cluster' }, spec: { platformSpec: { type: 'BareMetal' } }, status: { platform: 'BareMetal', platformStatus: { type: 'BareMetal' } } });
    for (const ns of ['openshift-adp', 'metallb-system', 'knative-eventing']) await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await kube.create({ apiVersion: 'operator.knative.dev/v1beta1', kind: 'KnativeEventing', metadata: { name: 'knative-eventing', namespace: 'knative-eventing' }, spec: {} });
  }, 600_000);
  afterAll(() => sandbox?.stop());

  it('each check fires on what the cluster holds, and writes nothing', { timeout: 300_000 }, async () => {
    const r = await assess();
    expect(r.code, failureOf(r)).toBe(3);
    expect(r.summary?.apiCalls?.writes).toBe(0);

    // rhai-cli's critical findings: Serverless (an un-annotated model counts, by the DSC default) and ModelMesh.
    expect(finding(r, 'kserve-serverless')?.severity).toBe('critical');
    expect(finding(r, 'kserve-serverless')?.objects).toEqual(expect.arrayContaining(['InferenceService ml-team/granite-chat', 'InferenceService ml-team/plain-default']));
    expect(finding(r, 'modelmesh')?.objects).toEqual(expect.arrayContaining(['InferenceService mm-team/fraud-detector']));
    expect(finding(r, 'servicemesh-v2')?.severity).toBe('warning');
    expect(finding(r, 'llama-stack-data-loss')?.severity).toBe('critical');
    expect(finding(r, 'running-workbenches')?.severity).toBe('warning');
    expect(finding(r, 'running-workbenches')?.objects).not.toContain('Notebook guide-001/hwp-wb');

    const hwp = finding(r, 'hardware-profile-integrity');
    expect(hwp?.severity).toBe('critical');
    expect(hwp?.objects).toEqual(['Notebook guide-001/hwp-wb']);

    const knative = finding(r, 'serverless-non-rhoai');
    expect(knative?.severity).toBe('prohibited');
    expect(knative?.objects).toEqual(['Knative Service events-team/order-events', 'KnativeEventing knative-eventing/knative-eventing']);

    // Runtimes of removed Templates, whatever their names: by annotation, and by the Caikit image.
    const removed = finding(r, 'removed-runtime');
    expect(removed?.severity).toBe('critical');
    expect(removed?.objects).toEqual(expect.arrayContaining(['InferenceService guide-001/embeddings', 'InferenceService guide-001/classifier']));

    expect(finding(r, 'metallb')?.severity).toBe('critical');
    expect(finding(r, 'metallb')?.message).toContain('BareMetal');
    expect(finding(r, 'cluster-backup')?.severity).toBe('warning');
    expect(finding(r, 'migration-strategy-chosen')?.message).toBe('Strategy: in-place');
    expect(finding(r, 'support-case')?.severity).toBe('warning');
    expect(finding(r, 'install-plan-approval')).toBeUndefined();
    expect(finding(r, 'migration-impact')?.message).toMatch(/^Impact: high/);
  });

  it('a backup that is not Completed, or leaves the volumes out, is refused for an in-place migration', { timeout: 300_000 }, async () => {
    const kube = sandbox.kube;
    await kube.create({ ...BACKUP, metadata: { name: 'pre-upgrade', namespace: 'openshift-adp' }, spec: { includedNamespaces: ['*'], snapshotVolumes: false }, status: { phase: 'PartiallyFailed' } });
    const r = await assess(['--var', 'clusterBackup=openshift-adp/pre-upgrade', '--var', 'supportCase=04123456']);
    const backup = finding(r, 'cluster-backup');
    expect(backup?.severity).toBe('prohibited');
    expect(backup?.objects).toEqual(['Backup openshift-adp/pre-upgrade']);
    expect(backup?.message).toContain('PartiallyFailed');
    expect(finding(r, 'support-case')).toBeUndefined();
    expect(finding(r, 'migration-strategy-chosen')?.message).toBe('Strategy: in-place, support case 04123456');
    await kube.delete({ ...BACKUP, name: 'pre-upgrade' });
  });

  it('each fix clears its finding', { timeout: 300_000 }, async () => {
    const kube = sandbox.kube;
    // The profile the workbench names.
    await kube.create({ apiVersion: 'infrastructure.opendatahub.io/v1alpha1', kind: 'HardwareProfile', metadata: { name: 'gpu-large', namespace: 'redhat-ods-applications' }, spec: { identifiers: [{ identifier: 'nvidia.com/gpu', displayName: 'GPU', defaultCount: 1, minCount: 1, resourceType: 'Accelerator' }] } });
    // The other team moved off Knative.
    await kube.delete({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace: 'events-team', name: 'order-events' });
    await kube.delete({ apiVersion: 'operator.knative.dev/v1beta1', kind: 'KnativeEventing', namespace: 'knative-eventing', name: 'knative-eventing' });
    // The models moved to a supported runtime: the Template and image of vLLM.
    for (const name of ['team-embeddings', 'handmade-nlp']) {
      await kube.patch({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'ServingRuntime', namespace: 'guide-001', name }, 'merge', {
        metadata: { annotations: { 'opendatahub.io/template-name': 'vllm-cuda-runtime-template' } },
        spec: { containers: [{ name: 'kserve-container', image: 'registry.redhat.io/rhaiis/vllm-cuda-rhel9:3.2.2' }] },
      });
    }
    // The un-annotated model says RawDeployment.
    await kube.patch({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', namespace: 'ml-team', name: 'plain-default' }, 'merge', { metadata: { annotations: { 'serving.kserve.io/deploymentMode': 'RawDeployment' } } });
    // MetalLB with an address pool.
    await kube.create({ apiVersion: 'metallb.io/v1beta1', kind: 'MetalLB', metadata: { name: 'metallb', namespace: 'metallb-system' }, spec: {} });
    await kube.create({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'gateway', namespace: 'metallb-system' }, spec: { addresses: ['192.168.10.0/28'] } });
    // A completed backup of every namespace with its volumes.
    await kube.create({ ...BACKUP, metadata: { name: 'full-2026-11-29', namespace: 'openshift-adp' }, spec: { defaultVolumesToFsBackup: true }, status: { phase: 'Completed', completionTimestamp: '2026-11-29T22:00:00Z' } });

    const r = await assess(['--var', 'supportCase=04123456']);
    for (const check of ['hardware-profile-integrity', 'serverless-non-rhoai', 'removed-runtime', 'metallb', 'cluster-backup', 'support-case']) {
      expect(finding(r, check), check).toBeUndefined();
    }
    expect(finding(r, 'kserve-serverless')?.objects).not.toContain('InferenceService ml-team/plain-default');
  });
});
