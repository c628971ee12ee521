// Puts a scenario on the cluster: the OpenShift version, the operators already installed (their
// Subscription, Succeeded CSV and operator Deployment, as OLM leaves them), the default DSCI and
// DSC, and every object, with its status when the scenario gives one. Runs before the simulator
// starts, so the simulated OLM finds these operators installed rather than installing them.
import type { KubeClient } from '../../kube/client.js';
import { isAlreadyExists } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/types.js';
import { DEFAULT_CATALOG_SOURCE } from '../catalog/load.js';
import { InputError } from '../../contract/errors.js';
import { type Catalogs, operatorDeployment } from '../simulator/catalog.js';
import { DEFAULT_DSC_2_25_COMPONENTS } from '../simulator/components.js';
import { runOperatorDeployment } from '../simulator/operator-pods.js';
import { SimRuntime } from '../simulator/runtime.js';
import type { Scenario } from './format.js';
import { generatedObjects } from './generate.js';
import { deepMerge } from './load.js';
import { placeObjects, scenarioConflicts } from './objects.js';

const OLM = 'operators.coreos.com/v1alpha1';

export async function applyScenario(kube: KubeClient, scenario: Scenario, log: (m: string) => void = () => undefined, catalogs?: Catalogs): Promise<void> {
  // Every conflict is reported before anything is created.
  const conflicts = scenarioConflicts(scenario);
  if (conflicts.length) throw new InputError(conflicts);
  const rt = new SimRuntime(kube, { speed: 0, faults: {}, ...(catalogs ? { catalogs } : {}) }, new AbortController().signal);
  const namespaces = new Set<string>();
  const ensureNamespace = async (name: string): Promise<void> => {
    if (namespaces.has(name)) return;
    namespaces.add(name);
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).catch((err: unknown) => {
      if (!isAlreadyExists(err)) throw err;
    });
  };

  if (scenario.openshiftVersion) await createWithStatus(kube, clusterVersion(scenario.openshiftVersion));

  if (scenario.operators.length > 0) await createCatalogSource(kube);
  for (const op of scenario.operators) {
    const bundle = rt.catalogs.bundleOfVersion(op.package, op.version);
    if (!bundle) {
      const versions = rt.catalogs.versions(op.package);
      throw new Error(`scenario ${scenario.name}: the sandbox catalog has no ${op.package} ${op.version}${versions.length ? ` (it has ${versions.join(', ')})` : ''}`);
    }
    const name = op.name ?? op.package;
    const csv = bundle.name;
    const deployment = operatorDeployment(op.package);
    const label = { [`operators.coreos.com/${op.package}.${op.namespace}`]: '' };
    await ensureNamespace(op.namespace);
    const groups = await kube.list({ apiVersion: 'operators.coreos.com/v1', kind: 'OperatorGroup', namespace: op.namespace });
    if (groups.items.length === 0) {
      await kube.create({ apiVersion: 'operators.coreos.com/v1', kind: 'OperatorGroup', metadata: { name: op.namespace, namespace: op.namespace }, spec: {} });
    }
    const created = await createWithStatus(kube, {
      apiVersion: OLM,
      kind: 'ClusterServiceVersion',
      metadata: { name: csv, namespace: op.namespace, labels: label },
      spec: { displayName: bundle.displayName ?? op.package, version: op.version, install: { strategy: 'deployment', spec: { deployments: [{ name: deployment }] } } },
      status: { phase: 'Succeeded', reason: 'InstallSucceeded', message: 'install strategy completed with no errors' },
    });
    if (created) await runOperatorDeployment(rt, created, deployment, `registry.redhat.io/${op.package}/operator:v${op.version}`);
    await createWithStatus(kube, {
      apiVersion: OLM,
      kind: 'Subscription',
      metadata: { name, namespace: op.namespace, labels: label },
      spec: { name: op.package, channel: op.channel, source: DEFAULT_CATALOG_SOURCE.name, sourceNamespace: DEFAULT_CATALOG_SOURCE.namespace, installPlanApproval: op.approval ?? 'Automatic', startingCSV: csv },
      status: { installedCSV: csv, currentCSV: csv, state: 'AtLatestKnown', lastUpdated: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
    });
    log(`installed ${csv} in ${op.namespace}`);
  }

  const rhoai = scenario.operators.find((o) => o.package === 'rhods-operator');
  if (rhoai) {
    await createWithStatus(kube, {
      apiVersion: 'dscinitialization.opendatahub.io/v1',
      kind: 'DSCInitialization',
      metadata: { name: 'default-dsci' },
      spec: deepMerge(
        {
          applicationsNamespace: 'redhat-ods-applications',
          monitoring: { managementState: 'Managed', namespace: 'redhat-ods-monitoring', metrics: {} },
          serviceMesh: { managementState: 'Managed', controlPlane: { name: 'data-science-smcp', namespace: 'istio-system', metricsCollection: 'Istio' }, auth: { audiences: ['https://kubernetes.default.svc'] } },
          trustedCABundle: { managementState: 'Managed', customCABundle: '' },
        },
        scenario.dscInitialization ?? {},
      ),
    });
    await createWithStatus(kube, {
      apiVersion: 'datasciencecluster.opendatahub.io/v1',
      kind: 'DataScienceCluster',
      metadata: { name: 'default-dsc' },
      spec: { components: deepMerge(DEFAULT_DSC_2_25_COMPONENTS, scenario.dataScienceCluster ?? {}) },
    });
  }

  const objects = [...scenario.objects, ...generatedObjects(scenario)];
  const placed = await placeObjects(kube, rt, objects, ensureNamespace);
  for (const n of placed.notices) log(`note: ${n}`);
  log(`created ${placed.created} objects`);
}


/** Creates an object (skipped when it exists) and writes its status through the subresource. */
async function createWithStatus(kube: KubeClient, obj: KubeObject): Promise<KubeObject | undefined> {
  const { status, ...rest } = obj as KubeObject & { status?: unknown };
  const ref = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name!, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) };
  // Create and let the server say it exists: one request per object instead of a read first.
  let created: KubeObject;
  try {
    created = await kube.create(rest as KubeObject);
  } catch (err) {
    if (isAlreadyExists(err)) return undefined;
    throw err;
  }
  if (status !== undefined) {
    const mapping = await kube.mapping(obj.apiVersion, obj.kind);
    if (mapping.subresources.includes('status')) return kube.patch(ref, 'merge', { status }, { subresource: 'status' });
  }
  return created;
}

/** The catalog every OpenShift cluster has, served here from the built-in catalog data. */
async function createCatalogSource(kube: KubeClient): Promise<void> {
  const { name, namespace } = DEFAULT_CATALOG_SOURCE;
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }).catch((err: unknown) => {
    if (!isAlreadyExists(err)) throw err;
  });
  await createWithStatus(kube, {
    apiVersion: OLM,
    kind: 'CatalogSource',
    metadata: { name, namespace },
    spec: { sourceType: 'grpc', image: 'registry.redhat.io/redhat/redhat-operator-index:v4.19', displayName: 'Red Hat Operators', publisher: 'Red Hat', updateStrategy: { registryPoll: { interval: '10m' } } },
    status: { connectionState: { address: `${name}.${namespace}.svc:50051`, lastObservedState: 'READY' } },
  });
}
function clusterVersion(version: string): KubeObject {
  const [major, minor] = version.split('.');
  return {
    apiVersion: 'config.openshift.io/v1',
    kind: 'ClusterVersion',
    metadata: { name: 'version' },
    spec: { channel: `stable-${major}.${minor}`, clusterID: '00000000-0000-4000-8000-000000000000' },
    status: {
      desired: { version, image: `quay.io/openshift-release-dev/ocp-release:${version}-x86_64` },
      history: [{ state: 'Completed', version, startedTime: '2026-01-01T00:00:00Z', completionTime: '2026-01-01T01:00:00Z', verified: true }],
      observedGeneration: 1,
      versionHash: 'sandbox',
      availableUpdates: null,
      conditions: [
        { type: 'Available', status: 'True', message: `Done applying ${version}`, lastTransitionTime: '2026-01-01T01:00:00Z' },
        { type: 'Progressing', status: 'False', message: `Cluster version is ${version}`, lastTransitionTime: '2026-01-01T01:00:00Z' },
      ],
    },
  } as KubeObject;
}
