// The Serverless → RawDeployment runbook on a sandbox of the full scenario, through the built CLI:
// the dry run's files, side by side (-raw) and in place (original names), a re-run that writes
// nothing, a kill after the first InferenceService and a resume that converts each one once, a new
// InferenceService that never becomes Ready (the original stays, or comes back from the export),
// an endpoint probe that gates the deletion; a cluster-local model stays cluster-local (label or
// annotation) while an exposed one stays exposed; authentication objects are found by their owner
// whatever their names, copied with their custom rules, and a token is issued only where there was one.
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { until } from './support/sandbox.js';
import {
  FIXTURES,
  ISVC,
  ROUTE,
  RUNTIME,
  SERVERLESS,
  copyServerlessModel,
  ensureBuilt,
  removeBuiltCopy,
  isReady,
  modeOf,
  readTree,
  resultsOf,
  runCli,
  runInProcess,
  summaryOf,
  tempDir,
  varFlags,
} from '../fixtures/conversion/harness.js';

let sandbox: Sandbox;
let kubeconfig: string;
let kube: KubeClient;

beforeAll(async () => {
  ensureBuilt();
  sandbox = await startSandbox({ scenario: 'full' });
  kubeconfig = sandbox.controlPlane.kubeconfigPath;
  kube = KubeClient.load({ kubeconfig, env: {} });
}, 600_000);

afterAll(async () => {
  removeBuiltCopy();
  await sandbox?.stop();
});

const get = (ref: { apiVersion: string; kind: string }, name: string, namespace: string) => kube.get({ ...ref, name, namespace });

/** Runs `runbook run serverless-to-raw.yaml` with these vars, state and files in a folder of its own. */
async function convert(vars: Record<string, unknown>, o: { dir?: string; extra?: string[]; onEvent?: Parameters<typeof runCli>[1]['onEvent'] } = {}) {
  const dir = o.dir ?? (await tempDir('s2r-'));
  const run = await runCli(['run', SERVERLESS, '--kubeconfig', kubeconfig, '--state-dir', join(dir, 'state'), ...varFlags({ outputDir: join(dir, 'files'), ...vars }), ...(o.extra ?? [])], {
    cwd: dir,
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
  });
  return { run, dir, files: join(dir, 'files') };
}

async function resume(dir: string) {
  return runCli(['resume', '--kubeconfig', kubeconfig, '--state-dir', join(dir, 'state')], { cwd: dir });
}

function expectOwnedBy(obj: KubeObject | null, owner: KubeObject): void {
  expect(obj, 'auth object').not.toBeNull();
  expect(obj!.metadata.ownerReferences).toEqual([
    { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', name: owner.metadata.name, uid: owner.metadata.uid, blockOwnerDeletion: false },
  ]);
}

/** Every ADDED and DELETED event of InferenceServices in `namespace` from now until `stop()`. */
async function recordInferenceServices(namespace: string): Promise<{ stop(): { type: string; name: string }[] }> {
  const list = await kube.list({ ...ISVC, namespace });
  const seen: { type: string; name: string }[] = [];
  const controller = new AbortController();
  void (async () => {
    try {
      for await (const e of kube.watch({ ...ISVC, namespace }, { resourceVersion: list.metadata.resourceVersion, signal: controller.signal })) {
        if (e.type === 'ADDED' || e.type === 'DELETED') seen.push({ type: e.type, name: e.object.metadata.name! });
      }
    } catch {
      /* stopped */
    }
  })();
  return {
    stop() {
      controller.abort();
      return seen;
    },
  };
}

describe('dry run', () => {
  it('writes original/, raw/ and raw-original-names/ as the guide lays them out, and applies nothing', async () => {
    const before = await get(ISVC, 'granite-chat', 'ml-team');
    const { run, files } = await convert({ namespace: 'ml-team', dryRun: true });
    expect(run.code, run.stderr).toBe(0);

    const want = readTree(join(FIXTURES, 'serverless-dry-run'));
    const got = readTree(files);
    expect([...got.keys()]).toEqual([...want.keys()]);
    for (const [path, text] of want) expect(got.get(path), path).toBe(text);

    const after = await get(ISVC, 'granite-chat', 'ml-team');
    expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    expect(await get(ISVC, 'granite-chat-raw', 'ml-team')).toBeNull();
    expect(await get(RUNTIME, 'vllm-runtime-raw', 'ml-team')).toBeNull();
    expect(await get({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'granite-chat-raw-sa', 'ml-team')).toBeNull();
    expect(summaryOf(run)?.findings.critical).toBe(0);
  });

  it('runbook --dry-run writes the same files', async () => {
    const { run, files } = await convert({ namespace: 'ml-team' }, { extra: ['--dry-run'] });
    expect(run.code, run.stderr).toBe(0);
    const want = readTree(join(FIXTURES, 'serverless-dry-run'));
    expect(readTree(files)).toEqual(want);
    expect(await get(ISVC, 'granite-chat-raw', 'ml-team')).toBeNull();
    expect(modeOf(await get(ISVC, 'granite-chat', 'ml-team'))).toBe('Serverless');
  });
});

describe('side by side (-raw suffix)', () => {
  it("converts the full scenario's granite-chat: the -raw one Ready, cluster-local as it was, with its auth objects carried over; the old ones and the runtime gone", async () => {
    const old = await get(ISVC, 'granite-chat', 'ml-team');
    expect(modeOf(old)).toBe('Serverless');
    const { run, files } = await convert({ namespace: 'ml-team' });
    expect(run.code, run.stderr).toBe(0);
    expect(summaryOf(run)?.findings).toMatchObject({ critical: 0, prohibited: 0 });

    const raw = await get(ISVC, 'granite-chat-raw', 'ml-team');
    expect(isReady(raw)).toBe(true);
    expect(modeOf(raw)).toBe('RawDeployment');
    // Knative kept it inside the cluster (networking.knative.dev/visibility): no external Route now either.
    expect(raw!.metadata.labels).toEqual({ 'opendatahub.io/dashboard': 'true', 'networking.kserve.io/visibility': 'cluster-local' });
    expect(raw!.metadata.annotations).toEqual({
      'openshift.io/display-name': 'granite-chat-raw',
      'security.opendatahub.io/enable-auth': 'true',
      'serving.kserve.io/deploymentMode': 'RawDeployment',
    });
    expect((raw!.spec as { predictor: { model: { runtime: string } } }).predictor.model.runtime).toBe('vllm-runtime-raw');
    expect(await get(RUNTIME, 'vllm-runtime-raw', 'ml-team')).not.toBeNull();

    const sa = await get({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'granite-chat-raw-sa', 'ml-team');
    expectOwnedBy(sa, raw!);
    const role = await get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' }, 'granite-chat-raw-view-role', 'ml-team');
    expectOwnedBy(role, raw!);
    expect(role!.rules).toEqual([{ apiGroups: ['serving.kserve.io'], resources: ['inferenceservices'], resourceNames: ['granite-chat-raw'], verbs: ['get'] }]);
    expectOwnedBy(await get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' }, 'granite-chat-raw-view', 'ml-team'), raw!);
    // The old ServiceAccount had a token (display name chat-client): the new one gets one, named alike.
    const token = await get({ apiVersion: 'v1', kind: 'Secret' }, 'chat-client-granite-chat-raw-sa', 'ml-team');
    expectOwnedBy(token, raw!);
    expect(token!.type).toBe('kubernetes.io/service-account-token');
    expect(token!.metadata.annotations).toEqual({
      'kubernetes.io/service-account.name': 'granite-chat-raw-sa',
      'kubernetes.io/service-account.uid': sa!.metadata.uid,
      'openshift.io/display-name': 'chat-client',
    });

    expect(await get(ISVC, 'granite-chat', 'ml-team')).toBeNull();
    expect(await get(RUNTIME, 'vllm-runtime', 'ml-team')).toBeNull();
    for (const [kind, apiVersion, name] of [
      ['ServiceAccount', 'v1', 'granite-chat-sa'],
      ['Role', 'rbac.authorization.k8s.io/v1', 'granite-chat-view-role'],
      ['RoleBinding', 'rbac.authorization.k8s.io/v1', 'granite-chat-view'],
      ['Secret', 'v1', 'chat-client-granite-chat-sa'],
    ]) {
      expect(await get({ apiVersion: apiVersion!, kind: kind! }, name!, 'ml-team'), `${kind} ${name}`).toBeNull();
    }

    // The files are those of the dry run: the export and the version applied.
    const want = readTree(join(FIXTURES, 'serverless-dry-run'));
    const got = readTree(files);
    expect([...got.keys()]).toEqual([...want.keys()].filter((p) => !p.includes('/raw-original-names/')));
    for (const [path, text] of got) expect(text, path).toBe(want.get(path));
  });

  it('a second run finds nothing to convert and writes nothing', async () => {
    const dir = await tempDir('s2r-again-');
    const again = await runInProcess(SERVERLESS, { namespace: 'ml-team', outputDir: join(dir, 'files') }, kubeconfig);
    expect(again.summary.status).toBe('succeeded');
    expect(again.writes).toBe(0);
    expect(again.summary.counts.changed).toBe(0);
    expect(again.state.registered.s2rFound).toEqual([]);
  });

  it('kept side by side (deleteOriginal false), a re-run checks every step and writes nothing', async () => {
    await copyServerlessModel(kube, 'ml-keep');
    const dir = await tempDir('s2r-keep-');
    const vars = { namespace: 'ml-keep', deleteOriginal: false, outputDir: join(dir, 'files') };
    const first = await runInProcess(SERVERLESS, vars, kubeconfig);
    // The Serverless one is kept by choice: said, not blocking (the upgrade's own guard blocks on it).
    expect(first.summary.status).toBe('succeeded');
    expect(first.state.findings.map((f) => [f.check, f.severity, f.objects])).toEqual([['serverless-inferenceservices-left', 'warning', ['InferenceService ml-keep/granite-chat']]]);
    expect(first.writes).toBeGreaterThan(0);
    expect(isReady(await get(ISVC, 'granite-chat-raw', 'ml-keep'))).toBe(true);
    expect(modeOf(await get(ISVC, 'granite-chat', 'ml-keep'))).toBe('Serverless');

    const second = await runInProcess(SERVERLESS, vars, kubeconfig);
    expect(second.writes).toBe(0);
    expect(second.summary.counts.changed).toBe(0);
    const statuses = second.events.flatMap((e) => (e.type === 'node:end' && e.node.kind === 'step' ? [e.result.status] : []));
    expect(statuses.length).toBeGreaterThan(20);
    expect(new Set(statuses)).toEqual(new Set(['ok', 'skipped']));
  });
});

describe('exposure', () => {
  it('an exposed model stays exposed; one Knative kept inside the cluster by annotation stays cluster-local', async () => {
    await copyServerlessModel(kube, 'ml-vis', { extra: ['granite-ann'] });
    await kube.patch({ ...ISVC, name: 'granite-ann', namespace: 'ml-vis' }, 'merge', { metadata: { annotations: { 'networking.knative.dev/visibility': 'cluster-local' } } });
    const { run } = await convert({ namespace: 'ml-vis' });
    expect(run.code, run.stderr).toBe(0);
    expect((await get(ISVC, 'granite-chat-raw', 'ml-vis'))!.metadata.labels).toMatchObject({ 'networking.kserve.io/visibility': 'exposed' });
    const internal = (await get(ISVC, 'granite-ann-raw', 'ml-vis'))!;
    expect(internal.metadata.labels).toMatchObject({ 'networking.kserve.io/visibility': 'cluster-local' });
    expect(internal.metadata.annotations).not.toHaveProperty('networking.knative.dev/visibility');
  });
});

describe('authentication objects', () => {
  it('are found by their owner whatever their names, copied with custom rules, and get no token where they had none', async () => {
    await copyServerlessModel(kube, 'ml-owned');
    const old = (await get(ISVC, 'granite-chat', 'ml-owned'))!;
    const owner = [{ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', name: 'granite-chat', uid: old.metadata.uid }];
    const meta = (name: string) => ({ name, namespace: 'ml-owned', labels: { 'opendatahub.io/dashboard': 'true', team: 'fraud' }, ownerReferences: owner });
    const customRule = { apiGroups: [''], resources: ['configmaps'], resourceNames: ['model-card'], verbs: ['get'] };
    await kube.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('chat-client'), automountServiceAccountToken: false });
    await kube.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta('chat-reader'),
      rules: [{ apiGroups: ['serving.kserve.io'], resources: ['inferenceservices'], resourceNames: ['granite-chat'], verbs: ['get', 'list'] }, customRule],
    });
    await kube.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta('chat-reader-binding'),
      subjects: [{ kind: 'ServiceAccount', name: 'chat-client', namespace: 'ml-owned' }, { kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'chat-reader' },
    });

    const { run } = await convert({ namespace: 'ml-owned' });
    expect(run.code, run.stderr).toBe(0);
    const raw = (await get(ISVC, 'granite-chat-raw', 'ml-owned'))!;

    const sa = await get({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'granite-chat-raw-sa', 'ml-owned');
    expectOwnedBy(sa, raw);
    expect(sa!.metadata.labels).toEqual({ 'opendatahub.io/dashboard': 'true', team: 'fraud' });
    expect((sa as { automountServiceAccountToken?: boolean }).automountServiceAccountToken).toBe(false);
    const role = await get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' }, 'granite-chat-raw-view-role', 'ml-owned');
    expectOwnedBy(role, raw);
    expect(role!.rules).toEqual([{ apiGroups: ['serving.kserve.io'], resources: ['inferenceservices'], resourceNames: ['granite-chat-raw'], verbs: ['get', 'list'] }, customRule]);
    const binding = await get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' }, 'granite-chat-raw-view', 'ml-owned');
    expectOwnedBy(binding, raw);
    expect(binding!.subjects).toEqual([{ kind: 'ServiceAccount', name: 'granite-chat-raw-sa', namespace: 'ml-owned' }, { kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }]);
    expect(binding!.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'granite-chat-raw-view-role' });

    // No token before, none now; the old objects went with the old model.
    const secrets = (await kube.list({ apiVersion: 'v1', kind: 'Secret', namespace: 'ml-owned' })).items;
    expect(secrets.filter((x) => x.type === 'kubernetes.io/service-account-token')).toEqual([]);
    expect(await get({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'chat-client', 'ml-owned')).toBeNull();
    expect(await get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' }, 'chat-reader', 'ml-owned')).toBeNull();
    expect(await get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' }, 'chat-reader-binding', 'ml-owned')).toBeNull();
  });
});

describe('in place (original names)', () => {
  it('deletes the old InferenceService and its auth objects first, then creates the RawDeployment one under the same names', async () => {
    await copyServerlessModel(kube, 'ml-orig');
    const old = (await get(ISVC, 'granite-chat', 'ml-orig'))!;
    // The dashboard's auth objects for the old one, owned by it; the token has a display name.
    const owner = [{ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', name: 'granite-chat', uid: old.metadata.uid }];
    const meta = (name: string) => ({ name, namespace: 'ml-orig', labels: { 'opendatahub.io/dashboard': 'true' }, ownerReferences: owner });
    await kube.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('granite-chat-sa') });
    await kube.create({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta('granite-chat-view-role'), rules: [{ apiGroups: ['serving.kserve.io'], resources: ['inferenceservices'], resourceNames: ['granite-chat'], verbs: ['get'] }] });
    await kube.create({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta('granite-chat-view'), subjects: [{ kind: 'ServiceAccount', name: 'granite-chat-sa', namespace: 'ml-orig' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'granite-chat-view-role' } });
    await kube.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { ...meta('client-token-granite-chat-sa'), annotations: { 'kubernetes.io/service-account.name': 'granite-chat-sa', 'openshift.io/display-name': 'client-token' } },
      type: 'kubernetes.io/service-account-token',
    });

    const { run, files } = await convert({ namespace: 'ml-orig', naming: 'original' });
    expect(run.code, run.stderr).toBe(0);

    const now = (await get(ISVC, 'granite-chat', 'ml-orig'))!;
    expect(now.metadata.uid).not.toBe(old.metadata.uid);
    expect(modeOf(now)).toBe('RawDeployment');
    expect(isReady(now)).toBe(true);
    expect((now.spec as { predictor: { model: { runtime: string } } }).predictor.model.runtime).toBe('vllm-runtime');
    expect(await get(RUNTIME, 'vllm-runtime', 'ml-orig')).not.toBeNull();
    expect(await get(ROUTE, 'granite-chat-ml-orig', 'istio-system')).toBeNull();

    expectOwnedBy(await get({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'granite-chat-sa', 'ml-orig'), now);
    expectOwnedBy(await get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' }, 'granite-chat-view-role', 'ml-orig'), now);
    expectOwnedBy(await get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' }, 'granite-chat-view', 'ml-orig'), now);
    expectOwnedBy(await get({ apiVersion: 'v1', kind: 'Secret' }, 'client-token-granite-chat-sa', 'ml-orig'), now);

    // The export holds what existed, ready to re-apply: no uid, owners, resourceVersion or status.
    const tree = readTree(join(files, 'ml-orig/granite-chat'));
    expect([...tree.keys()]).toEqual([
      'original/granite-chat-isvc.yaml',
      'original/granite-chat-sa.yaml',
      'original/granite-chat-secret.yaml',
      'original/granite-chat-view-role.yaml',
      'original/granite-chat-view-rolebinding.yaml',
      'original/vllm-runtime-sr.yaml',
      'raw-original-names/granite-chat-isvc.yaml',
      'raw-original-names/granite-chat-sa.yaml',
      'raw-original-names/granite-chat-secret.yaml',
      'raw-original-names/granite-chat-view-role.yaml',
      'raw-original-names/granite-chat-view-rolebinding.yaml',
      'raw-original-names/vllm-runtime-sr.yaml',
    ]);
    const exported = parse(tree.get('original/granite-chat-isvc.yaml')!) as KubeObject;
    expect(exported.metadata).not.toHaveProperty('uid');
    expect(exported.metadata).not.toHaveProperty('resourceVersion');
    expect(exported).not.toHaveProperty('status');
    expect(modeOf(exported)).toBe('Serverless');
    expect(parse(tree.get('original/granite-chat-sa.yaml')!).metadata).not.toHaveProperty('ownerReferences');
    expect(parse(tree.get('original/granite-chat-secret.yaml')!)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'client-token-granite-chat-sa',
        namespace: 'ml-orig',
        labels: { 'opendatahub.io/dashboard': 'true' },
        annotations: { 'kubernetes.io/service-account.name': 'granite-chat-sa', 'openshift.io/display-name': 'client-token' },
      },
      type: 'kubernetes.io/service-account-token',
    });
  });
});

describe('interrupted', () => {
  it('killed after the first InferenceService, a resume converts each one exactly once', async () => {
    await copyServerlessModel(kube, 'ml-kill', { extra: ['granite-chat-b'] });
    const recorder = await recordInferenceServices('ml-kill');
    const dir = await tempDir('s2r-kill-');
    const firstItem = 'serverless-to-raw/convert[ml-kill/granite-chat]';
    const { run } = await convert({ namespace: 'ml-kill' }, { dir, onEvent: (e) => (e.type === 'node:end' && e.node.id === firstItem ? 'kill' : undefined) });
    const failed = [...resultsOf(run)].filter(([, r]) => r.status === 'failed').map(([id, r]) => `${id}: ${r.error?.message}`);
    expect(run.signal, `exit ${run.code}: ${failed.join('; ')} ${run.stderr}`).toBe('SIGKILL');
    expect(resultsOf(run).get(firstItem)?.status).toBe('changed');
    expect(summaryOf(run)).toBeUndefined();

    const resumed = await resume(dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    // The item's end is written while the next item starts (not waited for): a kill that lands
    // before that write leaves a resume to enter the item again, where each step finds its own
    // record or finds its effect already there. Either way, nothing of it is done a second time.
    const resumedResults = resultsOf(resumed);
    if (resumedResults.get(firstItem)?.resumed !== true) {
      const firstItemSteps = [...resumedResults].filter(([id]) => id !== firstItem && id.endsWith('[ml-kill/granite-chat]'));
      expect(firstItemSteps.length).toBeGreaterThan(0);
      const doneAgain = firstItemSteps.filter(([, r]) => r.status === 'changed' && r.resumed !== true).map(([id]) => id);
      expect(doneAgain).toEqual([]);
    }

    for (const name of ['granite-chat', 'granite-chat-b']) {
      expect(await get(ISVC, name, 'ml-kill')).toBeNull();
      expect(isReady(await get(ISVC, `${name}-raw`, 'ml-kill'))).toBe(true);
      expect(await get(ROUTE, `${name}-ml-kill`, 'istio-system')).toBeNull();
    }
    await new Promise((r) => setTimeout(r, 500));
    const events = recorder.stop();
    const count = (type: string, name: string) => events.filter((e) => e.type === type && e.name === name).length;
    expect(count('ADDED', 'granite-chat-raw')).toBe(1);
    expect(count('ADDED', 'granite-chat-b-raw')).toBe(1);
    expect(count('DELETED', 'granite-chat')).toBe(1);
    expect(count('DELETED', 'granite-chat-b')).toBe(1);
  });
});

describe('a new InferenceService that never becomes Ready', () => {
  // More CPU than a sandbox node has: the Serverless one runs, its RawDeployment copy stays Pending.
  const tooBig = { resources: { requests: { cpu: '24', memory: '8Gi' } } };

  it('side by side: the run fails at the Ready wait, the original is untouched; fixed and resumed, it finishes', async () => {
    await copyServerlessModel(kube, 'ml-unready', { predictor: tooBig });
    // The simulated controller writes the status a moment after the create.
    const before = await until(kube, { ...ISVC, name: 'granite-chat', namespace: 'ml-unready' }, 'the Serverless original Ready', isReady);
    const { run, dir } = await convert({ namespace: 'ml-unready', readyTimeout: '3s' });
    expect(run.code).toBe(1);
    const ready = resultsOf(run).get('serverless-to-raw/convert/validate/ready[ml-unready/granite-chat]');
    expect(ready?.status).toBe('failed');
    expect(ready?.error?.message).toMatch(/Ready=False \(MinimumReplicasUnavailable\).*Insufficient cpu/);

    const after = (await get(ISVC, 'granite-chat', 'ml-unready'))!;
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(await get(ROUTE, 'granite-chat-ml-unready', 'istio-system')).not.toBeNull();
    expect(isReady(await get(ISVC, 'granite-chat-raw', 'ml-unready'))).toBe(false);

    // The admin gives the new one what fits on a node, and resumes.
    await kube.patch({ ...ISVC, name: 'granite-chat-raw', namespace: 'ml-unready' }, 'merge', { spec: { predictor: { model: { resources: { requests: { cpu: '2' } } } } } });
    const resumed = await resume(dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await get(ISVC, 'granite-chat', 'ml-unready')).toBeNull();
    expect(isReady(await get(ISVC, 'granite-chat-raw', 'ml-unready'))).toBe(true);
  });

  it('in place: the run fails with the old one gone, and its export brings it back', async () => {
    await copyServerlessModel(kube, 'ml-unready-orig', { predictor: tooBig });
    const { run, dir, files } = await convert({ namespace: 'ml-unready-orig', naming: 'original', readyTimeout: '3s' });
    expect(run.code).toBe(1);
    expect(resultsOf(run).get('serverless-to-raw/convert/validate/ready[ml-unready-orig/granite-chat]')?.status).toBe('failed');
    const failed = (await get(ISVC, 'granite-chat', 'ml-unready-orig'))!;
    expect(modeOf(failed)).toBe('RawDeployment');
    expect(isReady(failed)).toBe(false);

    // Roll back: delete the new one, apply the export.
    await kube.delete({ ...ISVC, name: 'granite-chat', namespace: 'ml-unready-orig' });
    for (let i = 0; i < 50 && (await get(ISVC, 'granite-chat', 'ml-unready-orig')); i++) await new Promise((r) => setTimeout(r, 100));
    const exported = parse(readFileSync(join(files, 'ml-unready-orig/granite-chat/original/granite-chat-isvc.yaml'), 'utf8')) as KubeObject;
    await kube.create(exported);
    const restored = (await get(ISVC, 'granite-chat', 'ml-unready-orig'))!;
    expect(modeOf(restored)).toBe('Serverless');
    expect(restored.spec).toEqual(exported.spec);

    // A resume now stops at once: the name holds the Serverless one again, not the new one.
    const resumed = await resume(dir);
    expect(resumed.code).toBe(1);
    expect(resultsOf(resumed).get('serverless-to-raw/convert/validate/ready[ml-unready-orig/granite-chat]')?.durationMs).toBeLessThan(2_000);
    expect(modeOf(await get(ISVC, 'granite-chat', 'ml-unready-orig'))).toBe('Serverless');
  });
});

describe('endpoint validation', () => {
  let server: Server;
  let status = 404;
  const paths: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(status).end(status === 200 ? '{"ready": true}' : 'not ready');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });

  afterAll(() => server.close());

  it('the old InferenceService stays until the new endpoint answers', async () => {
    await copyServerlessModel(kube, 'ml-probe');
    const { port } = server.address() as AddressInfo;
    const { run, dir } = await convert({ namespace: 'ml-probe', validateEndpoint: true, probeUrl: `http://127.0.0.1:${port}/{namespace}/v2/models/{name}/ready` });
    expect(run.code).toBe(1);
    expect(resultsOf(run).get('serverless-to-raw/convert/validate/probe[ml-probe/granite-chat]')?.error?.message).toMatch(/answered 404/);
    expect(paths).toEqual(['/ml-probe/v2/models/granite-chat-raw/ready']);
    expect(modeOf(await get(ISVC, 'granite-chat', 'ml-probe'))).toBe('Serverless');

    status = 200;
    const resumed = await resume(dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await get(ISVC, 'granite-chat', 'ml-probe')).toBeNull();
    expect(isReady(await get(ISVC, 'granite-chat-raw', 'ml-probe'))).toBe(true);
  });
});
