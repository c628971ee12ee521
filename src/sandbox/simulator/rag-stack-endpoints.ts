// What the RAG stack's endpoints answer on the sandbox's endpoint server (src/sandbox/endpoints),
// worked out from the cluster at each request, so a check sees what it would see on a cluster:
//
// - Llama Stack, through a Route to <distribution>-service: 503 (the router's "application is not
//   available") while no pod of the distribution runs with every container ready. GET /v1/models
//   lists the models of the run.yaml in its userConfig ConfigMap: embedding models always, an LLM
//   only when its vLLM provider's URL is the status.url (plus /v1) of a Ready InferenceService and,
//   for a Serverless one on a cluster with Service Mesh 2, only when the pod has its istio-proxy
//   sidecar (Knative's ingress takes only mesh traffic). POST /v1/inference/embeddings answers one
//   vector per content, of the model's embedding_dimension, for an embedding model it lists.
//   Shapes: llama-stack 0.2 (Model: identifier, provider_id, provider_resource_id, model_type,
//   metadata; EmbeddingsResponse: embeddings).
// - The stack's other Routes (labelled app.kubernetes.io/part-of=rag-stack, e.g. the Playground):
//   200 with a page while a pod their Service selects runs, else 503.
// - vLLM: GET <status.url>/v1/models of a Ready vLLM InferenceService answers the OpenAI model list
//   with the InferenceService's name as the model id (vLLM's --served-model-name as the KServe
//   vLLM runtimes set it); a not Ready one answers 503.
import { parse } from 'yaml';
import type { KubeObject } from '../../kube/types.js';
import type { EndpointAnswer, EndpointRequest } from '../endpoints/server.js';
import { SIDECAR_CONTAINER } from './rag-stack-admission.js';
import { PART_OF, RAG_STACK } from './rag-stack-names.js';
import type { SimRuntime } from './runtime.js';

export interface RagEndpointRegistry {
  register(handler: { host?: string | RegExp | ((host: string) => boolean); handle(req: EndpointRequest): EndpointAnswer | undefined | Promise<EndpointAnswer | undefined> }): unknown;
}

const UNAVAILABLE: EndpointAnswer = { status: 503, body: 'Application is not available' };
const ready = (o: KubeObject): boolean => ((o.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
};
const runningReady = (p: KubeObject): boolean => {
  const status = (p.status ?? {}) as { phase?: string; containerStatuses?: { ready?: boolean }[] };
  const containers = ((p.spec as { containers?: unknown[] } | undefined)?.containers ?? []).length;
  return !p.metadata.deletionTimestamp && status.phase === 'Running' && (status.containerStatuses ?? []).filter((c) => c.ready).length === containers;
};
const selects = (selector: Record<string, string>, p: KubeObject): boolean => Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v);

interface RunModel {
  model_id: string;
  provider_id?: string;
  provider_model_id?: string;
  model_type?: string;
  metadata?: Record<string, unknown>;
}
interface RunProvider {
  provider_id: string;
  provider_type?: string;
  config?: { url?: string };
}

export class RagStackEndpoints {
  constructor(private readonly rt: SimRuntime) {}

  register(endpoints: RagEndpointRegistry): void {
    endpoints.register({ handle: (req) => this.routes(req) });
    endpoints.register({ handle: (req) => this.vllm(req) });
  }

  private async routeFor(host: string): Promise<KubeObject | undefined> {
    const routes = await this.rt.kube.list({ apiVersion: 'route.openshift.io/v1', kind: 'Route' }, { allNamespaces: true });
    return routes.items.find((r) => (r.spec as { host?: string } | undefined)?.host === host);
  }

  private async routes(req: EndpointRequest): Promise<EndpointAnswer | undefined> {
    const route = await this.routeFor(req.host);
    if (!route) return undefined;
    const ns = route.metadata.namespace!;
    const service = (route.spec as { to?: { name?: string } } | undefined)?.to?.name ?? '';
    const kube = this.rt.kube;
    const distributions = await kube.list({ apiVersion: 'llamastack.io/v1alpha1', kind: 'LlamaStackDistribution', namespace: ns }).catch(() => ({ items: [] as KubeObject[] }));
    const distribution = distributions.items.find((d) => `${d.metadata.name}-service` === service);
    if (distribution) return this.llamaStack(req, distribution);
    if (route.metadata.labels?.[PART_OF] !== RAG_STACK) return undefined;
    const svc = await kube.get({ apiVersion: 'v1', kind: 'Service', name: service, namespace: ns });
    const selector = (svc?.spec as { selector?: Record<string, string> } | undefined)?.selector;
    if (!selector) return UNAVAILABLE;
    const pods = (await kube.list({ apiVersion: 'v1', kind: 'Pod', namespace: ns })).items;
    if (!pods.some((p) => selects(selector, p) && runningReady(p))) return UNAVAILABLE;
    return { status: 200, headers: { 'content-type': 'text/html' }, body: `<!doctype html><title>${route.metadata.name}</title>` };
  }

  private async llamaStack(req: EndpointRequest, distribution: KubeObject): Promise<EndpointAnswer> {
    const ns = distribution.metadata.namespace!;
    const name = distribution.metadata.name!;
    const kube = this.rt.kube;
    const pods = (await kube.list({ apiVersion: 'v1', kind: 'Pod', namespace: ns }, { labelSelector: `app=llama-stack,app.kubernetes.io/instance=${name}` })).items;
    const pod = pods.find(runningReady);
    if (!pod) return UNAVAILABLE;
    const configMap = (distribution.spec as { server?: { userConfig?: { configMapName?: string } } } | undefined)?.server?.userConfig?.configMapName;
    const cm = configMap ? await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: configMap, namespace: ns }) : null;
    let run: { models?: RunModel[]; providers?: { inference?: RunProvider[] } } = {};
    try {
      run = (parse((cm as { data?: Record<string, string> } | null)?.data?.['run.yaml'] ?? '') ?? {}) as typeof run;
    } catch {
      return { status: 500, json: { detail: 'run.yaml does not parse' } };
    }
    const reachable = await this.reachableProviders(run.providers?.inference ?? [], pod);
    const models = (run.models ?? []).filter((m) => m.model_type === 'embedding' || reachable.has(m.provider_id ?? ''));
    if (req.method === 'GET' && req.path === '/v1/models') {
      return {
        status: 200,
        json: {
          data: models.map((m) => ({
            identifier: m.model_id,
            provider_resource_id: m.provider_model_id ?? m.model_id,
            provider_id: m.provider_id ?? '',
            type: 'model',
            model_type: m.model_type ?? 'llm',
            metadata: m.metadata ?? {},
          })),
        },
      };
    }
    if (req.method === 'POST' && req.path === '/v1/inference/embeddings') {
      const body = (req.json ?? {}) as { model_id?: string; contents?: unknown[] };
      const model = models.find((m) => m.model_id === body.model_id && m.model_type === 'embedding');
      if (!model) return { status: 400, json: { detail: `Model '${body.model_id ?? ''}' not found or not an embedding model` } };
      const dimension = Number(model.metadata?.embedding_dimension ?? 384);
      const contents = Array.isArray(body.contents) ? body.contents : [];
      return { status: 200, json: { embeddings: contents.map((_c, i) => Array.from({ length: dimension }, (_x, j) => Math.round(Math.sin(i + j) * 1e4) / 1e4)) } };
    }
    return { status: 404, json: { detail: 'Not Found' } };
  }

  /** The vLLM providers this Llama Stack pod can reach now. */
  private async reachableProviders(providers: RunProvider[], pod: KubeObject): Promise<Set<string>> {
    const kube = this.rt.kube;
    const isvcs = (await kube.list({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' }, { allNamespaces: true })).items;
    const meshes = await kube.list({ apiVersion: 'maistra.io/v2', kind: 'ServiceMeshControlPlane' }, { allNamespaces: true }).catch(() => ({ items: [] as KubeObject[] }));
    const sidecar = ((pod.spec as { containers?: { name: string }[] } | undefined)?.containers ?? []).some((c) => c.name === SIDECAR_CONTAINER);
    const out = new Set<string>();
    for (const p of providers) {
      if (p.provider_type !== 'remote::vllm') continue;
      const url = p.config?.url ?? '';
      const isvc = isvcs.find((i) => {
        const status = (i.status ?? {}) as { url?: string };
        return status.url !== undefined && (url === `${status.url}/v1` || url === status.url);
      });
      if (!isvc || !ready(isvc)) continue;
      const serverless = (isvc.status as { deploymentMode?: string } | undefined)?.deploymentMode === 'Serverless';
      if (serverless && meshes.items.length > 0 && !sidecar) continue;
      out.add(p.provider_id);
    }
    return out;
  }

  private async vllm(req: EndpointRequest): Promise<EndpointAnswer | undefined> {
    if (req.path !== '/v1/models' || req.method !== 'GET') return undefined;
    const isvcs = (await this.rt.kube.list({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' }, { allNamespaces: true })).items;
    const isvc = isvcs.find((i) => hostOf((i.status as { url?: string } | undefined)?.url ?? '') === req.host);
    if (!isvc) return undefined;
    const format = (isvc.spec as { predictor?: { model?: { modelFormat?: { name?: string }; runtime?: string } } } | undefined)?.predictor?.model;
    if (!/vllm/i.test(`${format?.modelFormat?.name ?? ''} ${format?.runtime ?? ''}`)) return undefined;
    if (!ready(isvc)) return UNAVAILABLE;
    const created = Math.floor(Date.parse(String(isvc.metadata.creationTimestamp ?? '')) / 1000) || 0;
    return { status: 200, json: { object: 'list', data: [{ id: isvc.metadata.name, object: 'model', created, owned_by: 'vllm', root: `/mnt/models`, max_model_len: 32768 }] } };
  }
}
