// A site's own cluster in the sandbox, as it comes: an `oc get -o yaml` List with every server-set
// field, its own RHOAI install under other names (replacing the built-in base, not stacked on it),
// a mirrored CatalogSource served from the site's rendered catalog (a JSON stream, one package;
// the rest falls back to the built-in catalog with a notice), its own CRD in place of ours, models
// with their finalizers; and the errors a site meets: an object given twice, a CRD file with a
// problem, a sandbox that cannot settle — each named, within a bounded time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/contract/errors.js';
import type { KubeClient } from '../../src/kube/client.js';
import { loadSiteCrds } from '../../src/sandbox/crds/site.js';
import { loadScenario } from '../../src/sandbox/scenario/load.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { OLM, conditionOf, scratchFiles, startTestSandbox, statusOf, until } from './support/sandbox.js';

const SERVER = (name: string, uid: string, extra = ''): string =>
  `    uid: ${uid}\n    resourceVersion: "48213"\n    creationTimestamp: "2026-03-02T10:11:12Z"\n    generation: 3\n    managedFields: [{ manager: kubectl, operation: Update, apiVersion: v1 }]\n${extra}`;

// A site: applications namespace rhoai-apps, DSCI and DSC with their own names, RHOAI 2.25.6 from
// a mirror CatalogSource, a Kueue Subscription from the same mirror, a model with finalizers.
const SITE = `apiVersion: v1
kind: List
items:
- apiVersion: config.openshift.io/v1
  kind: ClusterVersion
  metadata:
    name: version
${SERVER('version', 'aaaaaaaa-0000-4000-8000-000000000001')}  spec: { channel: stable-4.19, clusterID: 5d1f0a0e-3b7c-4e6b-9f2a-6c1d2e3f4a5b }
  status:
    desired: { version: 4.19.14, image: quay.io/openshift-release-dev/ocp-release:4.19.14-x86_64 }
    history: [{ state: Completed, version: 4.19.14, startedTime: "2026-02-01T00:00:00Z", completionTime: "2026-02-01T01:00:00Z", verified: true }]
- apiVersion: v1
  kind: Namespace
  metadata:
    name: rhoai-operator
${SERVER('rhoai-operator', 'aaaaaaaa-0000-4000-8000-000000000002')}    labels: { openshift.io/cluster-monitoring: "true" }
  spec: { finalizers: [kubernetes] }
  status: { phase: Active }
- apiVersion: v1
  kind: Namespace
  metadata:
    name: rhoai-apps
${SERVER('rhoai-apps', 'aaaaaaaa-0000-4000-8000-000000000003')}    labels: { opendatahub.io/generated-namespace: "true" }
- apiVersion: v1
  kind: Namespace
  metadata: { name: mirror-catalogs }
- apiVersion: operators.coreos.com/v1alpha1
  kind: CatalogSource
  metadata:
    name: redhat-operators-mirror
    namespace: mirror-catalogs
${SERVER('m', 'aaaaaaaa-0000-4000-8000-000000000004')}  spec: { sourceType: grpc, image: mirror.example.com/redhat/redhat-operator-index:v4.19 }
  status: { connectionState: { lastObservedState: READY } }
- apiVersion: operators.coreos.com/v1
  kind: OperatorGroup
  metadata: { name: rhoai-operator, namespace: rhoai-operator }
  spec: {}
- apiVersion: operators.coreos.com/v1alpha1
  kind: Subscription
  metadata:
    name: rhoai
    namespace: rhoai-operator
    labels: { operators.coreos.com/rhods-operator.rhoai-operator: "" }
${SERVER('rhoai', 'aaaaaaaa-0000-4000-8000-000000000005')}  spec: { name: rhods-operator, channel: stable-2.25, source: redhat-operators-mirror, sourceNamespace: mirror-catalogs, installPlanApproval: Manual }
  status: { installedCSV: rhods-operator.2.25.6, currentCSV: rhods-operator.2.25.6, state: AtLatestKnown }
- apiVersion: operators.coreos.com/v1alpha1
  kind: ClusterServiceVersion
  metadata:
    name: rhods-operator.2.25.6
    namespace: rhoai-operator
    labels: { operators.coreos.com/rhods-operator.rhoai-operator: "" }
${SERVER('csv', 'aaaaaaaa-0000-4000-8000-000000000006')}  spec:
    displayName: Red Hat OpenShift AI
    version: 2.25.6
    install: { strategy: deployment, spec: { deployments: [{ name: rhods-operator, spec: { template: { spec: { containers: [{ name: manager, image: mirror.example.com/rhoai/odh-rhel9-operator:2.25.6 }] } } } }] } }
  status: { phase: Succeeded, reason: InstallSucceeded, message: install strategy completed with no errors }
- apiVersion: dscinitialization.opendatahub.io/v1
  kind: DSCInitialization
  metadata:
    name: site-dsci
${SERVER('dsci', 'aaaaaaaa-0000-4000-8000-000000000007')}  spec:
    applicationsNamespace: rhoai-apps
    monitoring: { managementState: Managed, namespace: rhoai-monitoring }
    serviceMesh: { managementState: Removed }
    trustedCABundle: { managementState: Managed, customCABundle: "" }
- apiVersion: datasciencecluster.opendatahub.io/v1
  kind: DataScienceCluster
  metadata:
    name: site-dsc
${SERVER('dsc', 'aaaaaaaa-0000-4000-8000-000000000008')}  spec:
    components:
      dashboard: { managementState: Managed }
      workbenches: { managementState: Managed }
      kserve: { managementState: Managed, defaultDeploymentMode: RawDeployment, serving: { managementState: Removed } }
      kueue: { managementState: Removed }
      codeflare: { managementState: Removed }
      modelmeshserving: { managementState: Removed }
- apiVersion: v1
  kind: Namespace
  metadata: { name: openshift-kueue-operator }
- apiVersion: operators.coreos.com/v1
  kind: OperatorGroup
  metadata: { name: kueue, namespace: openshift-kueue-operator }
  spec: {}
- apiVersion: operators.coreos.com/v1alpha1
  kind: Subscription
  metadata: { name: kueue-operator, namespace: openshift-kueue-operator }
  spec: { name: kueue-operator, channel: stable-v1.2, source: redhat-operators-mirror, sourceNamespace: mirror-catalogs, installPlanApproval: Automatic }
- apiVersion: v1
  kind: Namespace
  metadata: { name: models, labels: { opendatahub.io/dashboard: "true" } }
- apiVersion: serving.kserve.io/v1beta1
  kind: InferenceService
  metadata:
    name: granite
    namespace: models
    finalizers: [inferenceservice.finalizers, odh.inferenceservice.finalizers]
    annotations: { serving.kserve.io/deploymentMode: RawDeployment }
${SERVER('isvc', 'aaaaaaaa-0000-4000-8000-000000000009')}  spec: { predictor: { model: { modelFormat: { name: vLLM }, runtime: vllm, storageUri: "oci://mirror.example.com/granite:1" } } }
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: granite-notes
    namespace: models
    ownerReferences:
    - { apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, name: granite, uid: aaaaaaaa-0000-4000-8000-000000000009, controller: true }
    - { apiVersion: apps/v1, kind: Deployment, name: not-exported, uid: aaaaaaaa-0000-4000-8000-0000000000ff }
  data: { owner: models-team }
- apiVersion: v1
  kind: ConfigMap
  metadata: { name: kube-root-ca.crt, namespace: models }
  data: { ca.crt: "site CA" }
`;

// The mirror's catalog as `opm render … | jq 'select(.package=="rhods-operator" or .name=="rhods-operator")'`
// prints it: JSON objects one after another. Its stable-2.25 stops at 2.25.6; support-required-upgrade
// has 3.3.3 (from 2.25.6) and a mirror-only 3.3.4 that accepts 2.25.6 too.
const CATALOG = [
  { schema: 'olm.package', name: 'rhods-operator', defaultChannel: 'stable-2.25' },
  { schema: 'olm.channel', package: 'rhods-operator', name: 'stable-2.25', entries: [{ name: 'rhods-operator.2.25.6' }] },
  {
    schema: 'olm.channel',
    package: 'rhods-operator',
    name: 'support-required-upgrade',
    entries: [
      { name: 'rhods-operator.3.3.3', skipRange: '>=2.25.6 <2.26.0' },
      { name: 'rhods-operator.3.3.4', replaces: 'rhods-operator.3.3.3', skipRange: '>=2.25.6 <2.26.0 || >=3.3.3 <3.3.4' },
    ],
  },
  ...['2.25.6', '3.3.3', '3.3.4'].map((v) => ({ schema: 'olm.bundle', package: 'rhods-operator', name: `rhods-operator.${v}`, properties: [{ type: 'olm.package', value: { packageName: 'rhods-operator', version: v } }] })),
]
  .map((d) => JSON.stringify(d, null, 2))
  .join('\n');

// The site's Notebook CRD serves v1 only (ours serves v1alpha1 and v1beta1 too), and a stray Service.
const CRDS = `apiVersion: v1
kind: List
items:
- apiVersion: apiextensions.k8s.io/v1
  kind: CustomResourceDefinition
  metadata:
    name: notebooks.kubeflow.org
    uid: 0c0c0c0c-0000-4000-8000-000000000001
    resourceVersion: "9"
    annotations: { kubectl.kubernetes.io/last-applied-configuration: "{}" }
  spec:
    group: kubeflow.org
    names: { kind: Notebook, listKind: NotebookList, plural: notebooks, singular: notebook }
    scope: Namespaced
    versions:
    - name: v1
      served: true
      storage: true
      subresources: { status: {} }
      schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
  status: { acceptedNames: { kind: Notebook, plural: notebooks }, storedVersions: [v1] }
- apiVersion: v1
  kind: Service
  metadata: { name: stray, namespace: default }
`;

let files: ReturnType<typeof scratchFiles>;

beforeAll(() => {
  files = scratchFiles({
    'site.yaml': SITE,
    'mirror.json': CATALOG,
    'crds.yaml': CRDS,
    'twice.yaml': `${SITE}- apiVersion: config.openshift.io/v1\n  kind: ClusterVersion\n  metadata: { name: version }\n  spec: { channel: stable-4.19 }\n`,
    'bad-crd.yaml': 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: { name: things.example.com }\nspec:\n  group: example.com\n  names: { kind: Thing, plural: thing }\n  scope: Namespaced\n  versions: [{ name: v1, served: true, storage: true }]\n',
    'kueue-sub.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: { name: openshift-kueue-operator }\n---\napiVersion: operators.coreos.com/v1\nkind: OperatorGroup\nmetadata: { name: kueue, namespace: openshift-kueue-operator }\nspec: {}\n---\napiVersion: operators.coreos.com/v1alpha1\nkind: Subscription\nmetadata: { name: kueue-operator, namespace: openshift-kueue-operator }\nspec: { name: kueue-operator, channel: stable-v1.2, source: redhat-operators, sourceNamespace: openshift-marketplace, installPlanApproval: Automatic }\n',
  });
});

afterAll(() => files?.remove());

describe('a site export in the sandbox', () => {
  let sandbox: Sandbox;
  let kube: KubeClient;
  const notes: string[] = [];

  beforeAll(async () => {
    sandbox = await startTestSandbox({ scenario: `${files.dir}/site.yaml`, speed: 0, crds: `${files.dir}/crds.yaml`, catalogs: [`redhat-operators-mirror=${files.dir}/mirror.json`], log: (m) => notes.push(m) });
    kube = sandbox.kube;
  }, 600_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('replaces the built-in base: one DSC and one DSCI, the site\'s, and the site\'s OpenShift version', async () => {
    expect((await kube.list({ apiVersion: 'datasciencecluster.opendatahub.io/v1', kind: 'DataScienceCluster' })).items.map((o) => o.metadata.name)).toEqual(['site-dsc']);
    expect((await kube.list({ apiVersion: 'dscinitialization.opendatahub.io/v1', kind: 'DSCInitialization' })).items.map((o) => o.metadata.name)).toEqual(['site-dsci']);
    const version = await kube.get({ apiVersion: 'config.openshift.io/v1', kind: 'ClusterVersion', name: 'version' });
    expect(statusOf<{ desired: { version: string } }>(version).desired.version).toBe('4.19.14');
    expect(await kube.get({ apiVersion: OLM, kind: 'Subscription', name: 'rhods-operator', namespace: 'redhat-ods-operator' })).toBeNull();
    const dsc = await until(kube, { apiVersion: 'datasciencecluster.opendatahub.io/v1', kind: 'DataScienceCluster', name: 'site-dsc' }, 'the site DSC Ready', (o) => statusOf(o).phase === 'Ready');
    expect(statusOf<{ release: { version: string } }>(dsc).release.version).toBe('2.25.6');
  });

  it('drops server-set fields, keeps labels, status and finalizers, and re-points owner references', async () => {
    const ns = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'rhoai-operator' });
    expect(ns?.metadata.labels).toMatchObject({ 'openshift.io/cluster-monitoring': 'true' });
    expect(ns?.metadata.uid).not.toBe('aaaaaaaa-0000-4000-8000-000000000002');
    const isvc = await kube.get({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', name: 'granite', namespace: 'models' });
    expect(isvc?.metadata.finalizers).toEqual(['inferenceservice.finalizers', 'odh.inferenceservice.finalizers']);
    const notesCm = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'granite-notes', namespace: 'models' });
    expect(notesCm?.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'InferenceService', name: 'granite', uid: isvc!.metadata.uid })]);
    expect(notes.join('\n')).toContain('ConfigMap. models/granite-notes: dropped owner references to objects not given (Deployment not-exported)');
    expect(notes.join('\n')).toContain("kept the control plane's own ConfigMap. models/kube-root-ca.crt");
    // The operator of the Succeeded CSV runs, with the site's image.
    const deployment = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'rhods-operator', namespace: 'rhoai-operator' });
    expect(JSON.stringify(deployment?.spec)).toContain('mirror.example.com/rhoai/odh-rhel9-operator:2.25.6');
  });

  it("serves the site's CRD in place of the sandbox's, and skips what is not a CRD with a notice", async () => {
    const crd = await kube.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'notebooks.kubeflow.org' });
    expect((crd?.spec as { versions: { name: string }[] }).versions.map((v) => v.name)).toEqual(['v1']);
    expect(notes.join('\n')).toContain("using the site's CustomResourceDefinition notebooks.kubeflow.org in place of the sandbox's");
    expect(notes.join('\n')).toMatch(/skipped Service stray at .*crds\.yaml:\d+: not a CustomResourceDefinition/);
  });

  it("resolves the mirror CatalogSource from the site's catalog, and says which packages fall back", async () => {
    const sub = { apiVersion: OLM, kind: 'Subscription', name: 'rhoai', namespace: 'rhoai-operator' };
    await kube.patch(sub, 'merge', { spec: { channel: 'support-required-upgrade' } });
    // From 2.25.6 the mirror's graph offers its head, 3.3.4 (the built-in graph would offer 3.3.3).
    const pending = await until(kube, sub, 'the mirror plan', (o) => statusOf(o).currentCSV === 'rhods-operator.3.3.4');
    expect(conditionOf(pending, 'ResolutionFailed')).toBeUndefined();
    // The mirror file holds rhods-operator only: Kueue came from the built-in catalog, and the start said so.
    expect(notes.join('\n')).toContain('the catalog given for CatalogSource mirror-catalogs/redhat-operators-mirror has no package kueue-operator: it comes from the built-in catalog');
    const kueue = await until(kube, { apiVersion: OLM, kind: 'Subscription', name: 'kueue-operator', namespace: 'openshift-kueue-operator' }, 'Kueue installed', (o) => statusOf(o).installedCSV === 'kueue-operator.v1.2.0');
    expect(statusOf(kueue).state).toBe('AtLatestKnown');
  });

  it('a model with its finalizers is deleted for good: the simulated controllers take them off', async () => {
    const ref = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', name: 'granite', namespace: 'models' };
    await kube.delete(ref);
    const started = Date.now();
    for (;;) {
      if ((await kube.get(ref)) === null) break;
      if (Date.now() - started > 20_000) throw new Error('the InferenceService with finalizers was not deleted within 20 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  });
});

describe('what a site gets wrong, named before anything starts', () => {
  it('an object given twice names both places, before anything starts', async () => {
    const err = await loadScenario(`${files.dir}/twice.yaml`).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/ClusterVersion\.config\.openshift\.io version is given twice: by .*twice\.yaml:4 and by .*twice\.yaml:\d+/);
    expect((err as InputError).problems[0]?.hint).toContain('an export of your cluster brings its own OpenShift AI install');
  });

  it('a CRD file with a problem is refused with its position', async () => {
    const err = await loadSiteCrds(`${files.dir}/bad-crd.yaml`).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/bad-crd\.yaml:1:1: CustomResourceDefinition things\.example\.com: metadata\.name must be thing\.example\.com/);
  });

  it('a sandbox that cannot settle in time fails with what it waits for', async () => {
    const started = Date.now();
    const err = await startTestSandbox({ scenario: `${files.dir}/kueue-sub.yaml`, speed: 1, settleTimeoutMs: 1_000 }).then(
      async (s) => {
        await s.stop();
        return undefined;
      },
      (e: unknown) => e as Error,
    );
    expect(Date.now() - started).toBeLessThan(120_000);
    // At realistic speed nothing is at rest after a second: what is not is named, with its condition.
    expect(err?.message).toMatch(/the sandbox did not settle within 1 s; still waiting for:\n {2}- (DataScienceCluster default-dsc: phase Not Ready; Ready False: |ClusterServiceVersion openshift-kueue-operator\/kueue-operator\.v1\.2\.0: phase )/);
  }, 600_000);
});
