// The TrustyAI and Llama Stack parts of the 2.25 → 3.3 runbook, through the built CLI, on a control
// plane of this file's own (it swaps a CRD, as OLM does at the operator upgrade):
// - Llama Stack: the PostgreSQL and embedding variables reach every LlamaStackDistribution, whether
//   it has no containerSpec, a containerSpec without env, or env already (a value set by hand
//   stays), and a re-run writes nothing.
// - TrustyAI: a GuardrailsOrchestrator written under the 2.25 CRD keeps its 2.25 otelExporter up to
//   the upgrade; the 3.3 CRD prunes those keys; the orchestrator ends with the mapped 3.3 fields;
//   verification accepts the 3.3 shape and names what is left undone.
import type { V1CustomResourceDefinition, V1JSONSchemaProps } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { startControlPlane, type ControlPlane } from '../../src/sandbox/controlplane/launcher.js';
import { installCrds, loadCrds } from '../../src/sandbox/crds/index.js';
import { REPO, changedSteps, runCli, type CliRun } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';

const RUNBOOKS = join(REPO, 'runbooks/rhoai-2.25-to-3.3');
const GORCH = { apiVersion: 'trustyai.opendatahub.io/v1alpha1', kind: 'GuardrailsOrchestrator' } as const;
const LLSD = { apiVersion: 'llamastack.io/v1alpha1', kind: 'LlamaStackDistribution' } as const;
const GORCH_CRD = 'guardrailsorchestrators.trustyai.opendatahub.io';
const PARKED = 'upgrade.runbook.dev/otelExporter.';
const OLD_KEYS = ['protocol', 'tracesProtocol', 'metricsProtocol', 'otlpEndpoint', 'tracesEndpoint', 'metricsEndpoint', 'otlpExport'];

let controlPlane: ControlPlane;
let kube: KubeClient;
let crd33: V1CustomResourceDefinition;

beforeAll(async () => {
  controlPlane = await startControlPlane();
  await installCrds(controlPlane.kubeconfigPath);
  kube = KubeClient.load({ kubeconfig: controlPlane.kubeconfigPath, env: {} });
  crd33 = (await loadCrds()).find((c) => c.metadata?.name === GORCH_CRD)!;
}, 600_000);

afterAll(async () => {
  await controlPlane?.stop();
});

/** `runbook run <file>` in a folder of its own (state, backups), JSON output, gates passed. */
function run(file: string, dir: string, extra: string[] = []): Promise<CliRun> {
  return runCli(['run', join(RUNBOOKS, file), '--kubeconfig', controlPlane.kubeconfigPath, '--state-dir', scratchDir('runbook-state'), '--yes', '-o', 'json', ...extra], { cwd: dir });
}

/** What a failed run says: stderr, the failed steps and the findings. */
function why(r: CliRun): string {
  const failed = r.events.filter((e) => e.type === 'node:end' && (e.result as { status: string }).status === 'failed').map((e) => JSON.stringify(e.result));
  return [r.stderr, ...failed, ...r.findings.map((f) => JSON.stringify(f))].join('\n');
}

async function namespace(name: string): Promise<void> {
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

const get = async (ref: { apiVersion: string; kind: string }, namespace: string, name: string): Promise<KubeObject> => (await kube.get({ ...ref, namespace, name }))!;

describe('Llama Stack: the PostgreSQL variables on every shape of LlamaStackDistribution', () => {
  const ns = 'llama';
  const server = (extra: Record<string, unknown> = {}) => ({ replicas: 1, server: { distribution: { name: 'rh-dev' }, ...extra } });
  const envOf = (o: KubeObject) => (o.spec as { server: { containerSpec?: { env?: { name: string; value?: string }[] } } }).server.containerSpec?.env;
  const PG = [
    { name: 'POSTGRES_HOST', value: 'postgres.llama.svc' },
    { name: 'POSTGRES_PORT', value: '5432' },
    { name: 'POSTGRES_DB', value: 'llamastack' },
    { name: 'POSTGRES_USER', value: 'llamastack' },
    { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'llama-stack-postgres', key: 'password' } } },
  ];
  const INLINE = [
    { name: 'ENABLE_SENTENCE_TRANSFORMERS', value: 'true' },
    { name: 'EMBEDDING_PROVIDER', value: 'sentence-transformers' },
  ];
  const VARS = ['--var', 'llamaStackPostgresHost=postgres.llama.svc'];

  it('adds them with no containerSpec, without env, and next to existing env; a re-run writes nothing', { timeout: 300_000 }, async () => {
    await namespace(ns);
    const make = (name: string, spec: unknown) => kube.create({ ...LLSD, metadata: { name, namespace: ns }, spec });
    await make('bare', server());
    await make('no-env', server({ containerSpec: { name: 'llama-stack', port: 8321 } }));
    await make('with-env', server({ containerSpec: { name: 'llama-stack', env: [{ name: 'VLLM_URL', value: 'http://vllm:8000/v1' }, { name: 'POSTGRES_HOST', value: 'by-hand.llama.svc' }] } }));
    // Stored as the API server keeps it: no containerSpec at all.
    expect((await get(LLSD, ns, 'bare')).spec).toEqual(server());

    const dir = scratchDir('runbook-llama');
    const first = await run('before/llama-stack.yaml', dir, VARS);
    expect(first.code, why(first)).toBe(0);
    expect(envOf(await get(LLSD, ns, 'bare'))).toEqual([...PG, ...INLINE]);
    const noEnv = await get(LLSD, ns, 'no-env');
    expect((noEnv.spec as { server: { containerSpec: unknown } }).server.containerSpec).toEqual({ name: 'llama-stack', port: 8321, env: [...PG, ...INLINE] });
    // The host set by hand stays; only what is missing is added, after what was there.
    expect(envOf(await get(LLSD, ns, 'with-env'))).toEqual([{ name: 'VLLM_URL', value: 'http://vllm:8000/v1' }, { name: 'POSTGRES_HOST', value: 'by-hand.llama.svc' }, ...PG.slice(1), ...INLINE]);

    const versions = async () => Object.fromEntries((await kube.list({ ...LLSD, namespace: ns })).items.map((o) => [o.metadata.name, o.metadata.resourceVersion]));
    const before = await versions();
    const again = await run('before/llama-stack.yaml', dir, VARS);
    expect(again.code, why(again)).toBe(0);
    // Only the backup files change (they now hold the variables); the cluster is not written.
    expect(changedSteps(again)).toEqual(['before/llama-stack/backup-crs']);
    expect(again.summary?.apiCalls?.writes).toBe(0);
    expect(await versions()).toEqual(before);
  });
});

describe('TrustyAI: the 2.25 otelExporter carried over to 3.3', () => {
  const ns = 'trusty';
  const orchestrator = (name: string, otelExporter?: Record<string, unknown>) =>
    kube.create({ ...GORCH, metadata: { name, namespace: ns }, spec: { replicas: 1, orchestratorConfig: 'fms-orchestr8-config-nlp', ...(otelExporter ? { otelExporter } : {}) } });
  const exporterOf = (o: KubeObject) => (o.spec as { otelExporter?: Record<string, unknown> }).otelExporter;
  const parkedOf = (o: KubeObject) => Object.fromEntries(Object.entries(o.metadata.annotations ?? {}).filter(([k]) => k.startsWith(PARKED)));
  let dir: string;

  beforeAll(async () => {
    // The 2.25 CRD: the same, with the 2.25 otelExporter keys (red-hat-data-services/trustyai-service-operator,
    // branch rhoai-2.25, config/crd/bases/trustyai.opendatahub.io_guardrailsorchestrators.yaml: seven strings).
    const crd225 = structuredClone(crd33);
    const spec = crd225.spec.versions[0]!.schema!.openAPIV3Schema!.properties!.spec!;
    spec.properties!.otelExporter = { type: 'object', properties: Object.fromEntries(OLD_KEYS.map((k) => [k, { type: 'string' } as V1JSONSchemaProps])) };
    await installCrds(controlPlane.kubeconfigPath, { crds: [crd225] });
    await namespace(ns);
    await orchestrator('single', { protocol: 'grpc', otlpEndpoint: 'otel-collector.trusty.svc:4317', otlpExport: 'traces' });
    await orchestrator('split', {
      tracesProtocol: 'http/protobuf',
      metricsProtocol: 'grpc',
      otlpEndpoint: 'unused.trusty.svc:4317',
      tracesEndpoint: 'http://tempo.trusty.svc:4318/v1/traces',
      metricsEndpoint: 'prometheus.trusty.svc:4317',
      otlpExport: 'ALL',
    });
    await orchestrator('metrics-only', { metricsProtocol: 'grpc', metricsEndpoint: 'prometheus.trusty.svc:4317', otlpExport: 'metrics' });
    await orchestrator('nothing-maps', { otlpExport: 'none' });
    await orchestrator('no-exporter');
    dir = mkdtempSync(join(tmpdir(), 'runbook-trusty-'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('assess warns where traces and metrics used different protocols', { timeout: 120_000 }, async () => {
    const assess = await run('assess/trustyai.yaml', dir, ['--only', 'assess/trustyai/otel-protocol']);
    expect(assess.code, why(assess)).toBe(0);
    const warning = assess.findings.find((f) => f.check === 'guardrails-otel-protocol');
    expect(warning?.severity).toBe('warning');
    expect(warning?.objects).toEqual([`GuardrailsOrchestrator ${ns}/split`]);
  });

  it('before the upgrade: the 3.3 values are parked in annotations, the 2.25 keys stay; a re-run writes nothing', { timeout: 180_000 }, async () => {
    const first = await run('before/trustyai.yaml', dir);
    expect(first.code, why(first)).toBe(0);
    const single = await get(GORCH, ns, 'single');
    expect(exporterOf(single)).toEqual({ protocol: 'grpc', otlpEndpoint: 'otel-collector.trusty.svc:4317', otlpExport: 'traces' });
    expect(parkedOf(single)).toEqual({
      [`${PARKED}otlpProtocol`]: 'grpc',
      [`${PARKED}otlpTracesEndpoint`]: 'otel-collector.trusty.svc:4317',
      [`${PARKED}otlpMetricsEndpoint`]: 'otel-collector.trusty.svc:4317',
      [`${PARKED}enableTraces`]: 'true',
    });
    // Nothing maps from {otlpExport: none}: the section goes now, as before.
    expect(exporterOf(await get(GORCH, ns, 'nothing-maps'))).toBeUndefined();
    expect(parkedOf(await get(GORCH, ns, 'no-exporter'))).toEqual({});

    const again = await run('before/trustyai.yaml', dir);
    expect(again.code, why(again)).toBe(0);
    // Only the backup files change (they now carry the annotations, and still the 2.25 keys).
    expect(changedSteps(again)).toEqual(['before/trustyai/backup']);
    expect(again.summary?.apiCalls?.writes).toBe(0);

    // The 2.25 values changed between two runs: the parked values follow, a stale one goes.
    const ref = { ...GORCH, namespace: ns, name: 'single' };
    await kube.patch(ref, 'merge', { spec: { otelExporter: { otlpExport: 'metrics' } } });
    expect((await run('before/trustyai.yaml', dir)).code).toBe(0);
    const changed = parkedOf(await get(GORCH, ns, 'single'));
    expect(changed[`${PARKED}enableMetrics`]).toBe('true');
    expect(changed).not.toHaveProperty(`${PARKED}enableTraces`);
    await kube.patch(ref, 'merge', { spec: { otelExporter: { otlpExport: 'traces' } } });
    expect((await run('before/trustyai.yaml', dir)).code).toBe(0);
  });

  it('after the upgrade: refused while the 2.25 CRD is installed, then the orchestrators end with the mapped 3.3 fields', { timeout: 240_000 }, async () => {
    // Still the 2.25 CRD: the 3.3 fields would be pruned and the parked values lost, so nothing is written.
    const early = await run('after/trustyai.yaml', dir);
    expect(early.code, why(early)).toBe(3);
    expect(early.findings.map((f) => f.check)).toContain('guardrails-crd-version');
    expect(Object.keys(parkedOf(await get(GORCH, ns, 'single')))).toHaveLength(4);

    // The operator upgrade installs the 3.3 CRD: from now on the API server prunes the 2.25 keys on read.
    await installCrds(controlPlane.kubeconfigPath, { crds: [crd33] });
    const pruned = exporterOf(await get(GORCH, ns, 'single')) ?? {};
    expect(Object.keys(pruned).filter((k) => OLD_KEYS.includes(k))).toEqual([]);

    const after = await run('after/trustyai.yaml', dir);
    expect(after.code, why(after)).toBe(0);
    const expected: Record<string, unknown> = {
      single: { otlpProtocol: 'grpc', otlpTracesEndpoint: 'otel-collector.trusty.svc:4317', otlpMetricsEndpoint: 'otel-collector.trusty.svc:4317', enableTraces: true },
      // One protocol in 3.3: the traces one wins.
      split: { otlpProtocol: 'http/protobuf', otlpTracesEndpoint: 'http://tempo.trusty.svc:4318/v1/traces', otlpMetricsEndpoint: 'prometheus.trusty.svc:4317', enableTraces: true, enableMetrics: true },
      'metrics-only': { otlpProtocol: 'grpc', otlpMetricsEndpoint: 'prometheus.trusty.svc:4317', enableMetrics: true },
      'nothing-maps': undefined,
      'no-exporter': undefined,
    };
    for (const [name, exporter] of Object.entries(expected)) {
      const o = await get(GORCH, ns, name);
      expect(exporterOf(o), name).toEqual(exporter);
      expect(parkedOf(o), name).toEqual({});
    }

    const again = await run('after/trustyai.yaml', dir);
    expect(again.code, why(again)).toBe(0);
    expect(changedSteps(again)).toEqual([]);
    expect(again.summary?.apiCalls?.writes).toBe(0);
  });

  it('verify accepts a 3.3 otelExporter, and names an orchestrator whose values are still parked', { timeout: 180_000 }, async () => {
    await orchestrator('new-in-3-3', { otlpProtocol: 'http/protobuf', otlpTracesEndpoint: 'http://tempo.trusty.svc:4318/v1/traces', enableTraces: true });
    const verify = (): Promise<CliRun> => run('verify/verify.yaml', dir, ['--only', 'verify/guardrails']);
    const ok = await verify();
    expect(ok.code, why(ok)).toBe(0);
    expect(ok.findings.filter((f) => f.check === 'verify-guardrails')).toEqual([]);

    await kube.patch({ ...GORCH, namespace: ns, name: 'no-exporter' }, 'merge', { metadata: { annotations: { [`${PARKED}enableTraces`]: 'true' } } });
    const parked = await verify();
    expect(parked.code).toBe(3);
    expect(parked.findings.find((f) => f.check === 'verify-guardrails')?.objects).toEqual([`GuardrailsOrchestrator ${ns}/no-exporter`]);
  });
});
