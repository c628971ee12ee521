// A site whose names are not Red Hat's defaults, through the real CLI: applications namespace
// rhoai-apps, DSC site-dsc and DSCI site-dsci, the RHOAI Subscription `rhoai` in rhoai-operator,
// and a mirror CatalogSource redhat-operators-mirror in mirror-catalogs (no redhat-operators in
// openshift-marketplace: a disconnected cluster). The runbooks find the DSC and the DSCI, derive
// what the applications namespace names, report no false finding from names, name the Service Mesh
// 2 member that blocks when one is added, and install every operator from the mirror.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/types.js';
import { notebook } from '../../src/sandbox/scenario/generate.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { runCli, type CliRun } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';
import { OLM, scratchFiles, startTestSandbox } from './support/sandbox.js';

const APPS = 'rhoai-apps';
const REGISTRY = `image-registry.openshift-image-registry.svc:5000/${APPS}/`;
const SMMR = { apiVersion: 'maistra.io/v1', kind: 'ServiceMeshMemberRoll', name: 'default', namespace: 'istio-system' } as const;

const site: KubeObject[] = [
  {
    apiVersion: 'config.openshift.io/v1',
    kind: 'ClusterVersion',
    metadata: { name: 'version' },
    spec: { channel: 'stable-4.19', clusterID: '5d1f0a0e-3b7c-4e6b-9f2a-6c1d2e3f4a5b' },
    // As the cluster version operator writes it once an update is done (the upgrade checks both).
    status: {
      desired: { version: '4.19.14' },
      history: [{ state: 'Completed', version: '4.19.14' }],
      conditions: [
        { type: 'Available', status: 'True', message: 'Done applying 4.19.14' },
        { type: 'Progressing', status: 'False', message: 'Cluster version is 4.19.14' },
      ],
    },
  },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'rhoai-operator' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: APPS, labels: { 'opendatahub.io/generated-namespace': 'true' } } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mirror-catalogs' } },
  {
    apiVersion: OLM,
    kind: 'CatalogSource',
    metadata: { name: 'redhat-operators-mirror', namespace: 'mirror-catalogs' },
    spec: { sourceType: 'grpc', image: 'mirror.example.com/redhat/redhat-operator-index:v4.19' },
    status: { connectionState: { lastObservedState: 'READY' } },
  },
  { apiVersion: 'operators.coreos.com/v1', kind: 'OperatorGroup', metadata: { name: 'rhoai-operator', namespace: 'rhoai-operator' }, spec: {} },
  {
    apiVersion: OLM,
    kind: 'Subscription',
    metadata: { name: 'rhoai', namespace: 'rhoai-operator', labels: { 'operators.coreos.com/rhods-operator.rhoai-operator': '' } },
    spec: { name: 'rhods-operator', channel: 'stable-2.25', source: 'redhat-operators-mirror', sourceNamespace: 'mirror-catalogs', installPlanApproval: 'Manual' },
    status: { installedCSV: 'rhods-operator.2.25.4', currentCSV: 'rhods-operator.2.25.4', state: 'AtLatestKnown' },
  },
  {
    apiVersion: OLM,
    kind: 'ClusterServiceVersion',
    metadata: { name: 'rhods-operator.2.25.4', namespace: 'rhoai-operator', labels: { 'operators.coreos.com/rhods-operator.rhoai-operator': '' } },
    spec: {
      displayName: 'Red Hat OpenShift AI',
      version: '2.25.4',
      install: { strategy: 'deployment', spec: { deployments: [{ name: 'rhods-operator', spec: { template: { spec: { containers: [{ name: 'manager', image: 'mirror.example.com/rhoai/odh-rhel9-operator:2.25.4' }] } } } }] } },
    },
    status: { phase: 'Succeeded', reason: 'InstallSucceeded', message: 'install strategy completed with no errors' },
  },
  {
    apiVersion: 'dscinitialization.opendatahub.io/v1',
    kind: 'DSCInitialization',
    metadata: { name: 'site-dsci' },
    spec: {
      applicationsNamespace: APPS,
      monitoring: { managementState: 'Managed', namespace: 'rhoai-monitoring' },
      serviceMesh: { managementState: 'Removed' },
      trustedCABundle: { managementState: 'Managed', customCABundle: '' },
    },
  },
  {
    apiVersion: 'datasciencecluster.opendatahub.io/v1',
    kind: 'DataScienceCluster',
    metadata: { name: 'site-dsc' },
    spec: {
      components: {
        dashboard: { managementState: 'Managed' },
        workbenches: { managementState: 'Managed' },
        kserve: { managementState: 'Managed', defaultDeploymentMode: 'RawDeployment', serving: { managementState: 'Removed' } },
        kueue: { managementState: 'Managed', defaultClusterQueueName: 'default', defaultLocalQueueName: 'default' },
        codeflare: { managementState: 'Removed' },
        modelmeshserving: { managementState: 'Removed' },
      },
    },
  },
  // What the 2.25 operator keeps in the applications namespace, and the Service Mesh 2 roll it joined.
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kueue-manager-config', namespace: APPS }, data: { 'controller_manager_config.yaml': 'integrations:\n  frameworks: ["batch/job"]\n' } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'inferenceservice-config', namespace: APPS }, data: { deploy: '{"defaultDeploymentMode":"RawDeployment"}' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
  { apiVersion: 'maistra.io/v1', kind: 'ServiceMeshMemberRoll', metadata: { name: 'default', namespace: 'istio-system' }, spec: { members: ['knative-serving', 'models', `${APPS}-auth-provider`] }, status: { members: ['knative-serving', 'models', `${APPS}-auth-provider`] } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-x' } },
  // A model, a workbench on a built-in image (from the rhoai-apps registry path) and one on a custom image.
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'models', labels: { 'opendatahub.io/dashboard': 'true' } } },
  {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'granite', namespace: 'models', annotations: { 'serving.kserve.io/deploymentMode': 'RawDeployment' } },
    spec: { predictor: { model: { modelFormat: { name: 'vLLM' }, runtime: 'vllm', storageUri: 'oci://mirror.example.com/granite:1' } } },
  },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'data-science' } },
  notebook('data-science', 'builtin-wb', true, `${REGISTRY}s2i-generic-data-science-notebook:2025.1`),
  notebook('data-science', 'custom-wb', false, 'quay.io/team/custom-notebook:1'),
];

// The site's names for the RHOAI Subscription, and its catalog; nothing else is given.
const SITE_VARS = ['--var', 'operatorNamespace=rhoai-operator', '--var', 'subscriptionName=rhoai'];
const MIRROR_VARS = ['--var', 'catalogSource=redhat-operators-mirror', '--var', 'catalogSourceNamespace=mirror-catalogs'];

let files: ReturnType<typeof scratchFiles>;
let sandbox: Sandbox;
const started: string[] = [];

beforeAll(async () => {
  files = scratchFiles({ 'site.yaml': JSON.stringify({ apiVersion: 'v1', kind: 'List', items: site }, null, 1) });
  sandbox = await startTestSandbox({ scenario: join(files.dir, 'site.yaml'), speed: 0, log: (m) => started.push(m) });
}, 600_000);

afterAll(async () => {
  await sandbox?.stop();
  files?.remove();
});

function cli(runbook: string, extra: string[]): Promise<CliRun> {
  return runCli(['run', runbook, '--kubeconfig', sandbox.controlPlane.kubeconfigPath, '--state-dir', scratchDir('runbook-site-names-'), '--yes', '-o', 'json', ...extra]);
}

const blocking = (run: CliRun) => run.findings.filter((f) => f.severity === 'prohibited' || f.severity === 'critical');

describe('a site with its own names', () => {
  it('the sandbox says its mirror CatalogSource, given no catalog file, serves the built-in catalog', () => {
    expect(started.join('\n')).toContain('no catalog was given for CatalogSource mirror-catalogs/redhat-operators-mirror (--catalog redhat-operators-mirror=FILE): it serves the built-in catalog');
  });

  it('the readiness assessment finds the DSC, the DSCI and rhoai-apps: no false finding', { timeout: 300_000 }, async () => {
    const run = await cli('runbooks/rhoai-readiness-assessment.yaml', [...SITE_VARS, ...MIRROR_VARS]);
    expect(blocking(run), run.stderr.slice(-2000)).toEqual([]);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    // The mesh roll holds only OpenShift AI's members (rhoai-apps-auth-provider among them).
    expect(run.findings.map((f) => f.check)).not.toContain('ossm2-non-rhoai');
    // Only the workbench on a custom image is flagged; the one from rhoai-apps's registry path is built in.
    expect(run.findings.find((f) => f.check === 'custom-workbench-images')?.objects).toEqual(['Notebook data-science/custom-wb']);
  });

  it("a site that did not name its mirror is told which CatalogSource RHOAI comes from", { timeout: 300_000 }, async () => {
    const run = await cli('runbooks/rhoai-readiness-assessment.yaml', SITE_VARS);
    expect(run.code).toBe(3);
    expect(blocking(run).map((f) => `${f.severity} ${f.check}: ${f.message}`)).toEqual([
      'critical catalog-source: CatalogSource openshift-marketplace/redhat-operators, which the operator installs use, does not exist (the RHOAI subscription uses mirror-catalogs/redhat-operators-mirror)',
    ]);
  });

  it('a DSCI name given that does not exist is named, with the ones that do', { timeout: 300_000 }, async () => {
    const run = await cli('runbooks/rhoai-readiness-assessment.yaml', [...SITE_VARS, ...MIRROR_VARS, '--var', 'dsciName=default-dsci']);
    expect(run.code).toBe(3);
    expect(run.findings.find((f) => f.check === 'rhoai-names')?.message).toBe(
      "OpenShift AI's DataScienceCluster and DSCInitialization cannot be told: DSCInitialization default-dsci does not exist (there are: site-dsci)",
    );
  });

  it('a namespace that is not OpenShift AI\'s in the mesh is named, with why', { timeout: 300_000 }, async () => {
    const kube = sandbox.kube;
    await kube.patch(SMMR, 'merge', { spec: { members: ['knative-serving', 'models', `${APPS}-auth-provider`, 'team-x'] } });
    try {
      const run = await cli('runbooks/upgrade-2.25-to-3.3.yaml', [...SITE_VARS, ...MIRROR_VARS, '--only', 'assess', '--var', `backupDir=${scratchDir('runbook-site-names-backup-')}`]);
      expect(run.code, run.stderr.slice(-2000)).toBe(3);
      expect(blocking(run).map((f) => `${f.check}: ${f.message}`)).toEqual([
        "ossm2-non-rhoai: Service Mesh 2 members that are not OpenShift AI's: team-x (no InferenceService, not an OpenShift AI namespace)",
      ]);
      expect(run.summary?.apiCalls?.writes).toBe(0);
    } finally {
      await kube.patch(SMMR, 'merge', { spec: { members: ['knative-serving', 'models', `${APPS}-auth-provider`] } });
    }
  });

  it('the upgrade finishes, works in rhoai-apps, and installs every operator from the mirror', { timeout: 900_000 }, async () => {
    const kube = sandbox.kube;
    // A disconnected cluster: the Red Hat CatalogSource is not there, only the mirror.
    expect(await kube.get({ apiVersion: OLM, kind: 'CatalogSource', name: 'redhat-operators', namespace: 'openshift-marketplace' })).toBeNull();
    const backupDir = scratchDir('runbook-site-names-backup-');
    const run = await cli('runbooks/upgrade-2.25-to-3.3.yaml', [...SITE_VARS, ...MIRROR_VARS, '--var', `backupDir=${backupDir}`]);
    const failed = run.events
      .filter((e) => e.type === 'node:end' && (e.result as { status: string }).status === 'failed' && (e.node as { kind: string }).kind === 'step')
      .map((e) => `${(e.node as { id: string }).id}: ${JSON.stringify((e.result as { error?: unknown }).error)}`);
    expect(failed).toEqual([]);
    expect(blocking(run)).toEqual([]);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);

    // RHOAI itself stayed on its mirror and reached 3.3.
    const sub = await kube.get({ apiVersion: OLM, kind: 'Subscription', name: 'rhoai', namespace: 'rhoai-operator' });
    expect(sub!.spec).toMatchObject({ channel: 'support-required-upgrade', source: 'redhat-operators-mirror', sourceNamespace: 'mirror-catalogs' });
    expect((sub!.status as { installedCSV: string }).installedCSV).toMatch(/^rhods-operator\.3\.3\./);
    // Every operator the runbook installed comes from the mirror, and runs.
    const subs = (await kube.list({ apiVersion: OLM, kind: 'Subscription' }, { allNamespaces: true })).items;
    const installed = subs.filter((s) => ['kueue-operator', 'openshift-cert-manager-operator'].includes((s.spec as { name: string }).name));
    expect(installed.map((s) => (s.spec as { name: string }).name).sort()).toEqual(['kueue-operator', 'openshift-cert-manager-operator']);
    for (const s of installed) {
      expect(s.spec, s.metadata.name).toMatchObject({ source: 'redhat-operators-mirror', sourceNamespace: 'mirror-catalogs' });
      const csv = await kube.get({ apiVersion: OLM, kind: 'ClusterServiceVersion', name: (s.status as { installedCSV: string }).installedCSV, namespace: s.metadata.namespace });
      expect((csv?.status as { phase?: string } | undefined)?.phase, s.metadata.name).toBe('Succeeded');
    }

    // What derives from the applications namespace was done in rhoai-apps.
    const kueueConfig = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'kueue-manager-config', namespace: APPS });
    expect(kueueConfig?.metadata.annotations?.['opendatahub.io/managed']).toBe('false');
    const backups = listFiles(join(backupDir, 'model-serving'));
    expect(backups.some((f) => f.includes('inferenceservice-config')), backups.join('\n')).toBe(true);
    // The site's DSC, found by the runbook, is on 3.3 with Kueue through the Red Hat build of Kueue.
    const dsc = await kube.get({ apiVersion: 'datasciencecluster.opendatahub.io/v2', kind: 'DataScienceCluster', name: 'site-dsc' });
    expect((dsc!.status as { release: { version: string } }).release.version).toMatch(/^3\.3\./);
    expect((dsc!.spec as { components: { kueue: { managementState: string } } }).components.kueue.managementState).toBe('Unmanaged');
  });
});

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}
