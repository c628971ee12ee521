// The fault-injecting proxy in front of the shared control plane, and runbook steps through it: a
// patch survives 500s and 429s (Retry-After honoured) and a reset connection by its retries, a
// wait survives watches cut mid-stream by reconnecting, and faults that never stop end in a clear
// error. Nothing here loads a scenario, so the global control plane is enough.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KubeClient } from '../../src/kube/client.js';
import { FaultSchedule } from '../../src/sandbox/fault-rules.js';
import { type FaultProxy, servingTlsOf, startFaultProxy } from '../../src/sandbox/fault-proxy.js';
import { adminKubeconfigPath } from './support/cluster.js';
import { configMap, createNamespace, deleteNamespace } from './support/objects.js';
import { runStep, sideKube } from './support/run-step.js';
import { scratchFiles } from './support/sandbox.js';

describe('fault proxy', () => {
  let proxy: FaultProxy;
  let through: KubeClient;
  let direct: KubeClient;
  let ns: string;
  let files: ReturnType<typeof scratchFiles>;

  beforeAll(async () => {
    files = scratchFiles({});
    const kubeconfigPath = adminKubeconfigPath();
    proxy = await startFaultProxy({ kubeconfigPath, tls: servingTlsOf(dirname(kubeconfigPath)), kubeconfigOut: join(files.dir, 'proxy.kubeconfig') });
    through = KubeClient.load({ kubeconfig: proxy.kubeconfigPath, env: {} });
    direct = sideKube();
    ns = await createNamespace(direct, 'fault-proxy');
  });
  afterAll(async () => {
    await deleteNamespace(direct, ns);
    await proxy?.stop();
    files?.remove();
  });

  const cmRef = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', name, namespace: ns });
  const injectedSince = (since: number): string[] => proxy.injected.slice(since).map((f) => `${f.method} ${f.fault}`);

  it('forwards with the same credentials, TLS verified against the same CA', async () => {
    const config = parse(readFileSync(proxy.kubeconfigPath, 'utf8')) as { clusters: { cluster: Record<string, unknown> }[]; users: unknown[] };
    const original = parse(readFileSync(adminKubeconfigPath(), 'utf8')) as typeof config;
    expect(config.clusters[0]!.cluster).toEqual({ ...original.clusters[0]!.cluster, server: proxy.server });
    expect(config.clusters[0]!.cluster).not.toHaveProperty('insecure-skip-tls-verify');
    expect(config.users).toEqual(original.users);
    const before = proxy.requests;
    expect((await through.get({ apiVersion: 'v1', kind: 'Namespace', name: ns }))?.metadata.name).toBe(ns);
    expect(proxy.requests).toBeGreaterThan(before);
  });

  it('a merge patch survives a 500 and a 429: the client sends it again, waiting as long as Retry-After asks', async () => {
    await direct.create(configMap('retried', ns, { phase: 'old' }));
    const since = proxy.injected.length;
    proxy.inject({ fault: { type: 'status', code: 500 }, match: { methods: ['PATCH'] }, times: 1 });
    proxy.inject({ fault: { type: 'status', code: 429, retryAfterSeconds: 1 }, match: { methods: ['PATCH'] }, times: 1 });
    const run = await runStep('patch', { ...cmRef('retried'), patch: { data: { phase: 'new' } } }, { kube: through, common: { retries: 3, backoff: { delay: '50ms' } } });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('changed');
    // One step attempt: a merge patch is safe to send again, so the client did (retry-policy.ts).
    expect(run.result?.attempts).toBe(1);
    expect(injectedSince(since)).toEqual(['PATCH status', 'PATCH status']);
    // The third send came after the second by at least the Retry-After, not the short backoff.
    const [, throttled] = proxy.injected.slice(since);
    expect(Date.now() - throttled!.at).toBeGreaterThanOrEqual(1000);
    expect((await direct.get(cmRef('retried')))?.data).toEqual({ phase: 'new' });
  });

  it('a merge patch survives a reset connection: the client sends it again', async () => {
    await direct.create(configMap('reset', ns, { phase: 'old' }));
    const since = proxy.injected.length;
    proxy.inject({ fault: { type: 'reset' }, match: { methods: ['PATCH'] }, times: 1 });
    const run = await runStep('patch', { ...cmRef('reset'), patch: { data: { phase: 'new' } } }, { kube: through, common: { retries: 2, backoff: { delay: '50ms' } } });
    expect(run.error).toBeUndefined();
    expect(run.result?.attempts).toBe(1);
    expect(injectedSince(since)).toEqual(['PATCH reset']);
    expect((await direct.get(cmRef('reset')))?.data).toEqual({ phase: 'new' });
  });

  it('a wait survives watches cut after some events and after some time, by reconnecting', async () => {
    await direct.create(configMap('watched', ns, { phase: 'step-0' }));
    const since = proxy.injected.length;
    proxy.inject({ fault: { type: 'cutWatch', afterEvents: 1 }, match: { watch: true, path: `/namespaces/${ns}/configmaps` }, times: 2 });
    proxy.inject({ fault: { type: 'cutWatch', afterMs: 300 }, match: { watch: true, path: `/namespaces/${ns}/configmaps` }, times: 2 });
    const running = runStep('wait', { ...cmRef('watched'), for: { jsonpath: '{.data.phase}', value: 'done' }, timeout: '30s' }, { kube: through });
    // Changes keep coming while the watches are cut: none of them may be missed.
    for (let i = 1; i <= 6; i++) {
      await sleep(250);
      await direct.patch(cmRef('watched'), 'merge', { data: { phase: `step-${i}` } });
    }
    await direct.patch(cmRef('watched'), 'merge', { data: { phase: 'done' } });
    const run = await running;
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('ok');
    expect(injectedSince(since)).toEqual(['GET cutWatch', 'GET cutWatch', 'GET cutWatch', 'GET cutWatch']);
    // Every cut watch was opened again (the last one may have seen "done" before its cut).
    expect(run.calls.watches).toBeGreaterThanOrEqual(4);
  });

  it('a seeded schedule of 500s on every kind of request is survived with retries, and replays the same', async () => {
    await direct.create(configMap('seeded', ns, { phase: 'old' }));
    proxy.inject({ fault: { type: 'status', code: 500 }, match: { path: `/namespaces/${ns}/configmaps/seeded` }, probability: 0.5 });
    try {
      const run = await runStep('patch', { ...cmRef('seeded'), patch: { data: { phase: 'new' } } }, { kube: through, common: { retries: 10, backoff: { delay: '20ms', factor: 1 } } });
      expect(run.error).toBeUndefined();
      expect((await direct.get(cmRef('seeded')))?.data).toEqual({ phase: 'new' });
    } finally {
      proxy.clear();
    }
    // Same seed, same requests: the same faults.
    const draws = (seed: number): boolean[] => {
      const schedule = new FaultSchedule(seed, [{ fault: { type: 'reset' }, probability: 0.3 }]);
      return Array.from({ length: 50 }, (_, i) => schedule.pick({ method: 'GET', url: `/api/v1/x${i}`, watch: false }) !== undefined);
    };
    expect(draws(7)).toEqual(draws(7));
    expect(draws(7)).not.toEqual(draws(8));
    expect(draws(7).filter(Boolean).length).toBeGreaterThan(5);
  });

  it('a patch whose 500s never stop fails with the server error once the client and the step have tried their budgets', async () => {
    await direct.create(configMap('doomed', ns, { phase: 'old' }));
    proxy.inject({ fault: { type: 'status', code: 500, message: 'etcdserver: request timed out' }, match: { methods: ['PATCH'], path: '/configmaps/doomed' } });
    try {
      const run = await runStep('patch', { ...cmRef('doomed'), patch: { data: { phase: 'new' } } }, { kube: through, common: { retries: 2, backoff: { delay: '20ms' } } });
      expect(run.status).toBe('failed');
      // A failure to reach the cluster gets the executor's own budget (CONNECTION_RETRIES = 4) even
      // where the step asked for fewer retries; each attempt's request was sent 1 + 4 times.
      expect(run.result?.attempts).toBe(5);
      expect(run.calls.writes).toBe(25);
      expect(run.error).toBe(`patch configmaps ${ns}/doomed: 500 InternalError: etcdserver: request timed out`);
    } finally {
      proxy.clear();
    }
    expect((await direct.get(cmRef('doomed')))?.data).toEqual({ phase: 'old' });
  });

  it('a wait whose API calls never succeed times out saying why', async () => {
    await direct.create(configMap('unreachable', ns, { phase: 'old' }));
    proxy.inject({ fault: { type: 'status', code: 503, message: 'the API server is shutting down' }, match: { path: '/configmaps' } });
    try {
      const run = await runStep('wait', { ...cmRef('unreachable'), for: { jsonpath: '{.data.phase}', value: 'done' }, timeout: '1500ms' }, { kube: through });
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(new RegExp(`^timed out after 1.5s waiting for ConfigMap ${ns}/unreachable: nothing seen yet; the last attempt failed: .*503 ServiceUnavailable: the API server is shutting down$`));
    } finally {
      proxy.clear();
    }
  });
});
