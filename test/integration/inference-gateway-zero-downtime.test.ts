// The zero-downtime path of guide 004 on the inference-gateway scenario, through the built CLI,
// with every completion the runbook sends answered by the simulated Gateway:
// - a v1 pool that cannot serve (its selector matches no model server) fails the first stage's
//   check, the route goes back to what it was, and the run stops on a critical finding; so does an
//   error rate above the limit, read from a Prometheus query;
// - with the confirm gate, the run stops after each stage until that stage is approved;
// - fixed, and gated by a soak, the run is killed (SIGKILL) right after the 50 % split is checkpointed, and the resumed
//   run starts at that stage (the 10 % stage is not done again), reaches 100 %, removes the alpha
//   stack and verifies; no request through the Gateway failed on the way;
// - a second run finds nothing to migrate and writes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { failureOf } from './support/cli-run.js';
import { ALPHA, CRD, GA, NS, POOL_ALPHA, POOL_V1, ROUTE, ZERO_DOWNTIME, gatewayStatuses, runbook, stateDir, stepsWith } from './support/inference-gateway.js';
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

const ALPHA_REF = { group: 'inference.networking.x-k8s.io', kind: 'InferencePool', name: ALPHA };
const backends = async (): Promise<unknown[]> => ((await kube.get(ROUTE))?.spec as { rules: { backendRefs: unknown[] }[] }).rules[0]!.backendRefs;
const idOf = (e: Record<string, unknown>): string => (e.node as { id: string }).id;

describe('a stage that fails', () => {
  it('puts the route back as it was and stops on a critical finding', async () => {
    const before = gatewayStatuses(sandbox).length;
    const run = await runbook(sandbox, ['run', ZERO_DOWNTIME], {
      state: stateDir(),
      vars: { namespace: NS, stageGate: 'none', modelServerLabels: '{"app":"no-such-model-server"}' },
    });
    expect(run.code, failureOf(run)).toBe(3);
    const stage = run.findings.filter((f) => f.check === 'inference-gateway-stage');
    expect(stage.map((f) => f.message)).toEqual([expect.stringMatching(/^Stage 10 %: completion \d+ of 10 answered 503; the weights are back at 0 % to v1$/)]);
    // One request in ten went to the broken v1 pool, and failed.
    expect(gatewayStatuses(sandbox).slice(before).filter((s) => s !== 200)).toEqual([503]);
    expect(await backends()).toEqual([ALPHA_REF]);
    expect(await kube.get({ ...POOL_ALPHA, name: ALPHA, namespace: NS })).not.toBeNull();
    expect(stepsWith(run, 'changed').filter((id) => id.includes('rollback'))).toHaveLength(1);
  });
});

describe('the error-rate check', () => {
  it('rolls the stage back when Prometheus reports too many errors', async () => {
    // Prometheus's instant query answer (api/v1/query): a vector whose first sample is the ratio.
    const remove = sandbox.simulator.endpoints.register({
      host: 'prometheus.sandbox.example.com',
      handle: (req) => (req.path === '/api/v1/query' ? { status: 200, json: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1764480000, '0.2'] }] } } } : undefined),
    });
    try {
      const run = await runbook(sandbox, ['run', ZERO_DOWNTIME], {
        state: stateDir(),
        vars: { namespace: NS, stageGate: 'none', errorRateUrl: 'https://prometheus.sandbox.example.com/api/v1/query?query=route_errors' },
      });
      expect(run.code, failureOf(run)).toBe(3);
      expect(run.findings.filter((f) => f.check === 'inference-gateway-stage').map((f) => f.message)).toEqual(['Stage 10 %: the error rate is above 0.01; the weights are back at 0 % to v1']);
      expect(await backends()).toEqual([ALPHA_REF]);
    } finally {
      remove();
    }
  });
});

describe('the confirm gate', () => {
  it('stops after each stage until a person approves it', async () => {
    const state = stateDir();
    const first = await runbook(sandbox, ['run', ZERO_DOWNTIME], { state, vars: { namespace: NS }, yes: false });
    expect(first.code, failureOf(first)).toBe(4);
    expect(await backends()).toEqual([
      { ...ALPHA_REF, weight: 90 },
      { group: 'inference.networking.k8s.io', kind: 'InferencePool', name: GA, weight: 10 },
    ]);
    const second = await runbook(sandbox, ['resume', '--approve', 'igw/zd/stage/confirm[10]'], { state, yes: false });
    expect(second.code, failureOf(second)).toBe(4);
    expect(await backends()).toEqual([
      { ...ALPHA_REF, weight: 50 },
      { group: 'inference.networking.k8s.io', kind: 'InferencePool', name: GA, weight: 50 },
    ]);
    expect(await kube.get({ ...POOL_ALPHA, name: ALPHA, namespace: NS })).not.toBeNull();
  });
});

describe('a run killed at a stage', () => {
  it('resumes at that stage, finishes the migration and no request fails', async () => {
    const state = stateDir();
    const before = gatewayStatuses(sandbox).length;
    // Gated by a soak of a second per stage, followed by one more completion.
    const vars = { namespace: NS, stageGate: 'soak', soakSeconds: '1' };
    let killed = false;
    const first = await runbook(sandbox, ['run', ZERO_DOWNTIME], {
      state,
      vars,
      onEvent: (e, kill) => {
        // Killed once the 50 % stage's split is in and the Gateway took it. (Right after the patch
        // itself, its record may still be on its way to the disk: a resume then checks it again.)
        if (!killed && e.type === 'node:end' && idOf(e).startsWith('igw/zd/stage/route-accepted') && idOf(e).includes('[50]')) {
          killed = true;
          kill('SIGKILL');
        }
      },
    });
    expect(first.signal).toBe('SIGKILL');
    const split = await backends();
    expect(split).toEqual([
      { ...ALPHA_REF, weight: 50 },
      { group: 'inference.networking.k8s.io', kind: 'InferencePool', name: GA, weight: 50 },
    ]);

    const resumed = await runbook(sandbox, ['resume'], { state, vars: {} });
    expect(resumed.code, failureOf(resumed)).toBe(0);
    const ran = resumed.events.filter((e) => e.type === 'node:end' && !(e.result as { resumed?: boolean }).resumed).map(idOf);
    // Ids in the stage loop carry the stage as their first key: [10], then [10][probe].
    expect(ran.filter((id) => /^[^[]*\[10\]/.test(id))).toEqual([]);
    expect(ran.filter((id) => /^[^[]*\[50\]/.test(id)).length).toBeGreaterThan(0);
    expect(ran.filter((id) => id.startsWith('igw/zd/stage/probe/send[50]'))).toHaveLength(10);
    expect(ran).not.toContain(idOf(first.events.filter((e) => e.type === 'node:end').at(-1)!));
    expect(ran).not.toContain('igw/zd/stage/patch[50]');
    expect(stepsWith(resumed, 'changed').filter((id) => id.startsWith('igw/zd/stage/soak'))).toEqual(['igw/zd/stage/soak[50]', 'igw/zd/stage/soak[100]']);
    expect(stepsWith(resumed, 'ok').filter((id) => id.startsWith('igw/zd/stage/after-soak/send'))).toEqual(['igw/zd/stage/after-soak/send[50]', 'igw/zd/stage/after-soak/send[100]']);

    expect(await backends()).toEqual([{ group: 'inference.networking.k8s.io', kind: 'InferencePool', name: GA, weight: 100 }]);
    expect(await kube.get({ ...POOL_V1, name: GA, namespace: NS })).not.toBeNull();
    expect(await kube.get({ ...CRD, name: 'inferencepools.inference.networking.x-k8s.io' })).toBeNull();
    expect(await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', name: `${ALPHA}-epp`, namespace: NS })).toBeNull();
    // Every completion through the Gateway, at every stage and in the final check, answered 200.
    const statuses = gatewayStatuses(sandbox).slice(before);
    expect(statuses.length).toBeGreaterThanOrEqual(30);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('a second run finds nothing to migrate and writes nothing', async () => {
    const run = await runbook(sandbox, ['run', ZERO_DOWNTIME], { state: stateDir(), vars: { namespace: NS } });
    expect(run.code, failureOf(run)).toBe(0);
    expect(run.summary?.apiCalls?.writes).toBe(0);
    expect(run.findings.map((f) => f.check)).toEqual(['inference-gateway-nothing-to-migrate']);
  });
});
