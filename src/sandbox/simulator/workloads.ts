// The workloads the RHOAI operator and its controllers drive, as a table of rules: each computes an
// object's status from its spec and from the RHOAI version running. This is where "what breaks if
// you do nothing" shows: under 3.3, Serverless and ModelMesh InferenceServices answer 503, running
// workbenches still on oauth-proxy loop on redirects, Ray clusters of 2.x fail, Llama Stack
// without PostgreSQL fails and its SQLite data is gone.
import semver from 'semver';
import type { KubeObject, ResourceRef } from '../../kube/types.js';
import { Informer, keyOf } from './informer.js';
import { type Condition, type SimRuntime, refOf, withTimes } from './runtime.js';
import { WorkQueue } from './work-queue.js';

export interface ClusterFacts {
  /** RHOAI version running, if any. */
  rhoaiVersion(): string | undefined;
  /** The DSC spec.components, for defaults such as kserve.defaultDeploymentMode. */
  dscComponents(): Record<string, Record<string, unknown>>;
  installed(): Map<string, string>;
}

interface Rule {
  ref: ResourceRef;
  /** The status to write, or undefined to leave it. */
  status(obj: KubeObject, facts: ClusterFacts, major3: boolean): Record<string, unknown> | undefined;
  /** Extra work (e.g. a 2.x controller removing its finalizer on deletion). */
  finalize?(obj: KubeObject, rt: SimRuntime, major3: boolean): Promise<void>;
  /** Mark each object with the RHOAI major it was first seen under (CREATED_UNDER). */
  stampCreatedUnder?: boolean;
}

const ann = (o: KubeObject, k: string): string | undefined => o.metadata.annotations?.[k];
const cond = (type: string, ok: boolean, reason: string, message: string): Condition => ({ type, status: ok ? 'True' : 'False', reason, message });

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

const inferenceService: Rule = {
  ref: { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' },
  async finalize(obj, rt) {
    const finalizers = obj.metadata.finalizers ?? [];
    if (!obj.metadata.deletionTimestamp || !finalizers.some((f) => ISVC_FINALIZERS.includes(f))) return;
    const rest = finalizers.filter((f) => !ISVC_FINALIZERS.includes(f));
    await rt.kube.patch(refOf(obj), 'json', [
      { op: 'test', path: '/metadata/finalizers', value: finalizers },
      { op: 'replace', path: '/metadata/finalizers', value: rest },
    ], { signal: rt.signal }).catch(() => undefined); // Changed meanwhile: the watch brings it back.
  },
  status(obj, facts, major3) {
    const kserve = facts.dscComponents().kserve ?? {};
    const mode = ann(obj, 'serving.kserve.io/deploymentMode') ?? (kserve.defaultDeploymentMode as string | undefined) ?? (major3 ? 'RawDeployment' : 'Serverless');
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
  status(obj, _facts, major3) {
    if (ann(obj, STOPPED_ANNOTATION) !== undefined) {
      return { readyReplicas: 0, containerState: {}, conditions: [cond('Ready', false, 'Stopped', 'The workbench is stopped')] };
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

const rayCluster: Rule = {
  ref: { apiVersion: 'ray.io/v1', kind: 'RayCluster' },
  status(obj, facts, major3) {
    const head = (obj.spec as { headGroupSpec?: { template?: { spec?: unknown } } } | undefined)?.headGroupSpec?.template?.spec;
    const legacy = containersOf(head).some((c) => c.name === 'oauth-proxy');
    if (major3 && (facts.dscComponents().ray?.managementState ?? 'Removed') === 'Managed' && legacy) {
      return { state: 'failed', reason: 'RayCluster still has the 2.x oauth-proxy and TLS setup; run the post-upgrade migration', conditions: [cond('Ready', false, 'MigrationRequired', 'RayCluster was created for 2.x')] };
    }
    return { state: 'ready', conditions: [cond('Ready', true, 'Ready', 'RayCluster is ready')] };
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
  status(obj, _facts, major3) {
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
    if (!obj || !version) return;
    const major3 = semver.major(version) >= 3;
    await rule.finalize?.(obj, this.rt, major3);
    if (obj.metadata.deletionTimestamp) return;
    if (rule.stampCreatedUnder && ann(obj, CREATED_UNDER) === undefined) {
      // The status follows when the stamped object comes back through the watch.
      await this.rt.kube.patch(refOf(obj), 'merge', { metadata: { annotations: { [CREATED_UNDER]: String(semver.major(version)) } } }, { signal: this.rt.signal });
      return;
    }
    const status = rule.status(obj, this.facts, major3);
    if (!status) return;
    const previous = (obj.status as { conditions?: Condition[] } | undefined)?.conditions;
    if (Array.isArray(status.conditions)) status.conditions = withTimes(previous, status.conditions as Condition[]);
    await this.rt.replaceStatus(obj, { ...status, observedGeneration: obj.metadata.generation });
  }
}
