// The simple (downtime) path of guide 004 on the inference-gateway scenario, through the built CLI:
// with no v1alpha2 pool in scope it says so and changes nothing; the migration deletes the alpha
// stack and its CRDs, creates the v1 pool, EPP and InferenceObjectives as the chart would, moves the
// route and ends with a Programmed Gateway answering 200; a second run finds nothing to migrate and
// writes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { failureOf } from './support/cli-run.js';
import { ALPHA, CRD, GA, MODEL, NS, OBJECTIVE, POOL_ALPHA, POOL_V1, ROUTE, SIMPLE, gatewayStatuses, runbook, stateDir, stepsWith } from './support/inference-gateway.js';
import { startTestSandbox } from './support/sandbox.js';

let sandbox: Sandbox;
let kube: KubeClient;

beforeAll(async () => {
  sandbox = await startTestSandbox({ scenario: 'inference-gateway', speed: 0 });
  kube = sandbox.kube;
});

afterAll(async () => {
  await sandbox?.stop();
});

describe('no v1alpha2 InferencePool in scope', () => {
  it('says there is nothing to migrate and writes nothing', async () => {
    const run = await runbook(sandbox, ['run', SIMPLE], { state: stateDir(), vars: { namespace: 'elsewhere' } });
    expect(run.code, failureOf(run)).toBe(0);
    expect(run.findings.map((f) => [f.severity, f.message])).toEqual([['info', 'No v1alpha2 InferencePool (inferencepools.inference.networking.x-k8s.io) in namespace elsewhere: nothing to migrate']]);
    expect(run.summary?.apiCalls?.writes).toBe(0);
    expect(stepsWith(run, 'changed')).toEqual([]);
    expect(await kube.get({ ...POOL_ALPHA, name: ALPHA, namespace: NS })).not.toBeNull();
  });
});

describe('the simple migration', () => {
  it('replaces the alpha stack by the v1 one and the Gateway answers 200', async () => {
    const run = await runbook(sandbox, ['run', SIMPLE], { state: stateDir(), vars: { namespace: NS } });
    expect(run.code, failureOf(run)).toBe(0);

    // The alpha stack and its CRDs are gone (the InferenceObjective CRD stays: v1 uses it).
    expect(await kube.get({ ...CRD, name: 'inferencepools.inference.networking.x-k8s.io' })).toBeNull();
    expect(await kube.get({ ...CRD, name: 'inferencemodels.inference.networking.x-k8s.io' })).toBeNull();
    expect(await kube.get({ ...CRD, name: 'inferenceobjectives.inference.networking.x-k8s.io' })).not.toBeNull();
    for (const kind of ['Deployment', 'Service']) expect(await kube.get({ apiVersion: kind === 'Service' ? 'v1' : 'apps/v1', kind, name: `${ALPHA}-epp`, namespace: NS })).toBeNull();
    expect(await kube.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: `${ALPHA}-epp` })).toBeNull();

    // The v1 stack as the v1.0.0 chart creates it.
    const pool = await kube.get({ ...POOL_V1, name: GA, namespace: NS });
    expect(pool?.spec).toEqual({
      targetPorts: [{ number: 8000 }],
      selector: { matchLabels: { app: 'vllm-llama3-8b-instruct' } },
      endpointPickerRef: { name: `${GA}-epp`, kind: 'Service', group: '', port: { number: 9002 }, failureMode: 'FailClose' },
    });
    const epp = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', name: `${GA}-epp`, namespace: NS });
    const container = (epp?.spec as { template: { spec: { containers: { image: string; args: string[] }[] } } }).template.spec.containers[0]!;
    expect(container.image).toBe('registry.k8s.io/gateway-api-inference-extension/epp:v1.0.0');
    expect(container.args.slice(0, 4)).toEqual(['--pool-name', GA, '--pool-namespace', NS]);
    for (const kind of ['ServiceAccount', 'Service', 'ConfigMap']) expect(await kube.get({ apiVersion: 'v1', kind, name: `${GA}-epp`, namespace: NS }), kind).not.toBeNull();
    const objectives = (await kube.list({ ...OBJECTIVE, namespace: NS })).items.map((o) => [o.metadata.name, (o.spec as { priority: number }).priority, (o.spec as { poolRef: unknown }).poolRef]);
    expect(objectives).toEqual([
      ['base-model', 1, { group: 'inference.networking.k8s.io', kind: 'InferencePool', name: GA }],
      ['food-review', 2, { group: 'inference.networking.k8s.io', kind: 'InferencePool', name: GA }],
    ]);

    // The route now sends everything to the v1 pool, and the check request got a 200.
    const route = await kube.get(ROUTE);
    expect((route?.spec as { rules: { backendRefs: unknown[] }[] }).rules[0]!.backendRefs).toEqual([{ group: 'inference.networking.k8s.io', kind: 'InferencePool', name: GA }]);
    expect(gatewayStatuses(sandbox).at(-1)).toBe(200);
    expect(stepsWith(run, 'ok')).toContain('igw/verify/completions');
  });

  it('a second run finds nothing to migrate and writes nothing', async () => {
    const run = await runbook(sandbox, ['run', SIMPLE], { state: stateDir(), vars: { namespace: NS } });
    expect(run.code, failureOf(run)).toBe(0);
    expect(run.summary?.apiCalls?.writes).toBe(0);
    expect(run.findings.map((f) => f.check)).toEqual(['inference-gateway-nothing-to-migrate']);
    expect(await kube.list({ ...MODEL, namespace: NS }).catch(() => 'no such kind')).toBe('no such kind');
  });
});
