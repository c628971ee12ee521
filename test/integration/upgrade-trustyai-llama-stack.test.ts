// The TrustyAI and Llama Stack parts of the 2.25 → 3.3 runbook, through the built CLI, on a control
// plane of this file's own (it swaps a CRD, as OLM does at the operator upgrade):
// - Llama Stack: each distribution's YAML, and its ConfigMap with run.yaml and config.yaml written
//   out, are backed up before the data-loss gate (a distribution without a pod, or with a missing
//   ConfigMap, is named in a warning); the PostgreSQL and embedding variables reach every
//   LlamaStackDistribution, whether it has no containerSpec, a containerSpec without env, or env
//   already (a value set by hand stays), and a re-run writes nothing to the cluster.
// - TrustyAI: a GuardrailsOrchestrator written under the 2.25 CRD keeps its 2.25 otelExporter up to
//   the upgrade (an exporter from which nothing maps too; only an empty one goes); the 3.3 CRD
//   prunes those keys; the orchestrator ends with the mapped 3.3 fields; its Deployment's
//   orchestrator container gets the /health:8034 readiness probe and the rollout is waited for;
//   verification accepts the 3.3 shape and names what is left undone.
// - GPU deadlock: an InferenceService with one predictor pod Running and one Pending is reported by
//   the assessment; after the upgrade the fix waits at its gate, and once passed deletes the Running
//   pod and waits for the Pending one to be ready.
// (Pod data, the TrustyAIService backup and restore run on the full sandbox, whose simulated pods
// have files: upgrade-backups.test.ts.)
import type { V1CustomResourceDefinition, V1JSONSchemaProps } from '@kubernetes/client-node';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { startControlPlane, type ControlPlane } from '../../src/sandbox/controlplane/launcher.js';
import { installCrds, loadCrds } from '../../src/sandbox/crds/index.js';
import { selfSignedCertificate } from '../../src/sandbox/webhooks/tls.js';
import { REPO, changedSteps, runCli, type CliRun } from './support/cli-run.js';
import { eventually } from './support/cluster.js';
import { scratchDir } from './support/processes.js';

const RUNBOOKS = join(REPO, 'runbooks/rhoai-2.25-to-3.3');
const GORCH = { apiVersion: 'trustyai.opendatahub.io/v1alpha1', kind: 'GuardrailsOrchestrator' } as const;
const LLSD = { apiVersion: 'llamastack.io/v1alpha1', kind: 'LlamaStackDistribution' } as const;
const DEPLOYMENT = { apiVersion: 'apps/v1', kind: 'Deployment' } as const;
const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
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

/** `runbook run <file>` in a folder of its own (state, backups), JSON output, gates passed unless `gates` is false. */
function run(file: string, dir: string, extra: string[] = [], gates = true): Promise<CliRun> {
  return runCli(['run', join(RUNBOOKS, file), '--kubeconfig', controlPlane.kubeconfigPath, '--state-dir', scratchDir('runbook-state'), ...(gates ? ['--yes'] : []), '-o', 'json', ...extra], { cwd: dir });
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

/** What the deployment controller reports once a Deployment's pods run its current spec. */
async function rollout(namespace: string, name: string): Promise<void> {
  const d = await get(DEPLOYMENT, namespace, name);
  const replicas = (d.spec as { replicas?: number }).replicas ?? 1;
  await kube.patch({ ...DEPLOYMENT, namespace, name }, 'merge', {
    status: { observedGeneration: d.metadata.generation, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }] },
  }, { subresource: 'status' });
}

/** Rolls the Deployment out once its spec changed (its generation passed what the status observed). */
async function rolloutWhenChanged(namespace: string, name: string): Promise<void> {
  await eventually(`${namespace}/${name} changed`, async () => {
    const d = await get(DEPLOYMENT, namespace, name);
    return (d.metadata.generation ?? 0) > ((d.status as { observedGeneration?: number } | undefined)?.observedGeneration ?? 0) || undefined;
  }, { timeoutMs: 200_000, intervalMs: 200 });
  await rollout(namespace, name);
}

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

  it('backs each one up, adds them with no containerSpec, without env, and next to existing env; a re-run writes nothing', { timeout: 300_000 }, async () => {
    await namespace(ns);
    const make = (name: string, spec: unknown) => kube.create({ ...LLSD, metadata: { name, namespace: ns }, spec });
    await make('bare', server());
    await make('no-env', server({ containerSpec: { name: 'llama-stack', port: 8321 } }));
    await make('with-env', server({ containerSpec: { name: 'llama-stack', env: [{ name: 'VLLM_URL', value: 'http://vllm:8000/v1' }, { name: 'POSTGRES_HOST', value: 'by-hand.llama.svc' }] } }));
    // A custom run.yaml (and the 3.3 config.yaml next to it), and a ConfigMap named but gone.
    const runYaml = 'version: 2\nimage_name: rh\nmetadata_store:\n  type: sqlite\n  db_path: /opt/app-root/src/.llama/distributions/rh/registry.db\n';
    const configYaml = 'version: 2\ndistro_name: rh\n';
    await kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'custom-run', namespace: ns }, data: { 'run.yaml': runYaml, 'config.yaml': configYaml } });
    await make('custom', server({ userConfig: { configMapName: 'custom-run' } }));
    await make('lost-config', server({ userConfig: { configMapName: 'gone' } }));
    // Stored as the API server keeps it: no containerSpec at all.
    expect((await get(LLSD, ns, 'bare')).spec).toEqual(server());

    const dir = scratchDir('runbook-llama');
    const first = await run('before/llama-stack.yaml', dir, VARS);
    expect(first.code, why(first)).toBe(0);

    // The backup, per distribution, before the gate: what the API server holds, the ConfigMap and its
    // run.yaml / config.yaml as text; private files in private folders.
    const backup = join(dir, 'rhoai-upgrade-backup', 'llamastack', ns);
    for (const name of ['bare', 'no-env', 'with-env', 'custom', 'lost-config']) {
      const file = join(backup, name, 'llamastackdistribution.yaml');
      expect(existsSync(file), file).toBe(true);
      expect(readFileSync(file, 'utf8')).toContain(`name: ${name}`);
      expect(readFileSync(file, 'utf8')).not.toContain('managedFields');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(backup, name)).mode & 0o777).toBe(0o700);
    }
    expect(readFileSync(join(backup, 'custom', 'run.yaml'), 'utf8')).toBe(runYaml);
    expect(readFileSync(join(backup, 'custom', 'config.yaml'), 'utf8')).toBe(configYaml);
    expect(readFileSync(join(backup, 'custom', 'configmap.yaml'), 'utf8')).toContain('name: custom-run');
    expect(existsSync(join(backup, 'bare', 'configmap.yaml'))).toBe(false);
    expect(existsSync(join(backup, 'lost-config', 'run.yaml'))).toBe(false);
    // No pods on this control plane: each distribution is named, none fails the run.
    const named = (check: string) => first.findings.filter((f) => f.check === check).flatMap((f) => f.objects ?? []).sort();
    expect(named('llama-stack-backup-no-pod')).toEqual(['bare', 'custom', 'lost-config', 'no-env', 'with-env'].map((n) => `LlamaStackDistribution ${ns}/${n}`));
    expect(named('llama-stack-backup-no-configmap')).toEqual([`LlamaStackDistribution ${ns}/lost-config`]);
    expect(named('llama-stack-backup-custom-config')).toEqual([`LlamaStackDistribution ${ns}/custom`, `LlamaStackDistribution ${ns}/lost-config`]);
    expect(envOf(await get(LLSD, ns, 'bare'))).toEqual([...PG, ...INLINE]);
    const noEnv = await get(LLSD, ns, 'no-env');
    expect((noEnv.spec as { server: { containerSpec: unknown } }).server.containerSpec).toEqual({ name: 'llama-stack', port: 8321, env: [...PG, ...INLINE] });
    // The host set by hand stays; only what is missing is added, after what was there.
    expect(envOf(await get(LLSD, ns, 'with-env'))).toEqual([{ name: 'VLLM_URL', value: 'http://vllm:8000/v1' }, { name: 'POSTGRES_HOST', value: 'by-hand.llama.svc' }, ...PG.slice(1), ...INLINE]);

    const versions = async () => Object.fromEntries((await kube.list({ ...LLSD, namespace: ns })).items.map((o) => [o.metadata.name, o.metadata.resourceVersion]));
    const before = await versions();
    const again = await run('before/llama-stack.yaml', dir, VARS);
    expect(again.code, why(again)).toBe(0);
    // Only backup files change (the distributions now hold the variables); the cluster is not written.
    expect(changedSteps(again).length).toBeGreaterThan(0);
    for (const id of changedSteps(again)) expect(id).toMatch(/^before\/llama-stack\/backup\/write-the-distribution-[a-z0-9-]+\[llama\/[a-z-]+\]$/);
    expect(again.summary?.apiCalls?.writes).toBe(0);
    expect(await versions()).toEqual(before);
    expect(readFileSync(join(backup, 'bare', 'llamastackdistribution.yaml'), 'utf8')).toContain('POSTGRES_HOST');
  });

  it('stops at the data-loss gate without approval, with the backup already written', { timeout: 180_000 }, async () => {
    const dir = scratchDir('runbook-llama-gate');
    const stopped = await run('before/llama-stack.yaml', dir, VARS, false);
    expect(stopped.code, why(stopped)).toBe(4);
    const asked = stopped.events.find((e) => e.type === 'approval:required') as { id: string; message: string } | undefined;
    expect(asked?.id).toBe('before/llama-stack/data-loss');
    expect(asked?.message).toContain('rhoai-upgrade-backup/llamastack/<namespace>/<name>/');
    expect(existsSync(join(dir, 'rhoai-upgrade-backup', 'llamastack', ns, 'custom', 'run.yaml'))).toBe(true);
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
    await orchestrator('empty', {});
    await orchestrator('no-exporter');
    // The orchestrator Deployment as the operator makes it (controllers/gorch/templates/deployment.tmpl.yaml):
    // container <name> without a readiness probe, and a sidecar. No deployment controller runs here;
    // rollout() plays its part.
    await kube.create({
      ...DEPLOYMENT,
      metadata: { name: 'single', namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'single' } },
        template: {
          metadata: { labels: { app: 'single' } },
          spec: { containers: [{ name: 'single', image: 'quay.io/trustyai/fms-guardrails-orchestr8:latest' }, { name: 'kube-rbac-proxy', image: 'quay.io/brancz/kube-rbac-proxy:v0.18.0' }] },
        },
      },
    });
    await rollout(ns, 'single');
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
    // Nothing maps from {otlpExport: none}: its 2.25 keys stay, untouched, up to the upgrade. Only
    // an empty exporter, which holds nothing, goes.
    expect(exporterOf(await get(GORCH, ns, 'nothing-maps'))).toEqual({ otlpExport: 'none' });
    expect(parkedOf(await get(GORCH, ns, 'nothing-maps'))).toEqual({});
    expect(exporterOf(await get(GORCH, ns, 'empty'))).toBeUndefined();
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

    // The orchestrator Deployment rolls out once the probe is in (the deployment controller's part).
    const [after] = await Promise.all([run('after/trustyai.yaml', dir), rolloutWhenChanged(ns, 'single')]);
    expect(after.code, why(after)).toBe(0);
    const expected: Record<string, unknown> = {
      single: { otlpProtocol: 'grpc', otlpTracesEndpoint: 'otel-collector.trusty.svc:4317', otlpMetricsEndpoint: 'otel-collector.trusty.svc:4317', enableTraces: true },
      // One protocol in 3.3: the traces one wins.
      split: { otlpProtocol: 'http/protobuf', otlpTracesEndpoint: 'http://tempo.trusty.svc:4318/v1/traces', otlpMetricsEndpoint: 'prometheus.trusty.svc:4317', enableTraces: true, enableMetrics: true },
      'metrics-only': { otlpProtocol: 'grpc', otlpMetricsEndpoint: 'prometheus.trusty.svc:4317', enableMetrics: true },
      // What the 3.3 CRD left of {otlpExport: none}: nothing to migrate, nothing written.
      'nothing-maps': {},
      empty: undefined,
      'no-exporter': undefined,
    };
    for (const [name, exporter] of Object.entries(expected)) {
      const o = await get(GORCH, ns, name);
      expect(exporterOf(o), name).toEqual(exporter);
      expect(parkedOf(o), name).toEqual({});
    }

    // The orchestrator container has the probe patch-guardrails-deployment.sh gives it; the sidecar is untouched.
    const containers = ((await get(DEPLOYMENT, ns, 'single')).spec as { template: { spec: { containers: { name: string; readinessProbe?: unknown }[] } } }).template.spec.containers;
    expect(containers.find((c) => c.name === 'single')?.readinessProbe).toEqual({
      httpGet: { path: '/health', port: 8034, scheme: 'HTTP' },
      initialDelaySeconds: 10,
      timeoutSeconds: 10,
      periodSeconds: 20,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(containers.find((c) => c.name === 'kube-rbac-proxy')?.readinessProbe).toBeUndefined();

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

describe('GPU deadlock: a predictor pod Running and one Pending for one InferenceService', () => {
  const ns = 'models';
  const ISVC = 'serving.kserve.io/inferenceservice';
  const FIX = ['--only', 'after/trustyai/gpu-deadlock', '--only', 'after/trustyai/gpu-deadlock-found', '--only', 'after/trustyai/gpu-deadlock-fix'];
  const exists = async (name: string) => (await kube.get({ ...POD, namespace: ns, name })) !== null;

  /** A predictor pod as KServe's ReplicaSet makes it, with the status the kubelet and scheduler wrote. */
  async function predictor(name: string, isvc: string, status: Record<string, unknown>): Promise<void> {
    await kube.create({
      ...POD,
      metadata: { name, namespace: ns, labels: { component: 'predictor', [ISVC]: isvc, app: `isvc.${isvc}-predictor` } },
      spec: { containers: [{ name: 'kserve-container', image: 'registry.redhat.io/rhaiis/vllm-cuda-rhel9:3.2.2', resources: { limits: { 'nvidia.com/gpu': '1' } } }] },
    });
    await kube.patch({ ...POD, namespace: ns, name }, 'merge', { status }, { subresource: 'status' });
  }
  const running = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'kserve-container', ready: true, restartCount: 0, image: 'x', imageID: '', state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }] };
  const pending = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.' }] };

  beforeAll(async () => {
    await namespace(ns);
    await predictor('llm-predictor-5d9c7b6f4-old01', 'llm', running);
    await predictor('llm-predictor-7f8b9c5d6-new02', 'llm', pending);
    // Another model serving normally: one Running pod, no deadlock.
    await predictor('embed-predictor-6c4d8f7b9-aaa11', 'embed', running);
  }, 120_000);

  it('the assessment names the InferenceService and both pods', { timeout: 120_000 }, async () => {
    const assess = await run('assess/trustyai.yaml', scratchDir('runbook-gpu'), ['--only', 'assess/trustyai/gpu-deadlock', '--only', 'assess/trustyai/gpu-deadlock-found']);
    expect(assess.code, why(assess)).toBe(0);
    const found = assess.findings.find((f) => f.check === 'gpu-deadlock');
    expect(found?.severity).toBe('warning');
    expect(found?.objects).toEqual([`InferenceService ${ns}/llm`]);
    expect(found?.message).toContain('llm-predictor-5d9c7b6f4-old01 Running');
    expect(found?.message).toContain('llm-predictor-7f8b9c5d6-new02 Pending');
  });

  it('after the upgrade the fix waits at its gate; passed, the Running pod goes and the Pending one is waited for', { timeout: 300_000 }, async () => {
    const dir = scratchDir('runbook-gpu');
    const held = await run('after/trustyai.yaml', dir, FIX, false);
    expect(held.code, why(held)).toBe(4);
    const asked = held.events.find((e) => e.type === 'approval:required') as { message: string } | undefined;
    expect(asked?.message).toContain('Delete llm-predictor-5d9c7b6f4-old01 so llm-predictor-7f8b9c5d6-new02 can start?');
    expect(await exists('llm-predictor-5d9c7b6f4-old01')).toBe(true);

    // Once the old pod is gone the scheduler gives its GPU to the new one (played here).
    const newPodStarts = (async () => {
      await eventually('the old predictor pod is deleted', async () => !(await exists('llm-predictor-5d9c7b6f4-old01')), { timeoutMs: 200_000, intervalMs: 200 });
      await kube.patch({ ...POD, namespace: ns, name: 'llm-predictor-7f8b9c5d6-new02' }, 'merge', { status: running }, { subresource: 'status' });
    })();
    const [fixed] = await Promise.all([run('after/trustyai.yaml', dir, FIX), newPodStarts]);
    expect(fixed.code, why(fixed)).toBe(0);
    expect(await exists('llm-predictor-7f8b9c5d6-new02')).toBe(true);
    expect(await exists('embed-predictor-6c4d8f7b9-aaa11')).toBe(true);

    const again = await run('after/trustyai.yaml', dir, FIX);
    expect(again.code, why(again)).toBe(0);
    expect(again.findings.filter((f) => f.check === 'gpu-deadlock')).toEqual([]);
    expect(again.summary?.apiCalls?.writes).toBe(0);
  });
});

describe('TrustyAIService: scheduled metrics through the Route, database credentials never shown', () => {
  const ns = 'trusty-data';
  const TAS = { apiVersion: 'trustyai.opendatahub.io/v1', kind: 'TrustyAIService' } as const;
  // A loopback address of its own, port 443: the runbook calls https://<Route host>/... as
  // backup-metrics.sh does, and the Route's host is this address.
  const HOST = '127.0.0.3';
  const TOKEN = 'sha256~route-token-for-the-test';
  const PASSWORD = 'Pa55-w0rd-n3ver-sh0wn';
  const request = (metricName: string, modelId: string, extra: Record<string, unknown> = {}) => ({ metricName, modelId, requestName: `${metricName}-${modelId}`, batchSize: 5000, ...extra });
  const spd = request('SPD', 'model-a', { protectedAttribute: 'age', privilegedAttribute: { type: 'INT32', value: 1 }, unprivilegedAttribute: { type: 'INT32', value: 0 }, outcomeName: 'approved', favorableOutcome: { type: 'INT32', value: 1 } });
  const meanshift = request('MEANSHIFT', 'model-b', { referenceTag: 'TRAINING', fitColumns: ['income', 'age'] });
  const odd = request('unknownmetric', 'model-c');
  // What the TrustyAI service holds: its scheduled metrics, whether it is ready, what was posted.
  const service = { requests: [] as { id: string; request: Record<string, unknown> }[], ready: true, posted: [] as { path: string; body: unknown }[], unauthorized: 0 };
  let server: Server;
  let dir: string;
  let stateDir: string;
  let wrapper: string;

  beforeAll(async () => {
    const tls = selfSignedCertificate('trustyai-service');
    server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const answer = (status: number, value: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        if (req.headers.authorization !== `Bearer ${TOKEN}`) {
          service.unauthorized++;
          return answer(403, { message: 'forbidden' });
        }
        if (req.method === 'GET' && req.url === '/q/health/ready') return answer(service.ready ? 200 : 503, { status: service.ready ? 'UP' : 'DOWN', checks: [] });
        if (req.method === 'GET' && req.url === '/metrics/all/requests') return answer(200, { requests: service.requests });
        if (req.method === 'POST' && req.url?.endsWith('/request')) {
          const parsed = JSON.parse(body) as Record<string, unknown>;
          service.posted.push({ path: req.url, body: parsed });
          const id = `new-${service.posted.length}`;
          service.requests.push({ id, request: parsed });
          return answer(200, { requestId: id, timestamp: '2026-01-01T00:00:00Z' });
        }
        return answer(404, { message: `no ${req.method} ${req.url}` });
      });
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(443, HOST, () => resolve()));

    await namespace(ns);
    const tas = (name: string, storage: Record<string, unknown>) => kube.create({ ...TAS, metadata: { name, namespace: ns }, spec: { storage, metrics: { schedule: '5s' } } });
    await tas('tas-metrics', { format: 'PVC', folder: '/inputs', size: '1Gi' });
    await tas('tas-db', { format: 'DATABASE', databaseConfigurations: 'tas-db-credentials' });
    // The operator's Route: named like the service, labelled trustyai-service-name (route.tmpl.yaml).
    await kube.create({ apiVersion: 'route.openshift.io/v1', kind: 'Route', metadata: { name: 'tas-metrics', namespace: ns, labels: { 'trustyai-service-name': 'tas-metrics' } }, spec: { host: HOST, to: { kind: 'Service', name: 'tas-metrics-tls' } } });
    // Credentials without a database name: found, not usable.
    await kube.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tas-db-credentials', namespace: ns }, stringData: { databaseKind: 'mariadb', databaseUsername: 'trusty', databasePassword: PASSWORD, databaseService: 'mariadb-tas-db', databasePort: '3306' } });
    service.requests = [
      { id: 'a1b2', request: spd },
      { id: 'c3d4', request: meanshift },
      { id: 'e5f6', request: odd },
    ];

    // The two TrustyAI sections of the upgrade in one run, the operator upgrade a gate between them.
    dir = mkdtempSync(join(tmpdir(), 'runbook-trusty-data-'));
    stateDir = join(dir, 'state');
    wrapper = join(dir, 'trustyai-upgrade.yaml');
    writeFileSync(wrapper, [
      'apiVersion: runbook.dev/v1',
      'kind: Runbook',
      'metadata: { name: trustyai-upgrade }',
      'vars:',
      '  trustyaiToken: { secret: true }',
      '  trustyaiInsecureSkipTLSVerify: { type: boolean, default: false }',
      'sections:',
      '  - name: before',
      `    steps: [{ name: TrustyAI, import: ${join(RUNBOOKS, 'before/trustyai.yaml')} }]`,
      '  - name: during',
      '    steps: [{ name: The operator upgrade, id: upgrade, confirm: { message: The operator is upgraded now. } }]',
      '  - name: after',
      `    steps: [{ name: TrustyAI, import: ${join(RUNBOOKS, 'after/trustyai.yaml')} }]`,
      '',
    ].join('\n'));
  }, 120_000);
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (args: string[], gates: boolean): Promise<CliRun> =>
    runCli([...args, '--kubeconfig', controlPlane.kubeconfigPath, '--state-dir', stateDir, ...(gates ? ['--yes'] : []), '-o', 'json'], { cwd: dir, env: { RUNBOOK_VAR_trustyaiToken: TOKEN } });

  /** Every file under a folder, recursively, with its text. */
  const texts = (root: string): string[] => (existsSync(root) ? readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => readFileSync(join(e.parentPath, e.name), 'utf8')) : []);

  it('backs up the scheduled metrics, restores the missing ones after the upgrade, and never shows the database password', { timeout: 600_000 }, async () => {
    const before = await cli(['run', wrapper, '--var', 'trustyaiInsecureSkipTLSVerify=true'], false);
    expect(before.code, why(before)).toBe(4);
    expect((before.events.find((e) => e.type === 'approval:required') as { id: string } | undefined)?.id).toBe('upgrade');
    const runId = before.summary!.runId;

    // backup-metrics.sh's file: what GET /metrics/all/requests answered.
    const backup = join(dir, 'rhoai-upgrade-backup', 'trustyai', ns);
    expect(JSON.parse(readFileSync(join(backup, 'tas-metrics', 'metrics.json'), 'utf8'))).toEqual({ requests: service.requests });
    expect(statSync(join(backup, 'tas-metrics', 'metrics.json')).mode & 0o777).toBe(0o600);
    const byCheck = (r: CliRun, check: string) => r.findings.filter((f) => f.check === check).flatMap((f) => f.objects ?? []);
    // No pod for the PVC service here, credentials without a database name for the other: both named, neither fatal.
    expect(byCheck(before, 'trustyai-backup-no-pod')).toEqual([`TrustyAIService ${ns}/tas-metrics`]);
    expect(byCheck(before, 'trustyai-backup-database')).toEqual([`TrustyAIService ${ns}/tas-db`]);
    expect(byCheck(before, 'trustyai-backup-metrics-skipped')).toEqual([`TrustyAIService ${ns}/tas-db`]);
    expect(existsSync(join(backup, 'tas-db', 'dump.sql'))).toBe(false);

    // The upgrade: the service starts without its scheduled metrics but one, and is not ready yet.
    service.requests = [{ id: 'z9', request: spd }];
    service.ready = false;
    const held = await cli(['resume', runId, '--approve', 'upgrade'], false);
    expect(held.code, why(held)).toBe(4);
    const asked = held.events.find((e) => e.type === 'approval:required') as { message: string } | undefined;
    expect(asked?.message).toContain(`TrustyAIService ${ns}/tas-metrics is not ready (/q/health/ready answered 503)`);
    expect(service.posted).toEqual([]);

    const after = await cli(['resume', runId], true);
    expect(after.code, why(after)).toBe(0);
    // Only the missing metric is posted, to the endpoint of its type; the one of an unknown type is named.
    expect(service.posted).toEqual([{ path: '/metrics/drift/meanshift/request', body: meanshift }]);
    expect(after.findings.find((f) => f.check === 'trustyai-restore-metrics-unknown')?.message).toContain('unknownmetric for model model-c');
    expect(service.unauthorized).toBe(0);

    // The password of the database Secret is nowhere: not in the output, the run state, the backups.
    const encoded = Buffer.from(PASSWORD).toString('base64');
    for (const r of [before, held, after]) for (const form of [PASSWORD, encoded]) expect(r.stdout + r.stderr).not.toContain(form);
    for (const text of [...texts(stateDir), ...texts(join(dir, 'rhoai-upgrade-backup'))]) for (const form of [PASSWORD, encoded]) expect(text).not.toContain(form);
    // Nor the token.
    for (const text of [...texts(stateDir), before.stdout, after.stdout]) expect(text).not.toContain(TOKEN);
  });
});
