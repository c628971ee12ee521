// The workloads the RHOAI operator and its controllers drive, as a table of rules: each computes an
// object's status from its spec and from the RHOAI version running. This is where "what breaks if
// you do nothing" shows: under 3.3, Serverless and ModelMesh InferenceServices answer 503, running
// workbenches still on oauth-proxy loop on redirects, Ray clusters of 2.x fail, Llama Stack
// without PostgreSQL fails and its SQLite data is gone.
// Each kind's rule has its own module (workload-serving.ts, workload-notebook.ts, workload-ray.ts,
// workload-llama-stack.ts; what they share in workload-rule.ts); the short ones are here.
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
import type { KubeObject } from '../../kube/types.js';
import { Informer, keyOf } from './informer.js';
import { type Condition, type SimRuntime, refOf, withTimes } from './runtime.js';
import { llamaStack } from './workload-llama-stack.js';
import { notebook } from './workload-notebook.js';
import { rayCluster } from './workload-ray.js';
import { type ClusterFacts, CREATED_UNDER, type PodFromTemplate, type PodVerdict, type Rule, ann, cond } from './workload-rule.js';
import { inferenceService, llmInferenceService } from './workload-serving.js';
import { WorkQueue } from './work-queue.js';

export { CODEFLARE_FINALIZER } from './workload-ray.js';
export { type ClusterFacts, CREATED_UNDER, type PodFromTemplate, type PodVerdict } from './workload-rule.js';
export { OAUTH_FINALIZER, STOPPED_ANNOTATION } from './workload-notebook.js';
export { ISVC_FINALIZERS, REMOVED_RUNTIMES } from './workload-serving.js';

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