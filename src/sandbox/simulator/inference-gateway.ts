// The Gateway API controller and the inference extension, as far as guide 004's migration sees
// them: it accepts GatewayClasses of the controllers it plays, programs their Gateways (Accepted,
// Programmed, an address), writes HTTPRoute and InferencePool status the way the real controllers
// do, makes the Endpoint Picker (EPP) and model server Deployments ready, and answers HTTP for a
// Gateway's address: /v1/completions succeeds when the route's backend resolves to an InferencePool
// with a ready EPP and a ready model server, and fails otherwise, a share of requests per backend
// weight, so a traffic split onto a broken pool fails that share of requests.
//
// Facts, and where they come from:
// - Gateway, GatewayClass and HTTPRoute conditions, reasons and the 500 for a backendRef that
//   cannot be resolved: kubernetes-sigs/gateway-api v1.2.1, apis/v1/gateway_types.go,
//   gatewayclass_types.go, shared_types.go (RouteConditionAccepted, RouteConditionResolvedRefs,
//   RouteReasonBackendNotFound) and httproute_types.go (BackendRefs: "an invalid backend ... the
//   implementation MUST return a 500 status code" for that share of requests).
// - InferencePool status: kubernetes-sigs/gateway-api-inference-extension tag v1.0.0,
//   api/v1/inferencepool_types.go (status.parents[].parentRef and conditions Accepted /
//   ResolvedRefs, reasons Accepted, ResolvedRefs, InvalidExtensionRef) and
//   apix/v1alpha2/inferencepool_types.go (the same, serialized as status.parent).
// - Names the EPP runs under: the inferencepool chart (same repository, config/charts/inferencepool):
//   Deployment and Service <pool>-epp, pods labelled inferencepool=<pool>-epp.
// - The body of a completion: vLLM's OpenAI-compatible server (vllm-project/vllm,
//   vllm/entrypoints/openai/protocol.py CompletionResponse: id cmpl-…, object text_completion,
//   created, model, choices[index, text, logprobs, finish_reason], usage).
import { randomBytes } from 'node:crypto';
import type { KubeObject, ResourceRef } from '../../kube/types.js';
import type { EndpointAnswer, SandboxEndpoints } from '../endpoints/server.js';
import { type BackendRef, GW, type ParentRef, type RouteRule, available, labelsMatch, matches, parentRefsOf, poolSelector, refersTo, templateLabels } from './gateway-routes.js';
import { Informer, keyOf } from './informer.js';
import { type Condition, type SimRuntime, withTimes } from './runtime.js';
import { completion } from './vllm-completion.js';
import { WorkQueue } from './work-queue.js';

export const POOL_ALPHA: ResourceRef = { apiVersion: 'inference.networking.x-k8s.io/v1alpha2', kind: 'InferencePool' };
export const POOL_V1: ResourceRef = { apiVersion: 'inference.networking.k8s.io/v1', kind: 'InferencePool' };
const REFS = {
  gatewayClass: { apiVersion: `${GW}/v1`, kind: 'GatewayClass' },
  gateway: { apiVersion: `${GW}/v1`, kind: 'Gateway' },
  route: { apiVersion: `${GW}/v1`, kind: 'HTTPRoute' },
  deployment: { apiVersion: 'apps/v1', kind: 'Deployment' },
  service: { apiVersion: 'v1', kind: 'Service' },
} as const;

/**
 * Controllers whose GatewayClasses are programmed here: OpenShift's (red-hat-data-services/kserve,
 * pkg/controller/llmisvc/config_loader.go lists it with Istio's) and Istio's.
 */
export const GATEWAY_CONTROLLERS = ['openshift.io/gateway-controller/v1', 'istio.io/gateway-controller'];
/** The domain Gateway addresses are given under; the sandbox's endpoint server answers for it. */
export const GATEWAY_DOMAIN = 'apps.sandbox.example.com';

/** A Gateway's address, as status.addresses reports it (type Hostname). */
export function gatewayHost(name: string, namespace: string): string {
  return `${name}-${namespace}.${GATEWAY_DOMAIN}`;
}

/** What a request to a Gateway address looks like to the controller, and what it answers. */
export interface GatewayRequest {
  host: string;
  method: string;
  path: string;
  body?: unknown;
}
export type GatewayResponse = EndpointAnswer;

const cond = (type: string, ok: boolean, reason: string, message: string, generation?: number): Condition & { observedGeneration?: number } => ({
  type,
  status: ok ? 'True' : 'False',
  reason,
  message,
  ...(generation !== undefined ? { observedGeneration: generation } : {}),
});

/** Why a backend cannot serve, or undefined when it can. */
interface Verdict {
  status: number;
  message: string;
}

export class InferenceGatewayController {
  private readonly informers: Record<'gatewayClass' | 'gateway' | 'route' | 'alpha' | 'v1' | 'deployment' | 'service', Informer>;
  private readonly queue: WorkQueue;
  /** Smooth weighted round robin state per route rule: the same requests always split the same way. */
  private readonly current = new Map<string, number[]>();

  constructor(private readonly rt: SimRuntime) {
    const poke = (): void => this.queue.add('all');
    const inf = (ref: ResourceRef): Informer => new Informer(rt.kube, ref, poke, rt.signal);
    this.informers = {
      gatewayClass: inf(REFS.gatewayClass),
      gateway: inf(REFS.gateway),
      route: inf(REFS.route),
      alpha: inf(POOL_ALPHA),
      v1: inf(POOL_V1),
      deployment: inf(REFS.deployment),
      service: inf(REFS.service),
    };
    this.queue = new WorkQueue(() => this.reconcile(), (_k, err) => rt.log(`inference-gateway: ${(err as Error).message}`));
    this.registerEndpoints(rt.endpoints);
  }

  all(): Informer[] {
    return Object.values(this.informers);
  }

  poke(): void {
    this.queue.add('all');
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): void {
    this.queue.stop();
  }

  /** Answers HTTP for every Gateway address on the sandbox's endpoint server (src/sandbox/endpoints). */
  private registerEndpoints(endpoints: SandboxEndpoints): void {
    endpoints.register({
      host: (host) => host.toLowerCase().endsWith(`.${GATEWAY_DOMAIN}`),
      handle: (req) => this.answer({ host: req.host, method: req.method, path: req.path, body: req.json }),
    });
  }

  /** What the Gateway behind `req.host` answers, or undefined when no Gateway has that address. */
  answer(req: GatewayRequest): GatewayResponse | undefined {
    const host = req.host.replace(/:\d+$/, '').toLowerCase();
    const gateway = this.informers.gateway.list().find((g) => gatewayHost(g.metadata.name!, g.metadata.namespace!) === host);
    if (!gateway) return undefined;
    if (!this.programmed(gateway)) return { status: 503, body: 'no healthy upstream' };
    const path = req.path.split('?')[0] ?? '/';
    for (const route of this.routesOf(gateway)) {
      const rules = ((route.spec as { rules?: RouteRule[] } | undefined)?.rules ?? []);
      for (const [i, rule] of rules.entries()) {
        if (!matches(rule, path)) continue;
        const refs = rule.backendRefs ?? [];
        // No backend at all: Gateway API says 500 for a rule with no backends.
        if (refs.length === 0) return { status: 500, body: 'no backend for this route' };
        const ref = this.pick(`${keyOf(route)}#${i}`, refs);
        if (!ref) return { status: 500, body: 'every backend of this route has weight 0' };
        const verdict = this.verdict(ref, route.metadata.namespace!);
        if (verdict) return { status: verdict.status, json: { error: { message: verdict.message, type: 'ServiceUnavailable', code: verdict.status } } };
        if (path !== '/v1/completions' && path !== '/v1/chat/completions' && path !== '/v1/models') return { status: 404, json: { detail: 'Not Found' } };
        return { status: 200, json: completion(req.body, path) };
      }
    }
    // Envoy's answer when no route matches.
    return { status: 404, body: '' };
  }

  private programmed(gateway: KubeObject): boolean {
    const conditions = ((gateway.status as { conditions?: Condition[] } | undefined)?.conditions ?? []);
    return conditions.some((c) => c.type === 'Programmed' && c.status === 'True');
  }

  private routesOf(gateway: KubeObject): KubeObject[] {
    return this.informers.route
      .list()
      .filter((r) => !r.metadata.deletionTimestamp && parentRefsOf(r).some((p) => refersTo(p, r.metadata.namespace!, gateway)))
      .sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  }

  /** Smooth weighted round robin (as nginx and Envoy's WRR): deterministic for a sequence of requests. */
  private pick(key: string, refs: BackendRef[]): BackendRef | undefined {
    const weights = refs.map((r) => r.weight ?? 1);
    const total = weights.reduce((a, b) => a + b, 0);
    if (total === 0) return undefined;
    let state = this.current.get(key);
    if (!state || state.length !== refs.length) state = refs.map(() => 0);
    let best = 0;
    for (let i = 0; i < refs.length; i++) {
      state[i]! += weights[i]!;
      if (state[i]! > state[best]!) best = i;
    }
    state[best]! -= total;
    this.current.set(key, state);
    return refs[best];
  }

  private pool(ref: BackendRef, namespace: string): { obj: KubeObject; v1: boolean } | undefined {
    const ns = ref.namespace ?? namespace;
    if (ref.kind !== 'InferencePool') return undefined;
    if (ref.group === 'inference.networking.k8s.io') {
      const obj = this.informers.v1.get(ref.name, ns);
      return obj && !obj.metadata.deletionTimestamp ? { obj, v1: true } : undefined;
    }
    if (ref.group === 'inference.networking.x-k8s.io') {
      const obj = this.informers.alpha.get(ref.name, ns);
      return obj && !obj.metadata.deletionTimestamp ? { obj, v1: false } : undefined;
    }
    return undefined;
  }

  /** Why requests to this backend fail, or undefined when they succeed. */
  private verdict(ref: BackendRef, namespace: string): Verdict | undefined {
    const pool = this.pool(ref, namespace);
    if (!pool) return { status: 500, message: `backend ${ref.group ?? ''}/${ref.kind ?? 'Service'} ${ref.name} not found` };
    const epp = this.eppOf(pool.obj, pool.v1);
    const failOpen = epp.failureMode === 'FailOpen';
    if (!epp.ready && !failOpen) return { status: 500, message: `endpoint picker ${epp.name} unavailable (failure mode FailClose)` };
    if (!this.modelServersReady(pool.obj, pool.v1)) return { status: 503, message: 'no healthy upstream: no ready model server in the InferencePool' };
    return undefined;
  }

  private eppOf(pool: KubeObject, v1: boolean): { name: string; ready: boolean; failureMode: string } {
    const spec = (pool.spec ?? {}) as { endpointPickerRef?: { name?: string; failureMode?: string }; extensionRef?: { name?: string; failureMode?: string } };
    const ref = v1 ? spec.endpointPickerRef : spec.extensionRef;
    const name = ref?.name ?? '';
    const ns = pool.metadata.namespace!;
    const service = this.informers.service.get(name, ns);
    const selector = ((service?.spec as { selector?: Record<string, string> } | undefined)?.selector) ?? {};
    const ready =
      service !== undefined &&
      Object.keys(selector).length > 0 &&
      this.informers.deployment.list(ns).some((d) => !d.metadata.deletionTimestamp && labelsMatch(templateLabels(d), selector) && available(d));
    return { name, ready, failureMode: ref?.failureMode ?? 'FailClose' };
  }

  private modelServersReady(pool: KubeObject, v1: boolean): boolean {
    const selector = poolSelector(pool, v1);
    if (Object.keys(selector).length === 0) return false;
    return this.informers.deployment.list(pool.metadata.namespace!).some((d) => !d.metadata.deletionTimestamp && labelsMatch(templateLabels(d), selector) && available(d));
  }

  private async reconcile(): Promise<void> {
    for (const gc of this.informers.gatewayClass.list()) await this.reconcileClass(gc);
    for (const gw of this.informers.gateway.list()) await this.reconcileGateway(gw);
    for (const route of this.informers.route.list()) await this.reconcileRoute(route);
    for (const pool of this.informers.alpha.list()) await this.reconcilePool(pool, false);
    for (const pool of this.informers.v1.list()) await this.reconcilePool(pool, true);
    for (const d of this.informers.deployment.list()) await this.reconcileDeployment(d);
  }

  private ours(className: string | undefined): boolean {
    const gc = className ? this.informers.gatewayClass.get(className) : undefined;
    return gc !== undefined && GATEWAY_CONTROLLERS.includes(String((gc.spec as { controllerName?: string } | undefined)?.controllerName));
  }

  private async reconcileClass(gc: KubeObject): Promise<void> {
    if (!this.ours(gc.metadata.name)) return;
    const previous = (gc.status as { conditions?: Condition[] } | undefined)?.conditions;
    const conditions = withTimes(previous, [cond('Accepted', true, 'Accepted', 'GatewayClass is accepted', gc.metadata.generation)]);
    await this.rt.replaceStatus(gc, { conditions });
  }

  private async reconcileGateway(gw: KubeObject): Promise<void> {
    if (gw.metadata.deletionTimestamp || !this.ours((gw.spec as { gatewayClassName?: string } | undefined)?.gatewayClassName)) return;
    const generation = gw.metadata.generation;
    const listeners = ((gw.spec as { listeners?: { name: string }[] } | undefined)?.listeners ?? []);
    const routes = this.routesOf(gw);
    const previous = gw.status as { conditions?: Condition[]; listeners?: { name: string; conditions?: Condition[] }[] } | undefined;
    await this.rt.replaceStatus(gw, {
      addresses: [{ type: 'Hostname', value: gatewayHost(gw.metadata.name!, gw.metadata.namespace!) }],
      conditions: withTimes(previous?.conditions, [
        cond('Accepted', true, 'Accepted', 'Resource accepted', generation),
        cond('Programmed', true, 'Programmed', 'Resource programmed, assigned to service(s)', generation),
      ]),
      listeners: listeners.map((l) => ({
        name: l.name,
        supportedKinds: [{ group: GW, kind: 'HTTPRoute' }],
        attachedRoutes: routes.length,
        conditions: withTimes(previous?.listeners?.find((p) => p.name === l.name)?.conditions, [
          cond('Accepted', true, 'Accepted', 'No errors found', generation),
          cond('Programmed', true, 'Programmed', 'No errors found', generation),
          cond('ResolvedRefs', true, 'ResolvedRefs', 'No errors found', generation),
        ]),
      })),
    });
  }

  private async reconcileRoute(route: KubeObject): Promise<void> {
    if (route.metadata.deletionTimestamp) return;
    const ns = route.metadata.namespace!;
    const generation = route.metadata.generation;
    const rules = ((route.spec as { rules?: RouteRule[] } | undefined)?.rules ?? []);
    const missing = rules.flatMap((r) => r.backendRefs ?? []).filter((ref) => ref.kind === 'InferencePool' && !this.pool(ref, ns));
    const unsupported = rules.flatMap((r) => r.backendRefs ?? []).filter((ref) => ref.kind !== undefined && ref.kind !== 'InferencePool' && ref.kind !== 'Service');
    const previous = ((route.status as { parents?: { parentRef: ParentRef; conditions?: Condition[] }[] } | undefined)?.parents ?? []);
    const parents = parentRefsOf(route)
      .map((p) => ({ p, gw: this.informers.gateway.get(p.name, p.namespace ?? ns) }))
      .filter(({ gw }) => gw !== undefined && this.ours((gw.spec as { gatewayClassName?: string } | undefined)?.gatewayClassName))
      .map(({ p }) => {
        const resolved = unsupported.length
          ? cond('ResolvedRefs', false, 'InvalidKind', `unsupported backend kind ${unsupported[0]!.kind}`, generation)
          : missing.length
            ? cond('ResolvedRefs', false, 'BackendNotFound', `backend(s) not found: ${missing.map((m) => `${m.group}/${m.name}`).join(', ')}`, generation)
            : cond('ResolvedRefs', true, 'ResolvedRefs', 'Resolved all the Object references for the Route', generation);
        const before = previous.find((x) => x.parentRef.name === p.name)?.conditions;
        return {
          parentRef: { group: GW, kind: 'Gateway', name: p.name, ...(p.namespace ? { namespace: p.namespace } : {}) },
          controllerName: GATEWAY_CONTROLLERS[0],
          conditions: withTimes(before, [cond('Accepted', true, 'Accepted', 'Route was valid', generation), resolved]),
        };
      });
    if (parents.length === 0) return;
    await this.rt.replaceStatus(route, { parents });
  }

  /** The Gateways whose routes send traffic to this pool: the pool's parents. */
  private gatewaysOf(pool: KubeObject, v1: boolean): KubeObject[] {
    const group = v1 ? 'inference.networking.k8s.io' : 'inference.networking.x-k8s.io';
    const ns = pool.metadata.namespace!;
    const out = new Map<string, KubeObject>();
    for (const route of this.informers.route.list(ns)) {
      if (route.metadata.deletionTimestamp) continue;
      const rules = ((route.spec as { rules?: RouteRule[] } | undefined)?.rules ?? []);
      const uses = rules.some((r) => (r.backendRefs ?? []).some((b) => b.kind === 'InferencePool' && b.group === group && b.name === pool.metadata.name && (b.namespace ?? ns) === ns));
      if (!uses) continue;
      for (const p of parentRefsOf(route)) {
        const gw = this.informers.gateway.get(p.name, p.namespace ?? ns);
        if (gw && this.ours((gw.spec as { gatewayClassName?: string } | undefined)?.gatewayClassName)) out.set(keyOf(gw), gw);
      }
    }
    return [...out.values()];
  }

  private async reconcilePool(pool: KubeObject, v1: boolean): Promise<void> {
    if (pool.metadata.deletionTimestamp) return;
    const field = v1 ? 'parents' : 'parent';
    const previous = ((pool.status as Record<string, { parentRef: ParentRef; conditions?: Condition[] }[] | undefined> | undefined)?.[field] ?? []);
    const gateways = this.gatewaysOf(pool, v1);
    if (gateways.length === 0 && previous.every((p) => p.parentRef.kind === 'Status')) return; // Not referenced: the default stays.
    const generation = pool.metadata.generation;
    const epp = this.eppOf(pool, v1);
    const parents = gateways.map((gw) => {
      const before = previous.find((p) => p.parentRef.name === gw.metadata.name && (p.parentRef.namespace ?? pool.metadata.namespace) === gw.metadata.namespace)?.conditions;
      const service = this.informers.service.get(epp.name, pool.metadata.namespace!);
      return {
        parentRef: { group: GW, kind: 'Gateway', name: gw.metadata.name!, namespace: gw.metadata.namespace! },
        conditions: withTimes(before, [
          cond('Accepted', true, 'Accepted', 'InferencePool has been accepted by the Gateway', generation),
          service
            ? cond('ResolvedRefs', true, 'ResolvedRefs', 'All references resolved', generation)
            : cond('ResolvedRefs', false, 'InvalidExtensionRef', `endpoint picker Service ${epp.name} not found`, generation),
        ]),
      };
    });
    await this.rt.replaceStatus(pool, { ...((pool.status ?? {}) as Record<string, unknown>), [field]: parents });
  }

  /** EPP Deployments (pods labelled inferencepool=…) and model servers a pool selects become available. */
  private async reconcileDeployment(d: KubeObject): Promise<void> {
    if (d.metadata.deletionTimestamp) return;
    const labels = templateLabels(d);
    const ns = d.metadata.namespace!;
    const isEpp = 'inferencepool' in labels;
    const isModel = [...this.informers.alpha.list(ns).map((p) => poolSelector(p, false)), ...this.informers.v1.list(ns).map((p) => poolSelector(p, true))].some(
      (s) => Object.keys(s).length > 0 && labelsMatch(labels, s),
    );
    if (!isEpp && !isModel) return;
    const replicas = (d.spec as { replicas?: number } | undefined)?.replicas ?? 1;
    const status = (d.status ?? {}) as { observedGeneration?: number; availableReplicas?: number; conditions?: Condition[] };
    if (status.observedGeneration === d.metadata.generation && (status.availableReplicas ?? 0) === replicas) return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await this.rt.kube.patch(
      { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name!, namespace: ns },
      'merge',
      {
        status: {
          observedGeneration: d.metadata.generation,
          replicas,
          updatedReplicas: replicas,
          readyReplicas: replicas,
          availableReplicas: replicas,
          conditions: [
            { type: 'Available', status: replicas > 0 ? 'True' : 'False', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: now, lastTransitionTime: now },
            { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${d.metadata.name}-${randomBytes(5).toString('hex').slice(0, 10)}" has successfully progressed.`, lastUpdateTime: now, lastTransitionTime: now },
          ],
        },
      },
      { subresource: 'status', signal: this.rt.signal },
    );
  }
}
