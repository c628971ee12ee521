import { randomBytes } from 'node:crypto';
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCrds, loadCrds } from '../../src/sandbox/crds/index.js';

// The integration global setup starts the control plane, installs the CRDs and publishes the
// admin kubeconfig here. Installing again below also proves installCrds is idempotent.
function kubeconfigPath(): string {
  const path = process.env.RUNBOOK_TEST_KUBECONFIG;
  if (!path) throw new Error('RUNBOOK_TEST_KUBECONFIG is not set: run through the vitest integration project');
  return path;
}

type Obj = Record<string, unknown> & { metadata?: { name?: string; resourceVersion?: string } };

let crds: V1CustomResourceDefinition[];
let ext: ApiextensionsV1Api;
let custom: CustomObjectsApi;
let core: CoreV1Api;
const ns = `crds-${randomBytes(3).toString('hex')}`;
const dscName = `dsc-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  ext = kc.makeApiClient(ApiextensionsV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
  core = kc.makeApiClient(CoreV1Api);
  crds = await loadCrds();
  await installCrds(kubeconfigPath());
  await core.createNamespace({ body: { metadata: { name: ns } } });
});

afterAll(async () => {
  await core?.deleteNamespace({ name: ns }).catch(() => undefined);
  await custom?.deleteClusterCustomObject({ group: 'datasciencecluster.opendatahub.io', version: 'v1', plural: 'datascienceclusters', name: dscName }).catch(() => undefined);
});

/** The Status message of a refused request, so assertions can read what the API server said. */
async function refusal(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiException) {
      const body = typeof err.body === 'string' ? err.body : JSON.stringify(err.body);
      const message = (JSON.parse(body) as { message?: string }).message ?? body;
      return { code: err.code, message };
    }
    throw err;
  }
  throw new Error('expected the API server to refuse the request');
}

function crd(name: string): V1CustomResourceDefinition {
  const found = crds.find((c) => c.metadata?.name === name);
  if (!found) throw new Error(`no CRD ${name} in src/sandbox/crds`);
  return found;
}

describe('CRD installation', () => {
  it('ships the kinds the runbooks rely on', () => {
    const names = new Set(crds.map((c) => c.metadata?.name));
    for (const n of [
      'subscriptions.operators.coreos.com',
      'installplans.operators.coreos.com',
      'clusterserviceversions.operators.coreos.com',
      'datascienceclusters.datasciencecluster.opendatahub.io',
      'dscinitializations.dscinitialization.opendatahub.io',
      'kueues.components.platform.opendatahub.io',
      'inferenceservices.serving.kserve.io',
      'inferencepools.inference.networking.x-k8s.io',
      'inferencepools.inference.networking.k8s.io',
      'clusterversions.config.openshift.io',
    ]) {
      expect(names, n).toContain(n);
    }
  });

  it('every CRD is Established with its names accepted', async () => {
    const live = new Map((await ext.listCustomResourceDefinition()).items.map((c) => [c.metadata?.name, c]));
    const notReady = crds
      .map((c) => c.metadata?.name ?? '')
      .filter((name) => {
        const conditions = live.get(name)?.status?.conditions ?? [];
        const ok = (type: string) => conditions.some((c) => c.type === type && c.status === 'True');
        return !(ok('Established') && ok('NamesAccepted'));
      });
    expect(notReady).toEqual([]);
  });

  it('a second install writes nothing and returns quickly', async () => {
    const versions = async () => new Map((await ext.listCustomResourceDefinition()).items.map((c) => [c.metadata?.name, c.metadata?.resourceVersion]));
    const before = await versions();
    const started = Date.now();
    await installCrds(kubeconfigPath());
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await versions()).toEqual(before);
  });

  it('a CRD that never becomes Established fails the install with its name and the reason', async () => {
    const group = `conflict-${randomBytes(3).toString('hex')}.example.com`;
    const make = (plural: string, kind: string): V1CustomResourceDefinition => ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${plural}.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        // Both claim the short name "al": the second one's names are not accepted.
        names: { plural, kind, singular: plural.slice(0, -1), shortNames: ['al'] },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } } }],
      },
    });
    const first = make('alphas', 'Alpha');
    const second = make('betas', 'Beta');
    try {
      await installCrds(kubeconfigPath(), { crds: [first] });
      const err = await installCrds(kubeconfigPath(), { crds: [second], timeoutMs: 2_000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(new RegExp(`CRDs not Established after 2000 ms: betas\\.${group.replace(/\./g, '\\.')} \\(NamesAccepted=False: .*al`));
    } finally {
      await ext.deleteCustomResourceDefinition({ name: `alphas.${group}` }).catch(() => undefined);
      await ext.deleteCustomResourceDefinition({ name: `betas.${group}` }).catch(() => undefined);
    }
  });

  it('discovery lists every kind with its scope and short names in each served version', async () => {
    const problems: string[] = [];
    for (const c of crds) {
      for (const v of c.spec.versions.filter((ver) => ver.served)) {
        const list = await custom.getAPIResources({ group: c.spec.group, version: v.name });
        const r = list.resources.find((res) => res.name === c.spec.names.plural);
        const where = `${c.spec.names.plural}.${c.spec.group}/${v.name}`;
        if (!r) {
          problems.push(`${where}: not in discovery`);
          continue;
        }
        if (r.kind !== c.spec.names.kind) problems.push(`${where}: kind ${r.kind}`);
        if (r.namespaced !== (c.spec.scope === 'Namespaced')) problems.push(`${where}: namespaced=${r.namespaced}`);
        if ((r.shortNames ?? []).join(',') !== (c.spec.names.shortNames ?? []).join(',')) problems.push(`${where}: shortNames ${r.shortNames}`);
        const hasStatus = list.resources.some((res) => res.name === `${c.spec.names.plural}/status`);
        if (hasStatus !== Boolean(v.subresources?.status)) problems.push(`${where}: status subresource ${hasStatus}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('exposes the short names kubectl users type', async () => {
    const short = async (group: string, version: string, plural: string) =>
      (await custom.getAPIResources({ group, version })).resources.find((r) => r.name === plural)?.shortNames ?? [];
    expect(await short('datasciencecluster.opendatahub.io', 'v1', 'datascienceclusters')).toEqual(['dsc']);
    expect(await short('dscinitialization.opendatahub.io', 'v1', 'dscinitializations')).toEqual(['dsci']);
    expect(await short('operators.coreos.com', 'v1alpha1', 'subscriptions')).toContain('sub');
    expect(await short('operators.coreos.com', 'v1alpha1', 'installplans')).toEqual(['ip']);
    expect(await short('operators.coreos.com', 'v1alpha1', 'clusterserviceversions')).toContain('csv');
    expect(await short('serving.kserve.io', 'v1beta1', 'inferenceservices')).toEqual(['isvc']);
    expect(await short('serving.kserve.io', 'v1alpha1', 'llminferenceservices')).toEqual(['llmisvc']);
    expect(await short('inference.networking.k8s.io', 'v1', 'inferencepools')).toEqual(['infpool']);
  });
});

describe('DataScienceCluster', () => {
  const G = 'datasciencecluster.opendatahub.io';
  const P = 'datascienceclusters';
  const dsc = (version: string, components: Record<string, unknown>, name = dscName): Obj => ({
    apiVersion: `${G}/${version}`,
    kind: 'DataScienceCluster',
    metadata: { name },
    spec: { components },
  });

  // The base install carries the RHOAI 2.25 DSC (v1 only); the simulator swaps in the 3.3 one
  // (v1 + v2 with conversion) when the 3.3 operator is installed (sandbox-rhoai-operator.test.ts).
  it.each(['v1'])('refuses kueue.managementState Bogus in %s with the enum message', async (version) => {
    const r = await refusal(custom.createClusterCustomObject({ group: G, version, plural: P, body: dsc(version, { kueue: { managementState: 'Bogus' } }, `bogus-${version}`) }));
    expect(r.code).toBe(422);
    expect(r.message).toContain('spec.components.kueue.managementState: Unsupported value: "Bogus"');
    expect(r.message).toContain('supported values: "Managed", "Unmanaged", "Removed"');
  });

  it('refuses a bad kserve.defaultDeploymentMode and a managementState the component does not allow', async () => {
    const mode = await refusal(custom.createClusterCustomObject({ group: G, version: 'v1', plural: P, body: dsc('v1', { kserve: { managementState: 'Managed', defaultDeploymentMode: 'Knative' } }, 'bad-mode') }));
    expect(mode.message).toContain('spec.components.kserve.defaultDeploymentMode: Unsupported value: "Knative"');
    const dash = await refusal(custom.createClusterCustomObject({ group: G, version: 'v1', plural: P, body: dsc('v1', { dashboard: { managementState: 'Unmanaged' } }, 'bad-dash') }));
    expect(dash.message).toContain('spec.components.dashboard.managementState: Unsupported value: "Unmanaged"');
  });

  it('is not served as v2 on 2.25', async () => {
    const err = await custom.getAPIResources({ group: G, version: 'v2' }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<unknown>).code).toBe(404);
  });

  it('keeps the 2.x fields with their schema defaults and prunes fields 2.25 does not know', async () => {
    const components = {
      kserve: { managementState: 'Managed', defaultDeploymentMode: 'Serverless', serving: { managementState: 'Managed', name: 'knative-serving' } },
      kueue: { managementState: 'Unmanaged', defaultClusterQueueName: 'default' },
      codeflare: { managementState: 'Managed' },
      modelmeshserving: { managementState: 'Removed' },
      aipipelines: { managementState: 'Managed' },
    };
    await custom.createClusterCustomObject({ group: G, version: 'v1', plural: P, body: dsc('v1', components) });
    const asV1 = (await custom.getClusterCustomObject({ group: G, version: 'v1', plural: P, name: dscName })) as Obj;
    expect(asV1.apiVersion).toBe(`${G}/v1`);
    expect(asV1.spec).toEqual({
      components: {
        kserve: { ...components.kserve, rawDeploymentServiceConfig: 'Headless' },
        kueue: { ...components.kueue, defaultLocalQueueName: 'default' },
        codeflare: components.codeflare,
        modelmeshserving: components.modelmeshserving,
      },
    });
  });

  it('has a status subresource: status written through it sticks, status in a spec update does not', async () => {
    const current = (await custom.getClusterCustomObject({ group: G, version: 'v1', plural: P, name: dscName })) as Obj;
    const status = {
      phase: 'Ready',
      conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: '', lastTransitionTime: new Date().toISOString() }],
      release: { name: 'OpenShift AI Self-Managed', version: '2.25.4' },
    };
    await custom.replaceClusterCustomObjectStatus({ group: G, version: 'v1', plural: P, name: dscName, body: { ...current, status } });
    const afterStatus = (await custom.getClusterCustomObject({ group: G, version: 'v1', plural: P, name: dscName })) as Obj;
    expect(afterStatus.status).toMatchObject({ phase: 'Ready', release: { version: '2.25.4' } });

    // A spec update carrying a different status must leave the stored status alone.
    await custom.replaceClusterCustomObject({ group: G, version: 'v1', plural: P, name: dscName, body: { ...afterStatus, status: { phase: 'Not Ready' } } });
    const afterSpec = (await custom.getClusterCustomObject({ group: G, version: 'v1', plural: P, name: dscName })) as Obj;
    expect((afterSpec.status as { phase?: string }).phase).toBe('Ready');
  });
});

describe('OLM', () => {
  const G = 'operators.coreos.com';

  it('Subscription: installPlanApproval is a plain string (no enum upstream) and status is a subresource', async () => {
    const sub = (name: string, approval: string): Obj => ({
      apiVersion: `${G}/v1alpha1`,
      kind: 'Subscription',
      metadata: { name },
      spec: { name: 'rhods-operator', channel: 'stable-2.25', source: 'redhat-operators', sourceNamespace: 'openshift-marketplace', installPlanApproval: approval },
    });
    // operator-framework/api crds/operators.coreos.com_subscriptions.yaml declares no enum: OLM, not
    // the API server, is what ignores a value other than Automatic or Manual.
    await custom.createNamespacedCustomObject({ group: G, version: 'v1alpha1', namespace: ns, plural: 'subscriptions', body: sub('odd', 'Sometimes') });
    const odd = (await custom.getNamespacedCustomObject({ group: G, version: 'v1alpha1', namespace: ns, plural: 'subscriptions', name: 'odd' })) as Obj;
    expect((odd.spec as { installPlanApproval: string }).installPlanApproval).toBe('Sometimes');
    const og = (upgradeStrategy: unknown): Obj => ({ apiVersion: `${G}/v1`, kind: 'OperatorGroup', metadata: { name: `og-${String(typeof upgradeStrategy)}` }, spec: { upgradeStrategy } });
    const objectStrategy = await refusal(custom.createNamespacedCustomObject({ group: G, version: 'v1', namespace: ns, plural: 'operatorgroups', body: og({ name: 'Default' }) }));
    expect(objectStrategy.message).toContain('spec.upgradeStrategy: Invalid value: "object"');
    await custom.createNamespacedCustomObject({ group: G, version: 'v1', namespace: ns, plural: 'operatorgroups', body: og('TechPreviewUnsafeFailForward') });

    const created = (await custom.createNamespacedCustomObject({ group: G, version: 'v1alpha1', namespace: ns, plural: 'subscriptions', body: sub('rhods-operator', 'Manual') })) as Obj;
    const status = { state: 'UpgradePending', currentCSV: 'rhods-operator.3.3.2', installedCSV: 'rhods-operator.2.25.4', lastUpdated: new Date().toISOString() };
    await custom.replaceNamespacedCustomObjectStatus({ group: G, version: 'v1alpha1', namespace: ns, plural: 'subscriptions', name: 'rhods-operator', body: { ...created, status } });
    const read = (await custom.getNamespacedCustomObject({ group: G, version: 'v1alpha1', namespace: ns, plural: 'subscriptions', name: 'rhods-operator' })) as Obj;
    expect(read.status).toEqual(status);
  });

  it('InstallPlan: spec.approved must be a boolean', async () => {
    const plan = (approved: unknown): Obj => ({
      apiVersion: `${G}/v1alpha1`,
      kind: 'InstallPlan',
      metadata: { name: `install-${randomBytes(3).toString('hex')}` },
      spec: { approval: 'Manual', approved, clusterServiceVersionNames: ['rhods-operator.3.3.2'] },
    });
    const bad = await refusal(custom.createNamespacedCustomObject({ group: G, version: 'v1alpha1', namespace: ns, plural: 'installplans', body: plan('yes') }));
    expect(bad.code).toBe(422);
    expect(bad.message).toContain('spec.approved: Invalid value: "string"');
    await custom.createNamespacedCustomObject({ group: G, version: 'v1alpha1', namespace: ns, plural: 'installplans', body: plan(false) });
  });
});

describe('other kinds', () => {
  it('InferencePool exists in both inference extension groups, each listing only its own objects', async () => {
    const pool = (group: string, version: string, name: string): Obj => ({
      apiVersion: `${group}/${version}`,
      kind: 'InferencePool',
      metadata: { name },
      spec: { selector: { app: 'vllm' }, targetPortNumber: 8000 },
    });
    const alpha = { group: 'inference.networking.x-k8s.io', version: 'v1alpha2' };
    const ga = { group: 'inference.networking.k8s.io', version: 'v1' };
    await custom.createNamespacedCustomObject({ ...alpha, namespace: ns, plural: 'inferencepools', body: pool(alpha.group, alpha.version, 'pool-alpha') });
    await custom.createNamespacedCustomObject({ ...ga, namespace: ns, plural: 'inferencepools', body: pool(ga.group, ga.version, 'pool-ga') });
    const names = async (gv: { group: string; version: string }) =>
      ((await custom.listNamespacedCustomObject({ ...gv, namespace: ns, plural: 'inferencepools' })) as { items: Obj[] }).items.map((i) => i.metadata?.name);
    expect(await names(alpha)).toEqual(['pool-alpha']);
    expect(await names(ga)).toEqual(['pool-ga']);
  });

  it('component CRs are singletons named default-<component>', async () => {
    const G = 'components.platform.opendatahub.io';
    const r = await refusal(custom.createClusterCustomObject({ group: G, version: 'v1alpha1', plural: 'kueues', body: { apiVersion: `${G}/v1alpha1`, kind: 'Kueue', metadata: { name: 'my-kueue' }, spec: {} } }));
    expect(r.message).toContain('Kueue name must be default-kueue');
  });

  it('DSCI applicationsNamespace is immutable', async () => {
    const G = 'dscinitialization.opendatahub.io';
    const name = `dsci-${randomBytes(3).toString('hex')}`;
    const created = (await custom.createClusterCustomObject({ group: G, version: 'v1', plural: 'dscinitializations', body: { apiVersion: `${G}/v1`, kind: 'DSCInitialization', metadata: { name }, spec: { applicationsNamespace: 'redhat-ods-applications', serviceMesh: { managementState: 'Managed' } } } })) as Obj;
    try {
      const r = await refusal(custom.replaceClusterCustomObject({ group: G, version: 'v1', plural: 'dscinitializations', name, body: { ...created, spec: { applicationsNamespace: 'elsewhere' } } }));
      expect(r.message).toContain('ApplicationsNamespace is immutable');
    } finally {
      await custom.deleteClusterCustomObject({ group: G, version: 'v1', plural: 'dscinitializations', name });
    }
  });

  it('every CRD in the folder names its storage version and the DSC pair matches the release facts', () => {
    const dsc = crd('datascienceclusters.datasciencecluster.opendatahub.io');
    expect(dsc.spec.scope).toBe('Cluster');
    // RHOAI 2.25: v1 only, no conversion (the 3.3 pair is installed by the simulator with the 3.3 CSV).
    expect(dsc.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([['v1', true, true]]);
    expect(dsc.spec.conversion?.strategy ?? 'None').toBe('None');
    const dsci = crd('dscinitializations.dscinitialization.opendatahub.io');
    expect(dsci.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([['v1', true, true]]);
    const dspa = crd('datasciencepipelinesapplications.datasciencepipelinesapplications.opendatahub.io');
    expect(dspa.spec.versions.find((v) => v.storage)?.name).toBe('v1');
  });
});
