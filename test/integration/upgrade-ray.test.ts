// The Ray part of the 2.25 → 3.3 runbook, through the built CLI, on a sandbox of this file's own:
// RHOAI 2.25.4 (`minimal`) with CodeFlare and Ray Managed and the RayClusters, ServiceAccounts and
// Routes of the `full` scenario (scenarios/full/ray.yaml). The section files run one after the
// other, as the upgrade runs them: before/ray.yaml, the operator upgrade, after/ray.yaml; then
// ray-restore.yaml. The tests run in order and walk one cluster through it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { REPO, changedSteps, failureOf, runCli, type CliRun } from './support/cli-run.js';
import { DSC_V1, conditionOf, startTestSandbox, statusOf, until } from './support/sandbox.js';

const RUNBOOKS = join(REPO, 'runbooks');
const NS = 'ray-team';
const RAY = { apiVersion: 'ray.io/v1', kind: 'RayCluster' } as const;
const ROUTE = { apiVersion: 'route.openshift.io/v1', kind: 'Route' } as const;
const SA = { apiVersion: 'v1', kind: 'ServiceAccount' } as const;
const CODEFLARE_SA = 'training-cluster-oauth-proxy-5c1f8e2a';
const CODEFLARE_FINALIZER = 'ray.openshift.ai/oauth-finalizer';
const BACKUP_TAKEN = 'odh.ray.io/pre-upgrade-backup-taken';
const SECURE = 'odh.ray.io/secure-trusted-network';

interface PodSpec {
  serviceAccountName?: string;
  containers: { name: string; env?: { name: string }[]; volumeMounts?: { name: string }[] }[];
  initContainers?: { name: string }[];
  volumes?: { name: string }[];
}
interface RaySpec {
  suspend?: boolean;
  headGroupSpec: { enableIngress?: boolean; template: { spec: PodSpec } };
  workerGroupSpecs: { groupName: string; replicas: number; template: { spec: PodSpec } }[];
}

let sandbox: Sandbox;
let kube: KubeClient;
let work: string;
let backupDir: string;

beforeAll(async () => {
  // Runs start here (backups are relative to it); the scenario file sits here too.
  work = mkdtempSync(join(tmpdir(), 'runbook-upgrade-ray-'));
  backupDir = join(work, 'backup');
  const scenario = join(work, 'ray-scenario.yaml');
  writeFileSync(
    scenario,
    [
      'apiVersion: runbook.dev/v1',
      'kind: SandboxScenario',
      'metadata: { name: ray-upgrade, description: RHOAI 2.25.4 with the RayClusters of the full scenario }',
      'spec:',
      '  base: minimal',
      '  dataScienceCluster: { codeflare: { managementState: Managed }, ray: { managementState: Managed } }',
      `  include: [${JSON.stringify(join(REPO, 'src/sandbox/scenarios/full/ray.yaml'))}]`,
      '',
    ].join('\n'),
  );
  sandbox = await startTestSandbox({ scenario, speed: 0 });
  kube = sandbox.kube;
}, 600_000);

afterAll(async () => {
  await sandbox?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** `runbook run <file>` from the work folder, a state folder of its own, JSON output, gates passed. */
function run(file: string, vars: Record<string, string> = {}): Promise<CliRun> {
  const state = mkdtempSync(join(work, 'state-'));
  const varArgs = Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}=${v}`]);
  return runCli(['run', join(RUNBOOKS, file), '--kubeconfig', sandbox.kubeconfigPath, '--state-dir', state, '--yes', '-o', 'json', ...varArgs], { cwd: work, timeoutMs: 900_000 });
}

const get = async (kind: { apiVersion: string; kind: string }, name: string): Promise<KubeObject | null> => kube.get({ ...kind, name, namespace: NS });
const rayOf = async (name: string): Promise<KubeObject> => (await get(RAY, name))!;
const specOf = (o: KubeObject): RaySpec => o.spec as unknown as RaySpec;
const observed = (o: KubeObject): boolean => statusOf<{ observedGeneration?: number }>(o).observedGeneration === o.metadata.generation;
const rayOwned = (o: KubeObject): boolean => ((o.metadata.ownerReferences ?? []) as { kind?: string }[]).some((r) => r.kind === 'RayCluster');
const backupFile = (set: string, name: string): KubeObject => JSON.parse(readFileSync(join(backupDir, 'ray', set, `raycluster-${name}-${NS}.yaml`), 'utf8')) as KubeObject;
const names = (list: { name: string }[] | undefined): string[] => (list ?? []).map((x) => x.name);

/** Every CodeFlare piece the migration removes, found anywhere in the cluster's templates. */
function codeflarePieces(o: KubeObject): string[] {
  const spec = specOf(o);
  const groups = [{ group: 'head', pod: spec.headGroupSpec.template.spec }, ...spec.workerGroupSpecs.map((w) => ({ group: w.groupName, pod: w.template.spec }))];
  const found: string[] = [];
  for (const { group, pod } of groups) {
    if (pod.serviceAccountName) found.push(`${group}: serviceAccountName`);
    for (const c of pod.containers) {
      if (c.name === 'oauth-proxy') found.push(`${group}: oauth-proxy`);
      for (const e of names(c.env)) if (e.startsWith('RAY_USE_TLS') || e.startsWith('RAY_TLS_')) found.push(`${group}: env ${e}`);
      for (const m of names(c.volumeMounts)) if (['ca-vol', 'server-cert', 'proxy-tls-secret'].includes(m)) found.push(`${group}: mount ${m}`);
    }
    if (names(pod.initContainers).includes('create-cert')) found.push(`${group}: create-cert`);
    for (const v of names(pod.volumes)) if (['ca-vol', 'server-cert', 'proxy-tls-secret'].includes(v)) found.push(`${group}: volume ${v}`);
  }
  if (spec.headGroupSpec.enableIngress) found.push('enableIngress');
  if ((o.metadata.finalizers ?? []).includes(CODEFLARE_FINALIZER)) found.push('finalizer');
  return found;
}

describe('RayClusters of CodeFlare through the upgrade', () => {
  it('on 2.25 the running cluster instantiates and is ready; the Kueue-queued one is suspended', { timeout: 120_000 }, async () => {
    const training = await until(kube, { ...RAY, name: 'training-cluster', namespace: NS }, 'training-cluster ready', (o) => observed(o) && statusOf(o).state === 'ready');
    expect(statusOf(training)).toMatchObject({ desiredWorkerReplicas: 2, availableWorkerReplicas: 2 });
    expect(codeflarePieces(training).length).toBeGreaterThan(10);
    const queued = await until(kube, { ...RAY, name: 'queued-cluster', namespace: NS }, 'queued-cluster suspended', (o) => observed(o) && statusOf(o).state === 'suspended');
    expect(conditionOf(queued, 'RayClusterSuspended')?.status).toBe('True');
    const routes = (await kube.list({ ...ROUTE, namespace: NS })).items;
    expect(routes.filter(rayOwned).map((r) => r.metadata.name).sort()).toEqual(['ray-dashboard-training-cluster', 'training-cluster-head-route']);
  });

  it('before: both backups, the timestamped marker, ingress off, CodeFlare Removed, Ray-owned Routes deleted (again when one comes back)', { timeout: 600_000 }, async () => {
    // cert-manager detected the script's other ways: its CRD (the sandbox has it) and its namespace.
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cert-manager' } });

    // A controller still in flight recreates KubeRay's Route once after it is deleted.
    const headRoute = (await get(ROUTE, 'training-cluster-head-route'))!;
    let recreated = false;
    let stop = false;
    const recreator = (async () => {
      while (!stop && !recreated) {
        if (!(await get(ROUTE, 'training-cluster-head-route'))) {
          await kube.create({ ...ROUTE, metadata: { name: headRoute.metadata.name, namespace: NS, labels: headRoute.metadata.labels, ownerReferences: headRoute.metadata.ownerReferences }, spec: headRoute.spec });
          recreated = true;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const before = await run('rhoai-2.25-to-3.3/before/ray.yaml', { backupDir });
    stop = true;
    await recreator;
    expect(before.code, failureOf(before)).toBe(0);
    expect(before.findings.filter((f) => f.severity === 'critical' || f.severity === 'prohibited')).toEqual([]);

    // The Route came back and was deleted again; the team's own Route stays.
    expect(recreated).toBe(true);
    expect(before.events.some((e) => e.type === 'step:retry' && String(e.id).includes('training-cluster-head-route'))).toBe(true);
    const routes = (await kube.list({ ...ROUTE, namespace: NS })).items;
    expect(routes.filter(rayOwned)).toEqual([]);
    expect(routes.map((r) => r.metadata.name)).toEqual(['results-viewer']);

    // The 2.x copy is the cluster as it was; the 3.x copy is cleaned, head and workers.
    const copy2x = backupFile('rhoai-2.x', 'training-cluster');
    expect(copy2x.metadata).toEqual({ name: 'training-cluster', namespace: NS, labels: { 'controller-tools.k8s.io': '1.0' }, annotations: { 'ray.openshift.ai/version': 'v1.17.0' } });
    expect(copy2x.status).toBeUndefined();
    expect(codeflarePieces(copy2x)).toContain('enableIngress');
    expect(codeflarePieces(copy2x)).toContain('small-group: create-cert');
    const copy3x = backupFile('rhoai-3.x', 'training-cluster');
    expect(codeflarePieces(copy3x)).toEqual([]);
    expect(copy3x.metadata.annotations).toEqual({ 'ray.openshift.ai/version': 'v1.17.0', [SECURE]: 'true' });
    expect(names(specOf(copy3x).headGroupSpec.template.spec.containers)).toEqual(['ray-head']);
    expect(names(specOf(copy3x).workerGroupSpecs[0]!.template.spec.containers[0]!.env)).toEqual(['MY_POD_IP']);
    expect(specOf(backupFile('rhoai-3.x', 'queued-cluster')).suspend).toBe(true);

    // Live: marked with the time, ingress off; CodeFlare Removed and the time recorded.
    for (const name of ['training-cluster', 'queued-cluster']) {
      const rc = await rayOf(name);
      expect(rc.metadata.annotations?.[BACKUP_TAKEN], name).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    expect(specOf(await rayOf('training-cluster')).headGroupSpec.enableIngress).toBe(false);
    const dsc = (await kube.get(DSC_V1))!;
    expect((dsc.spec as { components: { codeflare: { managementState: string } } }).components.codeflare.managementState).toBe('Removed');

    // Again: nothing is written, and the 2.x copy still has the ingress the cluster had.
    const again = await run('rhoai-2.25-to-3.3/before/ray.yaml', { backupDir });
    expect(again.code, failureOf(again)).toBe(0);
    expect(again.summary?.apiCalls?.writes).toBe(0);
    expect(changedSteps(again)).toEqual([]);
    expect(specOf(backupFile('rhoai-2.x', 'training-cluster')).headGroupSpec.enableIngress).toBe(true);
  });

  it('the operator upgrade: 3.3 runs, and the unmigrated cluster fails', { timeout: 600_000 }, async () => {
    const during = await run('rhoai-2.25-to-3.3/during/operator-upgrade.yaml');
    expect(during.code, failureOf(during)).toBe(0);
    await until(kube, { ...RAY, name: 'training-cluster', namespace: NS }, 'training-cluster failed on 3.3', (o) => statusOf(o).state === 'failed');
  });

  it('after: head and workers cleaned and instantiated, the suspended one not waited for and reported, CodeFlare accounts gone', { timeout: 600_000 }, async () => {
    const after = await run('rhoai-2.25-to-3.3/after/ray.yaml');
    expect(after.code, failureOf(after)).toBe(0);

    const training = await until(kube, { ...RAY, name: 'training-cluster', namespace: NS }, 'training-cluster ready', (o) => observed(o) && statusOf(o).state === 'ready');
    expect(codeflarePieces(training)).toEqual([]);
    expect(conditionOf(training, 'HeadPodReady')?.status).toBe('True');
    expect(conditionOf(training, 'ReplicaFailure')).toBeUndefined();
    expect(statusOf(training)).toMatchObject({ desiredWorkerReplicas: 2, availableWorkerReplicas: 2 });
    expect(training.metadata.annotations?.[SECURE]).toBe('true');
    expect(training.metadata.annotations?.[BACKUP_TAKEN]).toBeUndefined();
    // The live object migrated is what the 3.x backup holds: the two encodings of the clean-up agree.
    expect(training.spec).toEqual(backupFile('rhoai-3.x', 'training-cluster').spec);

    const queued = await rayOf('queued-cluster');
    expect(codeflarePieces(queued)).toEqual([]);
    expect(statusOf(queued).state).toBe('suspended');
    expect(queued.spec).toEqual(backupFile('rhoai-3.x', 'queued-cluster').spec);
    const waits = after.events.filter((e) => e.type === 'node:end' && (e.node as { name: string }).name === 'Wait for the RayCluster to run');
    const waitOf = (name: string) => (waits.find((e) => String((e.node as { id: string }).id).includes(`${NS}/${name}`))?.result as { status: string } | undefined)?.status;
    expect(waitOf('training-cluster')).toMatch(/^(ok|changed)$/);
    expect(waitOf('queued-cluster')).toBe('skipped');
    const suspended = after.findings.find((f) => f.check === 'ray-suspended');
    expect(suspended?.severity).toBe('warning');
    expect(suspended?.message).toContain(`${NS}/queued-cluster`);

    // CodeFlare's <cluster>-oauth-proxy-<hash> is gone; KubeRay's -sa and the team's own account stay.
    const accounts = (await kube.list({ ...SA, namespace: NS })).items.map((s) => s.metadata.name).filter((n) => n !== 'default');
    expect(accounts.sort()).toEqual(['training-cluster-jobs', 'training-cluster-oauth-proxy-sa']);
    expect(await get(SA, CODEFLARE_SA)).toBeNull();
  });

  it('after, again: nothing to migrate, nothing written', { timeout: 300_000 }, async () => {
    const again = await run('rhoai-2.25-to-3.3/after/ray.yaml');
    expect(again.code, failureOf(again)).toBe(0);
    expect(again.summary?.apiCalls?.writes).toBe(0);
    expect(again.findings.filter((f) => f.check === 'ray-suspended' || f.check === 'ray-migrated')).toEqual([]);
  });

  it('restore: a cluster changed since is deleted and created again from its 3.x backup; again, nothing is written', { timeout: 300_000 }, async () => {
    const before = await rayOf('training-cluster');
    await kube.patch({ ...RAY, name: 'training-cluster', namespace: NS }, 'json', [{ op: 'replace', path: '/spec/workerGroupSpecs/0/replicas', value: 1 }]);
    const restore = await run('ray-restore.yaml', { backupDir, clusterNamespace: NS, clusterName: 'training-cluster' });
    expect(restore.code, failureOf(restore)).toBe(0);
    const restored = await until(kube, { ...RAY, name: 'training-cluster', namespace: NS }, 'training-cluster ready', (o) => observed(o) && statusOf(o).state === 'ready');
    expect(restored.metadata.uid).not.toBe(before.metadata.uid);
    expect(restored.spec).toEqual(backupFile('rhoai-3.x', 'training-cluster').spec);
    expect(specOf(restored).workerGroupSpecs[0]!.replicas).toBe(2);
    expect(statusOf(restored).availableWorkerReplicas).toBe(2);

    const again = await run('ray-restore.yaml', { backupDir, clusterNamespace: NS, clusterName: 'training-cluster' });
    expect(again.code, failureOf(again)).toBe(0);
    expect(again.summary?.apiCalls?.writes).toBe(0);
    expect((await rayOf('training-cluster')).metadata.uid).toBe(restored.metadata.uid);
  });

  it('restore of a namespace: a deleted cluster comes back (suspended, reported); the others are left alone', { timeout: 300_000 }, async () => {
    const training = await rayOf('training-cluster');
    await kube.delete({ ...RAY, name: 'queued-cluster', namespace: NS });
    for (let i = 0; i < 100 && (await get(RAY, 'queued-cluster')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await get(RAY, 'queued-cluster')).toBeNull();
    const restore = await run('ray-restore.yaml', { backupDir, clusterNamespace: NS });
    expect(restore.code, failureOf(restore)).toBe(0);
    const queued = await until(kube, { ...RAY, name: 'queued-cluster', namespace: NS }, 'queued-cluster suspended', (o) => observed(o) && statusOf(o).state === 'suspended');
    expect(queued.spec).toEqual(backupFile('rhoai-3.x', 'queued-cluster').spec);
    expect(restore.findings.find((f) => f.check === 'ray-restore-suspended')?.message).toContain(`${NS}/queued-cluster`);
    expect((await rayOf('training-cluster')).metadata.uid).toBe(training.metadata.uid);
    expect(restore.summary?.apiCalls?.writes).toBe(1);
  });

  it('a template the API server refuses after the clean-up fails the run with the server\'s words', { timeout: 300_000 }, async () => {
    // A 2.x cluster whose head also mounts a volume nobody defined: the clean-up cannot fix that.
    const broken = structuredClone(backupFile('rhoai-2.x', 'training-cluster'));
    broken.metadata = { name: 'broken-cluster', namespace: NS };
    specOf(broken).headGroupSpec.template.spec.containers[0]!.volumeMounts!.push({ name: 'scratch', mountPath: '/scratch' } as { name: string });
    await kube.create(broken);
    const after = await run('rhoai-2.25-to-3.3/after/ray.yaml');
    expect(after.code).toBe(1);
    expect(failureOf(after)).toMatch(/FailedCreateHeadPod/);
    expect(failureOf(after)).toMatch(/Not found: "scratch"/);
    const rc = await rayOf('broken-cluster');
    expect(codeflarePieces(rc)).toEqual([]);
    expect(conditionOf(rc, 'ReplicaFailure')).toMatchObject({ status: 'True', reason: 'FailedCreateHeadPod' });
  });
});
