// Puts a scenario's plain objects on the sandbox as a site gives them: files written by `oc get
// -o yaml` or `runbook sandbox export`, with the fields only a server sets (uid, resourceVersion,
// creationTimestamp, generation, managedFields) still in them. Those are dropped; status is written
// through the status subresource; ownerReferences are pointed at the owners' new uids (and dropped
// where the owner was not exported, or the garbage collector would delete the object); operators
// whose CSV is Succeeded get their Deployment and pod. An object given twice, or one that already
// exists, is an error naming where it came from, never a silent skip.
import { InputError, type Problem } from '../../contract/errors.js';
import type { KubeClient } from '../../kube/client.js';
import { isAlreadyExists } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/types.js';
import { runOperatorDeployment } from '../simulator/operator-pods.js';
import type { SimRuntime } from '../simulator/runtime.js';
import { DEFAULT_CATALOG_SOURCE } from '../catalog/load.js';
import type { Scenario } from './format.js';
import { generatedObjects } from './generate.js';
import { sourceOf } from './load.js';

const SERVER_FIELDS = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const;

/** Objects the control plane makes in every namespace by itself: an export holds them too. */
function madeByControlPlane(obj: KubeObject): boolean {
  if (obj.kind === 'ConfigMap' && obj.metadata.name === 'kube-root-ca.crt') return true;
  if (obj.kind === 'ServiceAccount' && obj.metadata.name === 'default') return true;
  // The API server's own Service and its endpoints.
  return obj.metadata.namespace === 'default' && obj.metadata.name === 'kubernetes' && ['Service', 'Endpoints', 'EndpointSlice'].includes(obj.kind);
}

/** One identity per object whatever version it was written in (v1 and v2 of a DSC are one object). */
export function identityOf(obj: KubeObject): string {
  const slash = obj.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : obj.apiVersion.slice(0, slash);
  return `${obj.kind}.${group} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`;
}

/** What the built-in part of a scenario creates, so an object that repeats it is named. */
function builtInIdentities(scenario: Scenario): Map<string, string> {
  const by = `scenario ${scenario.name}'s built-in install (operators, openshiftVersion, DSC and DSCI)`;
  const ids = new Map<string, string>();
  const add = (kind: string, group: string, name: string, namespace?: string): void => void ids.set(`${kind}.${group} ${namespace ? `${namespace}/` : ''}${name}`, by);
  if (scenario.openshiftVersion) add('ClusterVersion', 'config.openshift.io', 'version');
  for (const op of scenario.operators) add('Subscription', 'operators.coreos.com', op.name ?? op.package, op.namespace);
  if (scenario.operators.length) add('CatalogSource', 'operators.coreos.com', DEFAULT_CATALOG_SOURCE.name, DEFAULT_CATALOG_SOURCE.namespace);
  if (scenario.operators.some((o) => o.package === 'rhods-operator')) {
    add('DataScienceCluster', 'datasciencecluster.opendatahub.io', 'default-dsc');
    add('DSCInitialization', 'dscinitialization.opendatahub.io', 'default-dsci');
  }
  return ids;
}

/** Objects of a scenario given twice, or repeating what its built-in install creates. */
export function scenarioConflicts(scenario: Scenario): Problem[] {
  return duplicateObjects([...scenario.objects, ...generatedObjects(scenario)], builtInIdentities(scenario));
}

/** Objects given twice (by a base and the site, or twice by the site): every pair, named. */
export function duplicateObjects(objects: readonly KubeObject[], reserved: ReadonlyMap<string, string> = new Map()): Problem[] {
  const seen = new Map<string, string>(reserved);
  const problems: Problem[] = [];
  for (const obj of objects) {
    const id = identityOf(obj);
    const first = seen.get(id);
    if (first !== undefined) {
      problems.push({
        message: `${id} is given twice: by ${first} and by ${sourceOf(obj)}`,
        hint: 'keep one of them: an export of your cluster brings its own OpenShift AI install and replaces the built-in one; a scenario on top of minimal must not repeat what minimal creates',
      });
    } else seen.set(id, sourceOf(obj));
  }
  return problems;
}

/** The object without what only a server sets; status observed at the exported generation stays current. */
export function asCreatable(obj: KubeObject): KubeObject {
  const copy = structuredClone(obj) as KubeObject & { status?: Record<string, unknown> };
  const exportedGeneration = copy.metadata.generation as number | undefined;
  for (const f of SERVER_FIELDS) delete (copy.metadata as Record<string, unknown>)[f];
  delete copy.metadata.ownerReferences;
  if (copy.kind === 'Service' && copy.spec) {
    // Addresses are the site's service network's: the sandbox allocates its own (headless stays headless).
    const spec = copy.spec as { clusterIP?: string; clusterIPs?: string[]; ports?: { nodePort?: number }[]; healthCheckNodePort?: number };
    if (spec.clusterIP !== 'None') {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    for (const port of spec.ports ?? []) delete port.nodePort;
    delete spec.healthCheckNodePort;
  }
  const status = copy.status;
  if (status && typeof status.observedGeneration === 'number' && exportedGeneration !== undefined) {
    // The new object starts at generation 1: a status that had caught up stays caught up, a stale one stays stale.
    status.observedGeneration = status.observedGeneration >= exportedGeneration ? 1 : 0;
  }
  return copy;
}

export interface PlacedObjects {
  created: number;
  notices: string[];
}

export async function placeObjects(kube: KubeClient, rt: SimRuntime, objects: readonly KubeObject[], ensureNamespace: (name: string) => Promise<void>): Promise<PlacedObjects> {
  const notices: string[] = [];
  const uids = new Map<string, string>();
  const createdByIdentity = new Map<string, KubeObject>();
  let created = 0;
  const place = async (obj: KubeObject): Promise<void> => {
    const made = await createWithStatus(kube, asCreatable(obj)).catch(async (err: unknown) => {
      if (!isAlreadyExists(err)) throw err;
      if (obj.kind === 'Namespace') {
        // The base made it bare (an operator's namespace): the given one adds its labels and annotations.
        const { labels, annotations } = obj.metadata;
        if (labels || annotations) await kube.patch(refOf(obj), 'merge', { metadata: { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) } });
        return undefined;
      }
      // The same object loaded again (a scenario applied twice) is no conflict; a different one is.
      const live = await kube.get(refOf(obj));
      if (live && sameContent(live, obj)) return undefined;
      throw new InputError([{ message: `${identityOf(obj)} from ${sourceOf(obj)} differs from the one already in the sandbox`, hint: 'the built-in base or an earlier load created it: give a complete export (with its DSC, DSCI and rhods-operator Subscription) to replace the base, or leave this object out' }]);
    });
    if (!made) return;
    created++;
    createdByIdentity.set(identityOf(obj), made);
    if (obj.metadata.uid) uids.set(obj.metadata.uid, made.metadata.uid!);
  };

  // Namespaces first, with their labels and annotations (a bare namespace would lose them).
  for (const ns of objects.filter((o) => o.kind === 'Namespace')) {
    if ((ns.status as { phase?: string } | undefined)?.phase === 'Terminating') {
      notices.push(`left out namespace ${ns.metadata.name}: it was terminating (${sourceOf(ns)})`);
      continue;
    }
    await place(ns);
  }
  // What the control plane makes in every namespace is its own: the given copy is left out.
  for (const o of objects.filter(madeByControlPlane)) notices.push(`kept the control plane's own ${identityOf(o)} (given by ${sourceOf(o)})`);
  const rest = objects.filter((o) => o.kind !== 'Namespace' && !madeByControlPlane(o));
  for (const obj of rest) if (obj.metadata.namespace) await ensureNamespace(obj.metadata.namespace);
  await inBatches(rest, 16, place);

  // Owners now have their new uids: point the references at them, drop the ones to objects not given.
  for (const obj of rest) {
    const refs = (obj.metadata.ownerReferences ?? []) as { uid?: string; kind?: string; name?: string }[];
    const made = createdByIdentity.get(identityOf(obj));
    if (!refs.length || !made) continue;
    const kept = refs.filter((r) => r.uid && uids.has(r.uid)).map((r) => ({ ...r, uid: uids.get(r.uid!) }));
    const dropped = refs.filter((r) => !r.uid || !uids.has(r.uid));
    if (dropped.length) notices.push(`${identityOf(obj)}: dropped owner references to objects not given (${dropped.map((r) => `${r.kind} ${r.name}`).join(', ')})`);
    if (kept.length) await kube.patch(refOf(made), 'merge', { metadata: { ownerReferences: kept } });
  }

  // An operator whose CSV says Succeeded runs: its Deployment and pod, as OLM would have left them.
  for (const csv of rest.filter((o) => o.kind === 'ClusterServiceVersion' && (o.status as { phase?: string } | undefined)?.phase === 'Succeeded')) {
    const made = createdByIdentity.get(identityOf(csv));
    if (!made) continue;
    const deployments = ((csv.spec as { install?: { spec?: { deployments?: { name: string; spec?: { template?: { spec?: { containers?: { image?: string }[] } } } }[] } } } | undefined)?.install?.spec?.deployments ?? []);
    for (const d of deployments) {
      const exists = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', name: d.name, namespace: csv.metadata.namespace! });
      if (exists) continue;
      await runOperatorDeployment(rt, made, d.name, d.spec?.template?.spec?.containers?.[0]?.image ?? `registry.redhat.io/${csv.metadata.name}`);
    }
  }
  return { created, notices };
}

/** What the given object says of spec and data, the live one says too (the server may add defaults). */
function sameContent(live: KubeObject, given: KubeObject): boolean {
  const l = live as Record<string, unknown>;
  const g = given as Record<string, unknown>;
  return ['spec', 'data', 'binaryData'].every((k) => g[k] === undefined || within(g[k], l[k]));
}

function within(given: unknown, live: unknown): boolean {
  if (given === null || typeof given !== 'object') return given === live;
  if (Array.isArray(given)) return Array.isArray(live) && given.length === live.length && given.every((v, i) => within(v, live[i]));
  if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
  return Object.entries(given).every(([k, v]) => within(v, (live as Record<string, unknown>)[k]));
}

function refOf(obj: KubeObject): { apiVersion: string; kind: string; name: string; namespace?: string } {
  return { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name!, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) };
}

/** Creates an object and writes its status through the subresource. */
async function createWithStatus(kube: KubeClient, obj: KubeObject): Promise<KubeObject> {
  const { status, ...rest } = obj as KubeObject & { status?: unknown };
  const made = await kube.create(rest as KubeObject);
  if (status === undefined) return made;
  const mapping = await kube.mapping(obj.apiVersion, obj.kind);
  if (!mapping.subresources.includes('status')) return made;
  return kube.patch(refOf(made), 'merge', { status }, { subresource: 'status' });
}

async function inBatches<T>(items: readonly T[], size: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
