// The workloads the RHOAI operator and its controllers drive, as a table of rules: each computes an
// object's status from its spec and from the RHOAI version running. This is where "what breaks if
// you do nothing" shows: under 3.3, Serverless and ModelMesh InferenceServices answer 503, running
// workbenches still on oauth-proxy loop on redirects, Ray clusters of 2.x fail, Llama Stack
// without PostgreSQL fails and its SQLite data is gone.
//
// Controllers that make pods from a template in the object (KubeRay's head and each worker group,
// the notebook controller's StatefulSet, KServe's predictor from the ServingRuntime and the
// InferenceService, the Llama Stack operator's server from the distribution) are only as good as
// that template: the API server refuses
// a pod whose container mounts a volume the pod does not have, names no image, and so on. So before
// a rule reports such an object running, the pod its controller would create is sent to the API
// server as a dry-run create (dryRun=All: validation and admission run, nothing is stored), and a
// refusal shows in the object's status in the server's words, as the controller reports it.
import { createHash } from 'node:crypto';
import semver from 'semver';
import { KubeApiError } from '../../kube/errors.js';
import type { KubeObject, ResourceRef } from '../../kube/types.js';
import { Informer, keyOf } from './informer.js';
import { llamaStackServer } from './pods.js';
import { predictorPodSpec } from './predictor-pod.js';
import { type Condition, type SimRuntime, refOf, withTimes } from './runtime.js';
import { WorkQueue } from './work-queue.js';

export interface ClusterFacts {
  /** RHOAI version running, if any. */
  rhoaiVersion(): string | undefined;
  /** The DSC spec.components, for defaults such as kserve.defaultDeploymentMode. */
  dscComponents(): Record<string, Record<string, unknown>>;
  installed(): Map<string, string>;
}

/** A pod a controller would create now from a template in the object. */
export interface PodFromTemplate {
  /** Which pod, in the words of the status: "head", "worker group small-group", "workbench". */
  role: string;
  /** The pod's metadata.generateName, as the controller names its pods. */
  generateName: string;
  /** Labels the controller adds to the template's. */
  labels: Record<string, string>;
  /** The PodTemplateSpec ({metadata, spec}) as the object holds it. */
  template: unknown;
}

/** What the API server said to one of those pods: refused (its message), or not. */
export interface PodVerdict {
  role: string;
  refused?: string;
}

interface Rule {
  ref: ResourceRef;
  /** The status to write, or undefined to leave it; `pods` are the verdicts on the pods of `podsOf`. */
  status(obj: KubeObject, facts: ClusterFacts, major3: boolean, pods: readonly PodVerdict[]): Record<string, unknown> | undefined;
  /** The pods the controller would create from the object's templates now (none while stopped or suspended). */
  podsOf?(obj: KubeObject, ctx: { rt: SimRuntime; facts: ClusterFacts; major3: boolean }): PodFromTemplate[] | Promise<PodFromTemplate[]>;
  /** Extra work (e.g. a 2.x controller removing its finalizer on deletion). */
  finalize?(obj: KubeObject, rt: SimRuntime, major3: boolean, facts: ClusterFacts): Promise<void>;
  /** Mark each object with the RHOAI major it was first seen under (CREATED_UNDER). */
  stampCreatedUnder?: boolean;
}

const ann = (o: KubeObject, k: string): string | undefined => o.metadata.annotations?.[k];
const cond = (type: string, ok: boolean, reason: string, message: string): Condition => ({ type, status: ok ? 'True' : 'False', reason, message });
const refusalOf = (pods: readonly PodVerdict[], test: (p: PodVerdict) => boolean = () => true): PodVerdict | undefined => pods.find((p) => p.refused !== undefined && test(p));

/** A label value as Kubernetes accepts it: at most 63 characters, starting and ending alphanumeric. */
function labelValue(v: string): string {
  return v.slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/** A name prefix as Kubernetes accepts it in generateName: lower-case letters, digits, '-' and '.'. */
function namePrefix(...parts: string[]): string {
  return `${parts.join('-').toLowerCase().replace(/[^a-z0-9.-]/g, '-')}-`;
}

export const REMOVED_RUNTIMES = ['ovms', 'caikit-standalone-serving-template', 'caikit-tgis-serving-template', 'caikit-standalone', 'caikit-tgis'];
export const STOPPED_ANNOTATION = 'kubeflow-resource-stopped';
export const OAUTH_FINALIZER = 'notebook-oauth-client-finalizer.opendatahub.io';
/**
 * The RHOAI major version ("2" or "3") an object was first seen under. A real cluster knows this
 * from where the data lives (SQLite files of 2.25); the simulator needs it written down so that an
 * object created after the upgrade is not reported as carrying unmigrated 2.25 data.
 */
export const CREATED_UNDER = 'runbook.dev/sandbox-created-under';

function containersOf(podSpec: unknown): { name?: string; env?: { name: string; value?: string }[] }[] {
  return ((podSpec as { containers?: unknown[] } | undefined)?.containers ?? []) as { name?: string; env?: { name: string; value?: string }[] }[];
}

/**
 * Finalizers the serving controllers put on an InferenceService and take off when it is deleted:
 * KServe's (kserve pkg/constants: "inferenceservice.finalizers") and odh-model-controller's
 * (InferenceServiceODHFinalizerName "odh.inferenceservice.finalizers"). An export of a real cluster
 * carries them; without a controller to remove them, a deleted model never goes.
 */
export const ISVC_FINALIZERS = ['inferenceservice.finalizers', 'odh.inferenceservice.finalizers'];

/** The deployment mode KServe uses for the InferenceService: its annotation, else the DSC default. */
function deploymentModeOf(obj: KubeObject, facts: ClusterFacts, major3: boolean): string {
  const kserve = facts.dscComponents().kserve ?? {};
  return ann(obj, 'serving.kserve.io/deploymentMode') ?? (kserve.defaultDeploymentMode as string | undefined) ?? (major3 ? 'RawDeployment' : 'Serverless');
}

const inferenceService: Rule = {
  ref: { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' },
  // The predictor pod (predictor-pod.ts), in the modes where KServe makes one per InferenceService
  // and the running RHOAI still serves it: RawDeployment (pods of the Deployment <name>-predictor)
  // and, under 2.x, Serverless (pods of the Knative Revision <name>-predictor-00001). Labels as
  // KServe sets them (pkg/constants: serving.kserve.io/inferenceservice, component=predictor).
  async podsOf(obj, { rt, facts, major3 }) {
    const mode = deploymentModeOf(obj, facts, major3);
    if (mode !== 'RawDeployment' && !(mode === 'Serverless' && !major3)) return [];
    const spec = await predictorPodSpec(obj, rt.kube, rt.signal);
    if (!spec) return [];
    const name = obj.metadata.name!;
    return [{ role: 'predictor', generateName: namePrefix(name, 'predictor'), labels: { 'serving.kserve.io/inferenceservice': labelValue(name), component: 'predictor' }, template: { spec } }];
  },
  async finalize(obj, rt) {
    const finalizers = obj.metadata.finalizers ?? [];
    if (!obj.metadata.deletionTimestamp || !finalizers.some((f) => ISVC_FINALIZERS.includes(f))) return;
    const rest = finalizers.filter((f) => !ISVC_FINALIZERS.includes(f));
    await rt.kube.patch(refOf(obj), 'json', [
      { op: 'test', path: '/metadata/finalizers', value: finalizers },
      { op: 'replace', path: '/metadata/finalizers', value: rest },
    ], { signal: rt.signal }).catch(() => undefined); // Changed meanwhile: the watch brings it back.
  },
  status(obj, facts, major3, pods) {
    const kserve = facts.dscComponents().kserve ?? {};
    const mode = deploymentModeOf(obj, facts, major3);
    const ns = obj.metadata.namespace!;
    const name = obj.metadata.name!;
    const predictor = (obj.spec as { predictor?: { model?: { runtime?: string } } } | undefined)?.predictor;
    const runtime = predictor?.model?.runtime;
    let ok = true;
    let reason = 'Ready';
    let message = 'InferenceService is ready';
    if (major3 && (mode === 'Serverless' || mode === 'ModelMesh')) {
      ok = false;
      reason = 'ServiceUnavailable';
      message = `503 Service Unavailable: ${mode} deployment mode is not supported in OpenShift AI 3.x; convert the InferenceService to RawDeployment`;
    } else if (major3 && runtime && REMOVED_RUNTIMES.includes(runtime)) {
      ok = false;
      reason = 'RuntimeRemoved';
      message = `serving runtime ${runtime} was removed in OpenShift AI 3.x`;
    } else if (!major3 && mode === 'Serverless') {
      const serving = (kserve.serving as { managementState?: string } | undefined)?.managementState;
      if (serving !== 'Managed' || !facts.installed().has('serverless-operator')) {
        ok = false;
        reason = 'ServerlessUnavailable';
        message = 'Serverless mode needs KServe serving Managed and the OpenShift Serverless operator';
      }
    } else if (!major3 && mode === 'ModelMesh' && (facts.dscComponents().modelmeshserving?.managementState ?? 'Removed') !== 'Managed') {
      ok = false;
      reason = 'ModelMeshUnavailable';
      message = 'modelmeshserving is not Managed';
    } else if (refusalOf(pods) && mode === 'Serverless') {
      // Knative: the Revision's Deployment cannot create its pod (ReplicaFailure FailedCreate), the
      // Revision's ResourcesAvailable turns False with that message (knative/serving
      // pkg/apis/serving/v1/revision_lifecycle.go PropagateDeploymentStatus), its Configuration
      // reports it (configuration_lifecycle.go MarkLatestCreatedFailed), and KServe copies the
      // Knative Service's Ready into PredictorReady.
      ok = false;
      reason = 'RevisionFailed';
      message = `Revision "${name}-predictor-00001" failed with message: ${refusalOf(pods)!.refused}.`;
    } else if (refusalOf(pods)) {
      // RawDeployment: the ReplicaSet controller cannot create the pod and sets ReplicaFailure
      // (reason FailedCreate, the API server's answer) on the ReplicaSet and the Deployment
      // <name>-predictor; KServe's PredictorReady is that Deployment's Available condition
      // (pkg/apis/serving/v1beta1/inference_service_status.go PropagateRawStatus), False with
      // "Deployment does not have minimum availability.". The sandbox runs no predictor Deployment,
      // so the refusal that Deployment would carry follows in the same message.
      ok = false;
      reason = 'MinimumReplicasUnavailable';
      message = `Deployment does not have minimum availability. Deployment ${name}-predictor: ReplicaFailure FailedCreate: ${refusalOf(pods)!.refused}`;
    } else if (mode === 'RawDeployment' && unschedulable(predictor)) {
      ok = false;
      reason = 'MinimumReplicasUnavailable';
      message = `Deployment does not have minimum availability: the predictor pod is Pending: 0/3 nodes are available: ${unschedulable(predictor)}`;
    }
    const url = mode === 'Serverless' ? `https://${name}-${ns}.apps.sandbox.example.com` : `http://${name}-predictor.${ns}.svc.cluster.local`;
    return {
      url,
      address: { url: `http://${name}-predictor.${ns}.svc.cluster.local` },
      deploymentMode: mode,
      conditions: [cond('IngressReady', ok, reason, message), cond('PredictorReady', ok, reason, message), cond('Ready', ok, reason, message)],
      modelStatus: { states: { activeModelState: ok ? 'Loaded' : 'FailedToLoad', targetModelState: 'Loaded' }, transitionStatus: ok ? 'UpToDate' : 'BlockedByFailedLoad' },
    };
  },
};

// The largest simulated worker node. A RawDeployment predictor asking for more never gets a node
// and its InferenceService never becomes Ready: the guide's "not enough resources" case.
const NODE_ALLOCATABLE = { cpu: 16, memory: 64 * 2 ** 30 };
const QUANTITY_UNITS: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

function quantity(v: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(v ?? '0'));
  return m ? Number(m[1]) * QUANTITY_UNITS[m[2] ?? '']! : 0;
}

function unschedulable(predictor: unknown): string | undefined {
  const p = predictor as { model?: { resources?: unknown }; containers?: { resources?: unknown }[] } | undefined;
  const resources = (p?.model?.resources ?? p?.containers?.[0]?.resources) as { requests?: Record<string, unknown>; limits?: Record<string, unknown> } | undefined;
  const want = { ...resources?.limits, ...resources?.requests };
  const short = [quantity(want.cpu) > NODE_ALLOCATABLE.cpu ? 'cpu' : '', quantity(want.memory) > NODE_ALLOCATABLE.memory ? 'memory' : ''].filter(Boolean);
  return short.length ? `3 Insufficient ${short.join(', 3 Insufficient ')}` : undefined;
}

const llmInferenceService: Rule = {
  ref: { apiVersion: 'serving.kserve.io/v1alpha1', kind: 'LLMInferenceService' },
  status(obj) {
    const ns = obj.metadata.namespace!;
    return { url: `https://inference-gateway.sandbox.example.com/${ns}/${obj.metadata.name}`, conditions: [cond('Ready', true, 'Ready', 'LLMInferenceService is ready')] };
  },
};

const notebook: Rule = {
  ref: { apiVersion: 'kubeflow.org/v1', kind: 'Notebook' },
  // The notebook controller runs the workbench as a StatefulSet of one pod, <name>-0, whose template
  // is the Notebook's spec.template (red-hat-data-services/kubeflow, branch rhoai-3.3,
  // components/notebook-controller/controllers/notebook_controller.go generateStatefulSet); a stopped
  // workbench has 0 replicas. Labels as generateStatefulSet sets them.
  podsOf(obj) {
    if (ann(obj, STOPPED_ANNOTATION) !== undefined) return [];
    const name = obj.metadata.name!;
    return [{ role: 'workbench', generateName: namePrefix(name), labels: { statefulset: labelValue(name), 'notebook-name': labelValue(name) }, template: (obj.spec as { template?: unknown } | undefined)?.template }];
  },
  status(obj, _facts, major3, pods) {
    if (ann(obj, STOPPED_ANNOTATION) !== undefined) {
      return { readyReplicas: 0, containerState: {}, conditions: [cond('Ready', false, 'Stopped', 'The workbench is stopped')] };
    }
    const refused = refusalOf(pods);
    if (refused) {
      // The StatefulSet controller's FailedCreate event, which the notebook controller re-emits on the
      // Notebook (notebook_controller.go: events of its StatefulSet and pods are re-emitted); k8s
      // pkg/controller/statefulset/stateful_pod_control.go words it "create Pod <pod> in StatefulSet
      // <set> failed error: <the API server's answer>". No pod, so no container state.
      const name = obj.metadata.name!;
      return { readyReplicas: 0, containerState: {}, conditions: [cond('Ready', false, 'FailedCreate', `create Pod ${name}-0 in StatefulSet ${name} failed error: ${refused.refused}`)] };
    }
    const containers = containersOf((obj.spec as { template?: { spec?: unknown } } | undefined)?.template?.spec);
    const oauth = containers.some((c) => c.name === 'oauth-proxy') || ann(obj, 'notebooks.opendatahub.io/inject-oauth') === 'true';
    if (major3 && (oauth || ann(obj, 'notebooks.opendatahub.io/inject-auth') !== 'true')) {
      return {
        readyReplicas: 1,
        containerState: { running: { startedAt: '2026-01-01T00:00:00Z' } },
        conditions: [cond('Ready', false, 'RedirectLoop', 'ERR_TOO_MANY_REDIRECTS: the workbench still uses oauth-proxy; migrate it to the 3.x authentication (inject-auth) and restart it')],
      };
    }
    return { readyReplicas: 1, containerState: { running: { startedAt: '2026-01-01T00:00:00Z' } }, conditions: [cond('Ready', true, 'Running', 'The workbench is running')] };
  },
  async finalize(obj, rt, major3) {
    // The 2.x controller cleans up its OAuthClient and removes its finalizer; 3.x no longer does.
    if (!obj.metadata.deletionTimestamp || major3 || !obj.metadata.finalizers?.includes(OAUTH_FINALIZER)) return;
    await rt.kube.patch(
      { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name!, namespace: obj.metadata.namespace! },
      'merge',
      { metadata: { finalizers: obj.metadata.finalizers.filter((f) => f !== OAUTH_FINALIZER) } },
    );
  },
};

// KubeRay, as red-hat-data-services/kuberay (branches rhoai-2.25 and rhoai-3.3, the same here)
// reports a RayCluster with the RayClusterStatusConditions feature gate on (its default,
// ray-operator/pkg/features/features.go):
// - ray-operator/controllers/ray/raycluster_controller.go reconcilePods: a suspended cluster
//   (spec.suspend) has no pods; otherwise the head pod is created first (a refusal ends the reconcile
//   with ErrFailedCreateHeadPod), then each worker group's (ErrFailedCreateWorkerPod); buildHeadPod /
//   buildWorkerPod start from the group's template (the pod names: utils.PodName, <cluster>-head-…
//   and <cluster>-<group>-worker-…; labels ray.io/cluster, ray.io/node-type, ray.io/group).
// - calculateStatus: a refusal sets condition ReplicaFailure True with the reason
//   utils.RayClusterReplicaFailureReason gives (FailedCreateHeadPod / FailedCreateWorkerPod) and the
//   message errors.Join(reason, the API server's error) makes ("<reason>\n<error>"); state becomes
//   "ready" only when every pod runs and is otherwise left as it was (the deprecated "failed" is never
//   set); HeadPodReady is False/HeadPodNotFound "Head Pod not found" without a head pod, True
//   (HeadPodRunningAndReady) with a ready one; RayClusterProvisioned turns True once
//   ("AllPodRunningAndReadyFirstTime") and stays; a suspended cluster ends with state "suspended",
//   RayClusterSuspended True, RayClusterSuspending False and RayClusterProvisioned False
//   ("RayCluster has been suspended").
// - utils/util.go CalculateDesiredReplicas: per group replicas within [minReplicas, maxReplicas],
//   times numOfHosts, 0 for a suspended group.
// What KubeRay adds to the pod itself (the ray start command, the shared-memory volume, on 3.3 the
// mTLS and authentication sidecar with its own volumes) is not modelled: it is valid by construction;
// the template is what a migration can break.
interface RayGroup {
  groupName?: string;
  replicas?: number;
  minReplicas?: number;
  maxReplicas?: number;
  numOfHosts?: number;
  suspend?: boolean;
  template?: unknown;
}
interface RaySpec {
  suspend?: boolean;
  headGroupSpec?: { template?: { spec?: unknown } };
  workerGroupSpecs?: RayGroup[];
}

function desiredWorkers(g: RayGroup): number {
  if (g.suspend === true) return 0;
  const min = g.minReplicas ?? 0;
  const max = g.maxReplicas ?? Number.MAX_SAFE_INTEGER;
  const replicas = min > max ? max : Math.min(Math.max(g.replicas ?? 0, min), max);
  return replicas * (g.numOfHosts ?? 1);
}

/**
 * The CodeFlare operator's finalizer on every RayCluster (project-codeflare/codeflare-operator
 * pkg/controllers/raycluster_controller.go oAuthFinalizer), removed by it once it cleaned up on
 * deletion. With CodeFlare Removed (before a 3.x upgrade) nothing removes it any more.
 */
export const CODEFLARE_FINALIZER = 'ray.openshift.ai/oauth-finalizer';

const rayCluster: Rule = {
  ref: { apiVersion: 'ray.io/v1', kind: 'RayCluster' },
  async finalize(obj, rt, major3, facts) {
    const finalizers = obj.metadata.finalizers ?? [];
    if (!obj.metadata.deletionTimestamp || major3 || !finalizers.includes(CODEFLARE_FINALIZER)) return;
    if ((facts.dscComponents().codeflare?.managementState ?? 'Removed') !== 'Managed') return;
    await rt.kube.patch(refOf(obj), 'json', [
      { op: 'test', path: '/metadata/finalizers', value: finalizers },
      { op: 'replace', path: '/metadata/finalizers', value: finalizers.filter((f) => f !== CODEFLARE_FINALIZER) },
    ], { signal: rt.signal }).catch(() => undefined); // Changed meanwhile: the watch brings it back.
  },
  podsOf(obj) {
    const spec = (obj.spec ?? {}) as RaySpec;
    if (spec.suspend === true) return [];
    const name = obj.metadata.name!;
    const labels = (group: string, type: string): Record<string, string> => ({ 'ray.io/cluster': labelValue(name), 'ray.io/node-type': type, 'ray.io/group': labelValue(group) });
    const pods: PodFromTemplate[] = [{ role: 'head', generateName: namePrefix(name, 'head'), labels: labels('headgroup', 'head'), template: spec.headGroupSpec?.template }];
    for (const g of spec.workerGroupSpecs ?? []) {
      if (desiredWorkers(g) === 0) continue;
      const group = g.groupName ?? 'workers';
      pods.push({ role: `worker group ${group}`, generateName: namePrefix(name, group, 'worker'), labels: labels(group, 'worker'), template: g.template });
    }
    return pods;
  },
  status(obj, facts, major3, pods) {
    const spec = (obj.spec ?? {}) as RaySpec;
    const previous = (obj.status ?? {}) as { state?: string; conditions?: Condition[] };
    const groups = spec.workerGroupSpecs ?? [];
    const desired = groups.reduce((n, g) => n + desiredWorkers(g), 0);
    const replicas = {
      desiredWorkerReplicas: desired,
      minWorkerReplicas: groups.reduce((n, g) => n + (g.suspend === true ? 0 : (g.minReplicas ?? 0) * (g.numOfHosts ?? 1)), 0),
    };
    const notSuspending = cond('RayClusterSuspending', false, 'RayClusterSuspending', '');
    if (spec.suspend === true) {
      return {
        state: 'suspended',
        ...replicas,
        availableWorkerReplicas: 0,
        readyWorkerReplicas: 0,
        conditions: [
          cond('HeadPodReady', false, 'HeadPodNotFound', 'Head Pod not found'),
          cond('RayClusterProvisioned', false, 'RayClusterPodsProvisioning', 'RayCluster has been suspended'),
          cond('RayClusterSuspended', true, 'RayClusterSuspended', ''),
          notSuspending,
        ],
      };
    }
    const notSuspended = cond('RayClusterSuspended', false, 'RayClusterSuspended', '');
    const head = containersOf(spec.headGroupSpec?.template?.spec);
    if (major3 && (facts.dscComponents().ray?.managementState ?? 'Removed') === 'Managed' && head.some((c) => c.name === 'oauth-proxy')) {
      return {
        state: 'failed',
        reason: 'RayCluster still has the 2.x oauth-proxy and TLS setup; run the post-upgrade migration',
        ...replicas,
        availableWorkerReplicas: 0,
        readyWorkerReplicas: 0,
        conditions: [cond('HeadPodReady', false, 'MigrationRequired', 'RayCluster was created for 2.x'), notSuspended, notSuspending],
      };
    }
    const refused = refusalOf(pods, (p) => p.role === 'head') ?? refusalOf(pods);
    if (refused) {
      const headRefused = refused.role === 'head';
      const reason = headRefused ? 'FailedCreateHeadPod' : 'FailedCreateWorkerPod';
      const failedGroups = new Set(pods.filter((p) => p.refused !== undefined).map((p) => p.role));
      const running = headRefused ? 0 : groups.reduce((n, g) => n + (failedGroups.has(`worker group ${g.groupName ?? 'workers'}`) ? 0 : desiredWorkers(g)), 0);
      const provisioned = previous.conditions?.find((c) => c.type === 'RayClusterProvisioned' && c.status === 'True');
      return {
        ...(previous.state ? { state: previous.state } : {}),
        ...replicas,
        availableWorkerReplicas: running,
        readyWorkerReplicas: running,
        conditions: [
          cond('ReplicaFailure', true, reason, `${reason}\n${refused.refused}`),
          headRefused ? cond('HeadPodReady', false, 'HeadPodNotFound', 'Head Pod not found') : cond('HeadPodReady', true, 'HeadPodRunningAndReady', ''),
          provisioned ?? cond('RayClusterProvisioned', false, 'RayClusterPodsProvisioning', 'RayCluster Pods are being provisioned for first time'),
          notSuspended,
          notSuspending,
        ],
      };
    }
    return {
      state: 'ready',
      ...replicas,
      availableWorkerReplicas: desired,
      readyWorkerReplicas: desired,
      conditions: [
        cond('HeadPodReady', true, 'HeadPodRunningAndReady', ''),
        cond('RayClusterProvisioned', true, 'AllPodRunningAndReadyFirstTime', 'All Ray Pods are ready for the first time'),
        notSuspended,
        notSuspending,
      ],
    };
  },
};

const guardrails: Rule = {
  ref: { apiVersion: 'trustyai.opendatahub.io/v1alpha1', kind: 'GuardrailsOrchestrator' },
  // The 3.3 operator does not refuse an orchestrator over its exporter: the 3.3 CRD prunes the
  // 2.25 otelExporter keys, and what is left (the 3.3 fields, or nothing) configures the sidecar
  // (red-hat-data-services/trustyai-service-operator rhoai-3.3, controllers/gorch). What breaks
  // is silent: settings not migrated are gone, which verify checks.
  status(obj) {
    const spec = (obj.spec ?? {}) as { orchestratorConfig?: string; replicas?: number };
    if (!spec.orchestratorConfig || (spec.replicas ?? 1) < 1) {
      return { phase: 'Failed', conditions: [cond('Ready', false, 'InvalidSpec', 'spec.orchestratorConfig must name the orchestrator ConfigMap and spec.replicas be at least 1')] };
    }
    return { phase: 'Ready', conditions: [cond('Ready', true, 'Ready', 'GuardrailsOrchestrator is ready')] };
  },
};

const llamaStack: Rule = {
  ref: { apiVersion: 'llamastack.io/v1alpha1', kind: 'LlamaStackDistribution' },
  // The server pod, as the operator's Deployment <name> templates it (pods.ts llamaStackServer).
  podsOf(obj) {
    const replicas = (obj.spec as { replicas?: number } | undefined)?.replicas ?? 1;
    if (replicas < 1) return [];
    const server = llamaStackServer(obj);
    return [{ role: 'server', generateName: namePrefix(obj.metadata.name!), labels: server.labels, template: { spec: server.podSpec } }];
  },
  status(obj, _facts, major3, pods) {
    const refused = refusalOf(pods);
    if (refused) {
      // The operator applies its Deployment; the API server refuses a Deployment whose pod template
      // it would refuse as a pod, with the same field errors under spec.template. The reconcile
      // error goes into the status (red-hat-data-services/llama-stack-k8s-operator, branch
      // rhoai-3.3: controllers/llamastackdistribution_controller.go updateStatus, phase Failed and
      // SetDeploymentReadyCondition "Resource reconciliation failed: %v"; controllers/status.go
      // DeploymentReady / DeploymentFailed; the wrapping of pkg/deploy/kustomizer.go ApplyResources
      // and reconcileAllManifestResources).
      const name = obj.metadata.name!;
      const said = refused.refused!.replace(/^Pod "[^"]*" is invalid: /, `Deployment.apps "${name}" is invalid: `).replace(/(^|: |\[|, )spec\./g, '$1spec.template.spec.');
      return {
        phase: 'Failed',
        version: { operatorVersion: major3 ? '3.3' : '2.25' },
        conditions: [cond('DeploymentReady', false, 'DeploymentFailed', `Resource reconciliation failed: failed to apply manifests: failed to manage resource Deployment/${name}: ${said}`)],
      };
    }
    const env = (obj.spec as { server?: { containerSpec?: { env?: { name: string }[] } } } | undefined)?.server?.containerSpec?.env ?? [];
    const has = (n: string): boolean => env.some((e) => e.name === n);
    const created2x = ann(obj, CREATED_UNDER) !== '3';
    const conditions: Condition[] = [];
    let phase = 'Ready';
    if (major3 && !has('POSTGRES_HOST')) {
      phase = 'Failed';
      conditions.push(cond('Ready', false, 'StorageNotConfigured', 'SQLite storage is no longer supported in 3.3: set POSTGRES_HOST, POSTGRES_PORT, POSTGRES_DB, POSTGRES_USER and POSTGRES_PASSWORD'));
    } else {
      conditions.push(cond('Ready', true, 'Ready', 'LlamaStackDistribution is ready'));
    }
    if (major3 && created2x) {
      conditions.push(cond('DataMigrated', false, 'SQLiteDataNotMigrated', 'Data stored in SQLite under 2.25 (agent state, vector DB metadata, telemetry, files) was not migrated to PostgreSQL'));
    }
    return { phase, version: { operatorVersion: major3 ? '3.3' : '2.25' }, conditions };
  },
  stampCreatedUnder: true,
};

const simpleReady = (apiVersion: string, kind: string): Rule => ({
  ref: { apiVersion, kind },
  status: () => ({ phase: 'Ready', conditions: [cond('Ready', true, 'Ready', `${kind} is ready`)] }),
});

export const RULES: readonly Rule[] = [
  inferenceService,
  llmInferenceService,
  notebook,
  rayCluster,
  guardrails,
  llamaStack,
  simpleReady('feast.dev/v1alpha1', 'FeatureStore'),
  simpleReady('datasciencepipelinesapplications.opendatahub.io/v1', 'DataSciencePipelinesApplication'),
];

export class WorkloadControllers {
  private readonly informers: { rule: Rule; informer: Informer }[];
  private readonly queue: WorkQueue;
  /**
   * The API server's verdicts on an object's pods, by queue key, with the uid, generation and pods
   * they were asked for: a status write or a resync does not ask again; a new spec (or a new object
   * of the same name) does. Verdicts are not re-asked when something else changes what the server
   * would say (a ServiceAccount created later): a controller retries; this one waits for a new spec.
   */
  private readonly verdicts = new Map<string, { asked: string; pods: PodVerdict[] }>();

  constructor(
    private readonly rt: SimRuntime,
    private readonly facts: ClusterFacts,
  ) {
    this.informers = RULES.map((rule, i) => ({
      rule,
      informer: new Informer(rt.kube, rule.ref, (_t, obj) => this.queue.add(`${i}|${keyOf(obj)}`), rt.signal),
    }));
    // Objects are independent of each other: several at a time (OLM and the operator stay serial).
    this.queue = new WorkQueue((k) => this.reconcile(k), (k, err) => rt.log(`workloads: ${k}: ${(err as Error).message}`), 8);
  }

  all(): Informer[] {
    return this.informers.map((x) => x.informer);
  }

  /** The RHOAI version or the DSC changed: look at everything again. */
  pokeAll(): void {
    this.informers.forEach(({ informer }, i) => informer.list().forEach((o) => this.queue.add(`${i}|${keyOf(o)}`)));
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): void {
    this.queue.stop();
  }

  private async reconcile(key: string): Promise<void> {
    const [index, objKey] = key.split('|') as [string, string];
    const { rule, informer } = this.informers[Number(index)]!;
    const [ns, name] = objKey.split('/') as [string, string];
    const obj = informer.get(name, ns || undefined);
    const version = this.facts.rhoaiVersion();
    if (!obj) this.verdicts.delete(key);
    if (!obj || !version) return;
    const major3 = semver.major(version) >= 3;
    await rule.finalize?.(obj, this.rt, major3, this.facts);
    if (obj.metadata.deletionTimestamp) return;
    if (rule.stampCreatedUnder && ann(obj, CREATED_UNDER) === undefined) {
      // The status follows when the stamped object comes back through the watch.
      await this.rt.kube.patch(refOf(obj), 'merge', { metadata: { annotations: { [CREATED_UNDER]: String(semver.major(version)) } } }, { signal: this.rt.signal });
      return;
    }
    let pods: PodVerdict[];
    try {
      pods = await this.admit(key, obj, (await rule.podsOf?.(obj, { rt: this.rt, facts: this.facts, major3 })) ?? []);
    } catch (err) {
      // The API server could not say (unavailable, throttled): ask again shortly, as a controller requeues.
      this.queue.addAfter(key, 1000);
      throw err;
    }
    const status = rule.status(obj, this.facts, major3, pods);
    if (!status) return;
    const previous = (obj.status as { conditions?: Condition[] } | undefined)?.conditions;
    if (Array.isArray(status.conditions)) status.conditions = withTimes(previous, status.conditions as Condition[]);
    await this.rt.replaceStatus(obj, { ...status, observedGeneration: obj.metadata.generation });
  }

  /**
   * Each pod sent to the API server as a dry-run create in the object's namespace: what it refuses
   * (4xx: invalid, forbidden by admission) is the pod's verdict in the server's words; anything else
   * (5xx, network) is thrown, for a retry.
   */
  private async admit(key: string, obj: KubeObject, pods: readonly PodFromTemplate[]): Promise<PodVerdict[]> {
    if (pods.length === 0) return [];
    // The pods themselves are part of the question: a template that comes from another object (a
    // ServingRuntime) changes without the object's generation.
    const asked = `${obj.metadata.uid}|${obj.metadata.generation ?? 0}|${createHash('sha256').update(JSON.stringify(pods.map((p) => [p.role, p.template]))).digest('hex')}`;
    const cached = this.verdicts.get(key);
    if (cached?.asked === asked) return cached.pods;
    const verdicts: PodVerdict[] = [];
    for (const pod of pods) {
      const template = (pod.template ?? {}) as { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown };
      const annotations = template.metadata?.annotations;
      const manifest: KubeObject = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          generateName: pod.generateName,
          namespace: obj.metadata.namespace!,
          labels: { ...template.metadata?.labels, ...pod.labels },
          ...(annotations ? { annotations } : {}),
        },
        spec: structuredClone(template.spec ?? {}) as Record<string, unknown>,
      };
      try {
        await this.rt.kube.create(manifest, { dryRun: 'server', signal: this.rt.signal });
        verdicts.push({ role: pod.role });
      } catch (err) {
        if (!(err instanceof KubeApiError) || err.code < 400 || err.code >= 500 || err.code === 429) throw err;
        const said = (err.data as { serverMessage?: string } | undefined)?.serverMessage ?? err.message;
        verdicts.push({ role: pod.role, refused: said });
      }
    }
    this.verdicts.set(key, { asked, pods: verdicts });
    return verdicts;
  }
}
