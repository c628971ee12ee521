// What an InferenceService's endpoint answers on the sandbox's endpoint server, for the checks that
// send a real inference request (the conversions' validation, after/model-serving's inference
// checks): the KServe v2 (Open Inference Protocol) paths of the model whose status.url host was
// asked for, worked out from the cluster at each request.
//
// - POST /v2/models/<name>/infer: 200 with an inference response (model_name, outputs of name,
//   shape, datatype and data) while the InferenceService is Ready; 503 while it is not (a Serverless
//   or ModelMesh model on 3.x, a predictor that never started).
// - GET /v2/models/<name>/ready: 200 while Ready, else 503.
// - A model with security.opendatahub.io/enable-auth "true" answers 401 without a Bearer token
//   (the 3.x kube-rbac-proxy in front of it asks the API server whether the token may get the
//   InferenceService; the sandbox takes any token).
// Shapes: kserve/open-inference-protocol (kserve master docs/predict-api/v2/required_api.md), the
// annotation from the dashboard's "Require token authentication" (opendatahub-io/odh-dashboard).
import type { KubeObject } from '../../kube/types.js';
import type { EndpointAnswer, EndpointRequest } from '../endpoints/server.js';
import type { SimRuntime } from './runtime.js';

export interface InferenceEndpointRegistry {
  register(handler: { handle(req: EndpointRequest): EndpointAnswer | undefined | Promise<EndpointAnswer | undefined> }): unknown;
}

const V2_PATH = /^\/v2\/models\/([^/]+)\/(infer|ready)$/;
const hostOf = (url: string): string => {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
};
const ready = (o: KubeObject): boolean =>
  ((o.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export class ModelInferenceEndpoints {
  constructor(private readonly rt: SimRuntime) {}

  register(endpoints: InferenceEndpointRegistry): void {
    endpoints.register({ handle: (req) => this.answer(req) });
  }

  private async answer(req: EndpointRequest): Promise<EndpointAnswer | undefined> {
    const path = V2_PATH.exec(req.path);
    if (!path) return undefined;
    const isvcs = await this.rt.kube.list({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' }, { allNamespaces: true });
    const isvc = isvcs.items.find((o) => hostOf(String((o.status as { url?: string } | undefined)?.url ?? '')) === req.host);
    if (!isvc) return undefined;
    const auth = isvc.metadata.annotations?.['security.opendatahub.io/enable-auth'] === 'true';
    const header = req.headers.authorization;
    if (auth && !(typeof header === 'string' && /^Bearer \S+/.test(header))) return { status: 401, body: 'Unauthorized' };
    if (!ready(isvc)) return { status: 503, body: 'no healthy upstream' };
    if (path[2] === 'ready') return req.method === 'GET' ? { status: 200, json: { ready: true } } : { status: 405, body: 'Method Not Allowed' };
    if (req.method !== 'POST') return { status: 405, body: 'Method Not Allowed' };
    const inputs = (req.json as { inputs?: { name?: string; shape?: number[] }[] } | undefined)?.inputs;
    if (!Array.isArray(inputs) || inputs.length === 0) return { status: 400, json: { error: 'the request has no inputs' } };
    return {
      status: 200,
      json: {
        model_name: path[1],
        id: `${isvc.metadata.namespace}-${isvc.metadata.name}`,
        outputs: inputs.map((_, i) => ({ name: `output-${i}`, shape: [1], datatype: 'FP32', data: [0.5] })),
      },
    };
  }
}
