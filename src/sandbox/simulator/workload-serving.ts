// The serving rules: KServe's InferenceService (per deployment mode and RHOAI version, with its
// predictor pod) and the LLMInferenceService of 3.x.
import type { KubeObject } from '../../kube/types.js';
import { predictorPodSpec } from './predictor-pod.js';
import { refOf } from './runtime.js';
import { type ClusterFacts, type Rule, ann, cond, labelValue, namePrefix, refusalOf } from './workload-rule.js';

export const REMOVED_RUNTIMES = ['ovms', 'caikit-standalone-serving-template', 'caikit-tgis-serving-template', 'caikit-standalone', 'caikit-tgis'];

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

export const inferenceService: Rule = {
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

export const llmInferenceService: Rule = {
  ref: { apiVersion: 'serving.kserve.io/v1alpha1', kind: 'LLMInferenceService' },
  status(obj) {
    const ns = obj.metadata.namespace!;
    return { url: `https://inference-gateway.sandbox.example.com/${ns}/${obj.metadata.name}`, conditions: [cond('Ready', true, 'Ready', 'LLMInferenceService is ready')] };
  },
};
