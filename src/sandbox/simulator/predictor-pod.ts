// The pod KServe creates for an InferenceService's predictor (RawDeployment: through its
// Deployment; Serverless: through the Knative Revision), worked out from the ServingRuntime and the
// InferenceService as the KServe controller does it, so the sandbox can ask the API server whether
// that pod can exist. From red-hat-data-services/kserve, branch rhoai-3.3 (rhoai-2.25 is the same
// here):
// - pkg/controller/v1beta1/inferenceservice/components/predictor.go Reconcile and buildPodSpec:
//   with spec.predictor.model, the runtime's container "kserve-container" is merged with the model
//   (the container fields of spec.predictor.model), the runtime's pod fields with the predictor's
//   pod fields; then the merged kserve-container, the transformer container (runtime's and
//   predictor's "transformer-container", merged when both have one), the runtime's other containers
//   and the predictor's other containers. Without a model (a custom predictor), the predictor's
//   own pod spec is the pod.
// - pkg/controller/v1beta1/inferenceservice/utils/utils.go MergeRuntimeContainers (a strategic
//   merge patch of the model container onto the runtime's: env, volumeMounts, ports merged by their
//   keys, resources merged as maps, other fields replaced, args concatenated, the runtime's name
//   kept when the model names none) and MergePodSpec (the runtime's nodeSelector, affinity,
//   tolerations, volumes and imagePullSecrets, the predictor's pod fields patched on top).
// - The runtime named by spec.predictor.model.runtime (GetServingRuntime: a ServingRuntime of the
//   namespace; ODH has no ClusterServingRuntimes).
// What KServe and its webhook add on their own (the storage-initializer init container with its
// kserve-provision-location volume and mount, the queue-proxy of Knative, labels, annotations) is
// valid by construction and left out: the templates are what a person or a migration can break.
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/types.js';

export const KSERVE_CONTAINER = 'kserve-container';
export const TRANSFORMER_CONTAINER = 'transformer-container';

type Obj = Record<string, unknown>;
type Container = Obj & { name?: string; args?: unknown[] };

/** The patch merge keys of a core/v1 Container's lists (k8s.io/api core/v1 types.go patchMergeKey). */
const CONTAINER_LIST_KEYS: Record<string, string> = { env: 'name', volumeMounts: 'mountPath', ports: 'containerPort', volumeDevices: 'devicePath' };
/** The same for the PodSpec fields MergePodSpec and the predictor carry. */
const POD_LIST_KEYS: Record<string, string> = { volumes: 'name', imagePullSecrets: 'name', containers: 'name', initContainers: 'name', hostAliases: 'ip' };
/** Maps merged key by key (resources' limits and requests, nodeSelector). */
const MAP_FIELDS = new Set(['resources', 'limits', 'requests', 'nodeSelector']);

/** The fields of spec.predictor.model that are the PredictorExtensionSpec's, not the container's. */
const MODEL_ONLY = new Set(['modelFormat', 'runtime', 'storageUri', 'storage', 'runtimeVersion', 'protocolVersion']);
/** The fields of spec.predictor that are a core/v1 PodSpec's (v1beta1 PodSpec is one inline). */
const POD_FIELDS = new Set([
  'volumes', 'initContainers', 'containers', 'ephemeralContainers', 'restartPolicy', 'terminationGracePeriodSeconds', 'activeDeadlineSeconds',
  'dnsPolicy', 'nodeSelector', 'serviceAccountName', 'serviceAccount', 'automountServiceAccountToken', 'nodeName', 'hostNetwork', 'hostPID',
  'hostIPC', 'shareProcessNamespace', 'securityContext', 'imagePullSecrets', 'hostname', 'subdomain', 'affinity', 'schedulerName', 'tolerations',
  'hostAliases', 'priorityClassName', 'priority', 'dnsConfig', 'readinessGates', 'runtimeClassName', 'enableServiceLinks', 'preemptionPolicy',
  'overhead', 'topologySpreadConstraints', 'setHostnameAsFQDN', 'os', 'hostUsers', 'schedulingGates', 'resourceClaims',
]);

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A strategic merge patch of `patch` onto `base`, for the fields above; null in the patch deletes. */
function merge(base: Obj, patch: Obj, listKeys: Record<string, string>): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (Array.isArray(v) && listKeys[k] && Array.isArray(out[k])) {
      const key = listKeys[k]!;
      const items = [...(out[k] as unknown[])];
      for (const item of v) {
        const at = isObj(item) ? items.findIndex((x) => isObj(x) && x[key] === item[key]) : -1;
        if (at >= 0) items[at] = merge(items[at] as Obj, item as Obj, {});
        else items.push(item);
      }
      out[k] = items;
    } else if (isObj(v) && isObj(out[k]) && MAP_FIELDS.has(k)) out[k] = merge(out[k] as Obj, v, {});
    else out[k] = structuredClone(v);
  }
  return out;
}

/** MergeRuntimeContainers. */
export function mergeRuntimeContainer(runtime: Container, isvc: Container): Container {
  const merged = merge(runtime, isvc, CONTAINER_LIST_KEYS) as Container;
  if (!merged.name) merged.name = runtime.name;
  const args = [...(runtime.args ?? []), ...(isvc.args ?? [])];
  if (args.length) merged.args = args;
  else delete merged.args;
  return merged;
}

const pick = (o: Obj, keep: (k: string) => boolean): Obj => Object.fromEntries(Object.entries(o).filter(([k]) => keep(k)));

/**
 * The predictor pod's spec, or undefined when KServe would not get as far as a pod (no model and
 * no containers, its runtime missing or without kserve-container: KServe reports those itself).
 */
export async function predictorPodSpec(isvc: KubeObject, kube: KubeClient, signal?: AbortSignal): Promise<Obj | undefined> {
  const predictor = ((isvc.spec as Obj | undefined)?.predictor ?? {}) as Obj;
  const podFields = pick(predictor, (k) => POD_FIELDS.has(k));
  const model = predictor.model as Obj | undefined;
  if (!model) return Array.isArray(podFields.containers) && podFields.containers.length ? structuredClone(podFields) : undefined;
  const runtimeName = model.runtime;
  if (typeof runtimeName !== 'string' || !runtimeName) return undefined;
  const runtime = await kube.get({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'ServingRuntime', name: runtimeName, namespace: isvc.metadata.namespace! }, { signal });
  const srSpec = (runtime?.spec ?? {}) as Obj;
  const srContainers = (Array.isArray(srSpec.containers) ? srSpec.containers : []) as Container[];
  const srMain = srContainers.find((c) => c.name === KSERVE_CONTAINER);
  if (!srMain) return undefined;
  const main = mergeRuntimeContainer(srMain, pick(model, (k) => !MODEL_ONLY.has(k)) as Container);
  const base = pick(srSpec, (k) => ['nodeSelector', 'affinity', 'tolerations', 'volumes', 'imagePullSecrets'].includes(k));
  const pod = merge(base, podFields, POD_LIST_KEYS);
  const isvcContainers = (Array.isArray(predictor.containers) ? predictor.containers : []) as Container[];
  const srTransformer = srContainers.find((c) => c.name === TRANSFORMER_CONTAINER);
  const isvcTransformer = isvcContainers.find((c) => c.name === TRANSFORMER_CONTAINER);
  const transformer = srTransformer && isvcTransformer ? mergeRuntimeContainer(srTransformer, isvcTransformer) : (srTransformer ?? isvcTransformer);
  pod.containers = [
    main,
    ...(transformer ? [transformer] : []),
    ...srContainers.filter((c) => c.name !== KSERVE_CONTAINER && c.name !== TRANSFORMER_CONTAINER),
    ...isvcContainers.filter((c) => c.name !== TRANSFORMER_CONTAINER),
  ].map((c) => structuredClone(c));
  return pod;
}
