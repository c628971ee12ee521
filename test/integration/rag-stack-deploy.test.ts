// The RAG stack runbooks (guide 003) on a sandbox of the `rag` scenario (Stage 0 and Stage 1 in
// place), through the built CLI and in process: the deployment and its verification end to end, a
// second run that writes nothing, the verification failing with the guide's root cause and fix
// when a Secret is missing, the anyuid SCC is not granted or the mesh label is absent, the upgrade's
// assessment recognising the stack, and no Secret value anywhere in the output, state or report.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/cli/services.js';
import { formatProblem } from '../../src/contract/errors.js';
import type { Finding } from '../../src/contract/findings.js';
import { Executor } from '../../src/engine/executor.js';
import { Redactor } from '../../src/contract/redact.js';
import { StateStore, newRunState, type RunState } from '../../src/engine/state.js';
import { KubeClient } from '../../src/kube/client.js';
import { statusCodeOf } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/types.js';
import { loadRunbook } from '../../src/runbook/loader.js';
import { resolveVars } from '../../src/runbook/vars.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { connectRules } from '../../src/steps/http-routing.js';
import { builtinRegistry } from '../../src/steps/index.js';
import { ROOT, ensureBuilt, removeBuiltCopy, runCli, summaryOf, tempDir, varFlags, type CliRun } from '../fixtures/conversion/harness.js';
import { startTestSandbox } from './support/sandbox.js';

const DEPLOY = join(ROOT, 'runbooks/rag-stack/deploy.yaml');
const VERIFY = join(ROOT, 'runbooks/rag-stack/verify.yaml');
const ASSESS = join(ROOT, 'runbooks/rhoai-2.25-to-3.3/assess/rag-stack.yaml');
const NS = 'private-ai-demo';
const DSPA_KEYS = { dspaMinioAccessKey: 'dspa-access-Kq81x', dspaMinioSecretKey: 'dspa-secret-Wd02m' };
/** Every secret value the scenario and the vars hold, as text and as base64. */
const SECRET_VALUES = [
  'sandbox-minio-access-7q2k',
  'sandbox-minio-secret-z9xk4w',
  'sandbox-pull-token-4f9a',
  DSPA_KEYS.dspaMinioAccessKey,
  DSPA_KEYS.dspaMinioSecretKey,
].flatMap((v) => [v, Buffer.from(v).toString('base64').replace(/=+$/, '')]);
const SECRET = { apiVersion: 'v1', kind: 'Secret' } as const;
const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
const LLAMA_PODS = 'app=llama-stack,app.kubernetes.io/instance=llama-stack';

let sandbox: Sandbox;
let kube: KubeClient;
let kubeconfig: string;

beforeAll(async () => {
  ensureBuilt();
  sandbox = await startTestSandbox({ scenario: 'rag' });
  kubeconfig = sandbox.kubeconfigPath;
  kube = KubeClient.load({ kubeconfig, env: {} });
}, 600_000);

afterAll(async () => {
  removeBuiltCopy();
  await sandbox?.stop();
});

/** Runs a runbook through the CLI against the sandbox (its endpoints and CA), in a folder of its own. */
async function cli(file: string, vars: Record<string, unknown>): Promise<{ run: CliRun; dir: string }> {
  const dir = await tempDir('rag-stack-');
  const run = await runCli(
    ['run', file, '--kubeconfig', kubeconfig, '--state-dir', join(dir, 'state'), '--connect-to', sandbox.http.connectTo, '--cacert', sandbox.http.caFile, ...varFlags(vars)],
    { cwd: dir },
  );
  return { run, dir };
}

const findingsOf = (run: CliRun): Finding[] => run.events.flatMap((e) => (e.type === 'finding' ? [e.finding] : []));

/** Every file under a folder, as text. */
function readAll(dir: string): string {
  let text = '';
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    text += statSync(path).isDirectory() ? readAll(path) : readFileSync(path, 'utf8');
  }
  return text;
}

/** Runs a runbook in this process as `runbook run --yes` does, counting the API writes of its client. */
async function inProcess(file: string, given: Record<string, unknown>): Promise<{ status: string; writes: number; findings: Finding[] }> {
  const registry = builtinRegistry();
  const loaded = await loadRunbook(file, { registry, provided: given });
  if (!loaded.plan) throw new Error(loaded.problems.map(formatProblem).join('\n'));
  const resolved = resolveVars(loaded.plan, given);
  if (!resolved.vars || resolved.problems.length) throw new Error(resolved.problems.map(formatProblem).join('\n'));
  const client = KubeClient.load({ kubeconfig, env: {} });
  const dir = await tempDir('rag-stack-state-');
  const redactor = new Redactor(resolved.vars.secrets);
  const store = new StateStore(dir, redactor, false);
  const state: RunState = newRunState({ runbook: loaded.plan, runId: 'in-process' });
  const before = client.stats.writes;
  const summary = await new Executor({
    plan: loaded.plan,
    registry,
    vars: resolved.vars,
    state,
    store,
    runDir: await store.prepare(state.runId),
    dryRun: 'none',
    services: { kube: client, http: { connectTo: connectRules([sandbox.http.connectTo], ''), extraCa: [readFileSync(sandbox.http.caFile, 'utf8')] } },
    signal: new AbortController().signal,
    approvals: { all: true, ids: new Set() },
    selection: { only: [], skip: [] },
    redactor,
    onEvent: () => undefined,
  }).run();
  return { status: summary.status, writes: client.stats.writes - before, findings: state.findings };
}

const dataOf = (o: KubeObject | null): Record<string, string> => ((o as { data?: Record<string, string> } | null)?.data ?? {});
const llamaPods = async (): Promise<KubeObject[]> => (await kube.list({ ...POD, namespace: NS }, { labelSelector: LLAMA_PODS })).items.filter((p) => !p.metadata.deletionTimestamp);
const running = (p: KubeObject): boolean => (p.status as { phase?: string } | undefined)?.phase === 'Running';
const containersOf = (p: KubeObject): string[] => ((p.spec as { containers: { name: string }[] }).containers ?? []).map((c) => c.name);

/** Polls until `test` holds; fails with `what`. The operator recreates a deleted pod on its resync (30 s). */
async function eventually(what: string, test: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('deploy and verify', () => {
  let deploy: { run: CliRun; dir: string };

  beforeAll(async () => {
    deploy = await cli(DEPLOY, { ...DSPA_KEYS, enableLlamaStack: true, verifyTimeout: '90s' });
  }, 300_000);

  it('deploys the whole stack and its verification passes', async () => {
    const { run } = deploy;
    expect(run.code, run.stderr).toBe(0);
    expect(summaryOf(run)?.findings).toMatchObject({ prohibited: 0, critical: 0 });
    // The sandbox's MinIO pod has neither a shell nor mc: each bucket is left as a named follow-up.
    expect(findingsOf(run).map((f) => [f.check, f.severity])).toEqual([
      ['rag-minio-bucket', 'warning'],
      ['rag-minio-bucket', 'warning'],
    ]);

    // The Secrets, copied byte for byte from their sources.
    const pull = await kube.get({ ...SECRET, name: 'redhat-pull-secret', namespace: NS });
    const source = await kube.get({ ...SECRET, name: 'pull-secret', namespace: 'openshift-config' });
    expect((pull as { type?: string }).type).toBe('kubernetes.io/dockerconfigjson');
    expect(dataOf(pull)).toEqual(dataOf(source));
    const files = await kube.get({ ...SECRET, name: 'llama-files-credentials', namespace: NS });
    expect(dataOf(files)).toEqual(dataOf(await kube.get({ ...SECRET, name: 'minio-credentials', namespace: 'model-storage' })));
    const dspa = await kube.get({ ...SECRET, name: 'dspa-minio-credentials', namespace: NS });
    expect(Object.fromEntries(Object.entries(dataOf(dspa)).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]))).toEqual({
      accesskey: DSPA_KEYS.dspaMinioAccessKey,
      secretkey: DSPA_KEYS.dspaMinioSecretKey,
    });

    // The grants and the label, the DSC patched.
    const binding = await kube.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', name: 'rag-workload-sa-anyuid', namespace: NS });
    expect(binding).toMatchObject({ roleRef: { kind: 'ClusterRole', name: 'system:openshift:scc:anyuid' }, subjects: [{ kind: 'ServiceAccount', name: 'rag-workload-sa', namespace: NS }] });
    expect((await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: NS }))?.metadata.labels?.['istio.io/rev']).toBe('data-science-smcp');
    const dsc = await kube.get({ apiVersion: 'datasciencecluster.opendatahub.io/v1', kind: 'DataScienceCluster', name: 'default-dsc' });
    expect((dsc?.spec as { components: { llamastackoperator: { managementState: string } } }).components.llamastackoperator.managementState).toBe('Managed');

    // The configuration names the models by their status.url, Milvus by the namespace.
    const runYaml = dataOf(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'llamastack-config', namespace: NS }))['run.yaml'] ?? '';
    expect(runYaml).toContain('url: "https://mistral-24b-quantized-private-ai-demo.apps.sandbox.example.com/v1"');
    expect(runYaml).toContain('url: "https://mistral-24b-private-ai-demo.apps.sandbox.example.com/v1"');
    expect(runYaml).toContain('uri: "tcp://milvus-standalone.private-ai-demo.svc.cluster.local:19530"');
    const route = await kube.get({ apiVersion: 'route.openshift.io/v1', kind: 'Route', name: 'llamastack', namespace: NS });
    expect((route?.spec as { host: string }).host).toBe('llamastack-private-ai-demo.apps.sandbox.example.com');

    // PVCs Bound to provisioned volumes; Llama Stack 2/2 with its sidecar; Docling available.
    for (const name of ['llama-stack-data', 'milvus-data']) {
      const pvc = await kube.get({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', name, namespace: NS });
      expect((pvc?.status as { phase: string }).phase, name).toBe('Bound');
      const pv = await kube.get({ apiVersion: 'v1', kind: 'PersistentVolume', name: (pvc?.spec as { volumeName: string }).volumeName });
      expect((pv?.spec as { claimRef: { name: string } }).claimRef.name).toBe(name);
    }
    const pods = await llamaPods();
    expect(pods).toHaveLength(1);
    expect(running(pods[0]!)).toBe(true);
    expect(containersOf(pods[0]!).sort()).toEqual(['istio-proxy', 'llamastack']);
    expect(pods[0]!.metadata.annotations?.['sidecar.istio.io/status']).toContain('istio-proxy');
    expect(pods[0]!.metadata.annotations?.['openshift.io/scc']).toBe('anyuid');
    const docling = await kube.get({ apiVersion: 'docling.github.io/v1alpha1', kind: 'DoclingServe', name: 'docling', namespace: NS });
    expect((docling?.status as { conditions: { type: string; status: string }[] }).conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'DeploymentAvailable', status: 'True' }), expect.objectContaining({ type: 'RouteCreated', reason: 'RouteDisabled' })]),
    );

    // The checks really called the endpoints.
    const asked = sandbox.simulator.endpoints.requests.map((r) => `${r.method} ${r.host}${r.path} ${r.status}`);
    expect(asked).toEqual(
      expect.arrayContaining([
        'GET llamastack-private-ai-demo.apps.sandbox.example.com/v1/models 200',
        'POST llamastack-private-ai-demo.apps.sandbox.example.com/v1/inference/embeddings 200',
        'GET mistral-24b-quantized-private-ai-demo.apps.sandbox.example.com/v1/models 200',
      ]),
    );
  });

  it('shows no Secret value in its output, state or report', () => {
    const output = JSON.stringify(deploy.run.events) + deploy.run.stderr + readAll(deploy.dir);
    expect(output).toContain('dspa-minio-credentials');
    for (const value of SECRET_VALUES) expect(output, value).not.toContain(value);
  });

  it('a second run finds everything in place and writes nothing', async () => {
    const again = await inProcess(DEPLOY, { ...DSPA_KEYS, enableLlamaStack: true });
    expect(again.findings.filter((f) => f.severity === 'critical')).toEqual([]);
    expect(again.writes).toBe(0);
  }, 300_000);
});

describe("verify fails with the guide's root cause and fix", () => {
  const verify = (vars: Record<string, unknown> = {}) => cli(VERIFY, { verifyTimeout: '10s', embeddingTimeout: '10s', ...vars });
  const restore = async () => {
    const { run } = await cli(DEPLOY, { ...DSPA_KEYS, verifyTimeout: '90s' });
    expect(summaryOf(run)?.findings.critical, run.stderr).toBe(0);
  };

  it('when a Secret is missing', async () => {
    await kube.delete({ ...SECRET, name: 'dspa-minio-credentials', namespace: NS });
    const { run } = await verify();
    expect(run.code).toBe(3);
    const finding = findingsOf(run).find((f) => f.check === 'rag-secret-dspa');
    expect(finding).toMatchObject({ severity: 'critical', objects: [`Secret ${NS}/dspa-minio-credentials`] });
    expect(finding?.message).toContain('the deployment did not run, or stopped at its secrets step');
    expect(finding?.remediation).toContain('runbooks/rag-stack/deploy.yaml again');
    expect(findingsOf(run).map((f) => f.check)).toEqual(['rag-secret-dspa']);
    await restore();
  }, 300_000);

  it('when the anyuid SCC is not granted: the pod is refused', async () => {
    await kube.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', name: 'rag-workload-sa-anyuid', namespace: NS });
    for (const p of await llamaPods()) await kube.delete({ ...POD, name: p.metadata.name!, namespace: NS });
    // What the operator's next pod meets: OpenShift's SCC admission refuses fsGroup 0.
    const refused = await kube
      .create({ apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'llama-stack-', namespace: NS, labels: { app: 'llama-stack', 'app.kubernetes.io/instance': 'llama-stack' } }, spec: { containers: [{ name: 'llamastack', image: 'x' }] } })
      .then(() => 'created', (err: unknown) => `${statusCodeOf(err)} ${(err as Error).message}`);
    expect(refused).toMatch(/^403 .*unable to validate against any security context constraint/);
    const { run } = await verify();
    expect(run.code).toBe(3);
    const checks = Object.fromEntries(findingsOf(run).map((f) => [f.check, f]));
    expect(checks['rag-scc-anyuid']?.message).toContain('the Llama Stack operator gives its pod fsGroup 0');
    expect(checks['rag-scc-anyuid']?.remediation).toContain(`oc adm policy add-scc-to-user anyuid -z rag-workload-sa -n ${NS}`);
    expect(checks['rag-llama-stack-pod']?.message).toContain('anyuid');
    expect(await llamaPods()).toEqual([]);
    await cli(DEPLOY, { ...DSPA_KEYS, verifyTimeout: '1s' });
    await eventually('the Llama Stack pod back', async () => (await llamaPods()).some(running));
    const { run: again } = await verify();
    expect(findingsOf(again)).toEqual([]);
  }, 400_000);

  it('when the mesh label is absent: the pod has no sidecar and Llama Stack loses vLLM', async () => {
    await kube.patch({ apiVersion: 'v1', kind: 'Namespace', name: NS }, 'merge', { metadata: { labels: { 'istio.io/rev': null } } });
    for (const p of await llamaPods()) await kube.delete({ ...POD, name: p.metadata.name!, namespace: NS });
    await eventually('a Llama Stack pod without its sidecar', async () => (await llamaPods()).some((p) => running(p) && !containersOf(p).includes('istio-proxy')));
    const { run } = await verify();
    expect(run.code).toBe(3);
    const checks = Object.fromEntries(findingsOf(run).map((f) => [f.check, f]));
    expect(Object.keys(checks).sort()).toEqual(['rag-llama-stack-vllm', 'rag-mesh-label', 'rag-sidecar']);
    expect(checks['rag-mesh-label']?.remediation).toContain(`oc label namespace ${NS} istio.io/rev=data-science-smcp --overwrite`);
    expect(checks['rag-sidecar']?.message).toContain('without the istio-proxy sidecar');
    expect(checks['rag-sidecar']?.remediation).toContain(`oc delete pod -l app=llama-stack -n ${NS}`);
    expect(checks['rag-llama-stack-vllm']?.message).toContain('the istio-proxy sidecar missing');

    // The guide's fix: label, then recreate the pod.
    await cli(DEPLOY, { ...DSPA_KEYS, verifyTimeout: '1s' });
    for (const p of await llamaPods()) await kube.delete({ ...POD, name: p.metadata.name!, namespace: NS });
    await eventually('the Llama Stack pod back with its sidecar', async () => (await llamaPods()).some((p) => running(p) && containersOf(p).includes('istio-proxy')));
    const { run: again } = await verify();
    expect(findingsOf(again)).toEqual([]);
  }, 400_000);
});

describe("the upgrade's assessment", () => {
  it('recognises the stack and says what the upgrade removes under it', async () => {
    const { run } = await cli(ASSESS, {});
    const found = findingsOf(run).map((f) => [f.check, f.severity, f.objects]);
    expect(found).toEqual([
      ['rag-stack-knative-models', 'critical', [`LlamaStackDistribution ${NS}/llama-stack`]],
      ['rag-stack-mesh-sidecar', 'warning', [`LlamaStackDistribution ${NS}/llama-stack`]],
    ]);
    const knative = findingsOf(run)[0]!;
    expect(knative.message).toContain('uninstalls OpenShift Serverless and Service Mesh 2');
    expect(knative.message).toContain(`${NS}/mistral-24b-quantized`);
  }, 120_000);
});
