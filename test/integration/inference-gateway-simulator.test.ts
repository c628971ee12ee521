// The inference-gateway scenario and its simulator, before any runbook: the alpha stack serves
// through a programmed Gateway, the pool and route carry the status the real controllers write, and
// the Gateway address answers /v1/completions; a split onto a pool that cannot serve fails that
// share of requests, and a route to a missing pool answers 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { gatewayHost, POOL_ALPHA, POOL_V1 } from '../../src/sandbox/simulator/inference-gateway.js';
import { conditionOf, startTestSandbox, statusOf, until } from './support/sandbox.js';

let sandbox: Sandbox;
let kube: KubeClient;

beforeAll(async () => {
  sandbox = await startTestSandbox({ scenario: 'inference-gateway', speed: 0 });
  kube = sandbox.kube;
});

afterAll(async () => {
  await sandbox?.stop();
});

const GATEWAY = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: 'inference-gateway', namespace: 'llm' };
const ROUTE = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', name: 'llm-route', namespace: 'llm' };
const HOST = gatewayHost('inference-gateway', 'llm');

function ask(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = sandbox.simulator.inferenceGateway.answer({ host: HOST, method: 'POST', path: '/v1/completions', body: { model: 'food-review', prompt: 'hi', max_tokens: 5 } });
    out.push(r?.status ?? 0);
  }
  return out;
}

async function setBackends(backendRefs: Record<string, unknown>[]): Promise<void> {
  await kube.patch(ROUTE, 'merge', { spec: { rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs }] } });
  await until(kube, ROUTE, 'the route observed', (o) => ((statusOf<{ parents?: { conditions: { observedGeneration?: number }[] }[] }>(o).parents ?? [])[0]?.conditions[0]?.observedGeneration ?? 0) === o.metadata.generation);
  await sandbox.simulator.settled();
}

describe('the alpha stack', () => {
  it('has a programmed Gateway with an address', async () => {
    const gw = await until(kube, GATEWAY, 'the Gateway programmed', (o) => conditionOf(o, 'Programmed')?.status === 'True');
    expect(conditionOf(gw, 'Accepted')).toMatchObject({ status: 'True', reason: 'Accepted' });
    expect(statusOf<{ addresses: unknown[] }>(gw).addresses).toEqual([{ type: 'Hostname', value: HOST }]);
  });

  it('writes the v1alpha2 pool status under status.parent, naming the Gateway', async () => {
    const pool = await until(kube, { ...POOL_ALPHA, name: 'vllm-llama3-8b-instruct-alpha', namespace: 'llm' }, 'the pool accepted', (o) =>
      ((statusOf<{ parent?: { parentRef: { kind: string } }[] }>(o).parent ?? [])[0]?.parentRef.kind ?? '') === 'Gateway',
    );
    const parent = statusOf<{ parent: { parentRef: unknown; conditions: { type: string; status: string; reason: string }[] }[] }>(pool).parent[0]!;
    expect(parent.parentRef).toEqual({ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'inference-gateway', namespace: 'llm' });
    expect(parent.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Accepted', 'True', 'Accepted'],
      ['ResolvedRefs', 'True', 'ResolvedRefs'],
    ]);
  });

  it('makes the EPP and the model server available and answers 200 with a completion', async () => {
    for (const name of ['vllm-llama3-8b-instruct-alpha-epp', 'vllm-llama3-8b-instruct']) {
      await until(kube, { apiVersion: 'apps/v1', kind: 'Deployment', name, namespace: 'llm' }, `${name} available`, (o) => (statusOf<{ availableReplicas?: number }>(o).availableReplicas ?? 0) === 1);
    }
    await sandbox.simulator.settled();
    const r = sandbox.simulator.inferenceGateway.answer({ host: HOST, method: 'POST', path: '/v1/completions', body: { model: 'food-review', prompt: 'Write as if you were a critic', max_tokens: 100 } });
    expect(r?.status).toBe(200);
    expect(r?.json).toMatchObject({ object: 'text_completion', model: 'food-review', choices: [{ index: 0, finish_reason: 'length' }] });
    expect(sandbox.simulator.inferenceGateway.answer({ host: 'elsewhere.example.com', method: 'GET', path: '/' })).toBeUndefined();
  });
});

describe('traffic splits', () => {
  const alpha = { group: 'inference.networking.x-k8s.io', kind: 'InferencePool', name: 'vllm-llama3-8b-instruct-alpha' };
  const ga = { group: 'inference.networking.k8s.io', kind: 'InferencePool', name: 'broken-ga' };

  it('a route to a pool that does not exist answers 500 and says BackendNotFound', async () => {
    await setBackends([{ ...ga, weight: 100 }]);
    expect(ask(3)).toEqual([500, 500, 500]);
    const route = await kube.get(ROUTE);
    const parents = statusOf<{ parents: { conditions: { type: string; status: string; reason: string }[] }[] }>(route).parents;
    expect(parents[0]!.conditions.find((c) => c.type === 'ResolvedRefs')).toMatchObject({ status: 'False', reason: 'BackendNotFound' });
  });

  it('a 90/10 split onto a v1 pool whose EPP is missing fails one request in ten', async () => {
    const pool: KubeObject = {
      apiVersion: POOL_V1.apiVersion,
      kind: 'InferencePool',
      metadata: { name: 'broken-ga', namespace: 'llm' },
      spec: { selector: { matchLabels: { app: 'vllm-llama3-8b-instruct' } }, targetPorts: [{ number: 8000 }], endpointPickerRef: { name: 'no-such-epp', port: { number: 9002 } } },
    };
    await kube.create(pool);
    await setBackends([{ ...alpha, weight: 90 }, { ...ga, weight: 10 }]);
    const statuses = ask(20);
    expect(statuses.filter((s) => s === 500)).toHaveLength(2);
    expect(statuses.filter((s) => s === 200)).toHaveLength(18);
    const v1 = await until(kube, { ...POOL_V1, name: 'broken-ga', namespace: 'llm' }, 'the v1 pool has a parent', (o) => (statusOf<{ parents?: unknown[] }>(o).parents ?? []).length === 1);
    const cond = statusOf<{ parents: { conditions: { type: string; status: string; reason: string }[] }[] }>(v1).parents[0]!.conditions.find((c) => c.type === 'ResolvedRefs');
    expect(cond).toMatchObject({ status: 'False', reason: 'InvalidExtensionRef' });
  });

  it('back on the alpha pool alone, every request succeeds', async () => {
    await setBackends([alpha]);
    expect(ask(5)).toEqual([200, 200, 200, 200, 200]);
    await kube.delete({ ...POOL_V1, name: 'broken-ga', namespace: 'llm' });
  });
});
