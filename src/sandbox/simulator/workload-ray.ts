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
import { type Condition, refOf } from './runtime.js';
import { type PodFromTemplate, type Rule, cond, containersOf, labelValue, namePrefix, refusalOf } from './workload-rule.js';

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

export const rayCluster: Rule = {
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
