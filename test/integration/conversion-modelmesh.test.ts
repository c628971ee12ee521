// The ModelMesh → RawDeployment runbook on a sandbox of the full scenario, through the built CLI:
// the dry run's original-resources/ and new-resources/, a migration into a target namespace and a
// re-run that writes nothing, the destructive in-place mode with authentication carried over, and a
// new InferenceService that never becomes Ready.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import {
  FIXTURES,
  ISVC,
  MODELMESH,
  RUNTIME,
  copyModelMeshModel,
  createDataConnection,
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
  // The data connection fraud-detector names in storage.key, as the dashboard creates it.
  await createDataConnection(kube, 'mm-team');
}, 600_000);

afterAll(async () => {
  removeBuiltCopy();
  await sandbox?.stop();
});

const get = (ref: { apiVersion: string; kind: string }, name: string, namespace?: string) => kube.get({ ...ref, name, ...(namespace ? { namespace } : {}) });

async function migrate(vars: Record<string, unknown>, o: { dir?: string; extra?: string[]; outputDir?: boolean } = {}) {
  const dir = o.dir ?? (await tempDir('m2r-'));
  const files = join(dir, 'files');
  const run = await runCli(['run', MODELMESH, '--kubeconfig', kubeconfig, '--state-dir', join(dir, 'state'), ...varFlags({ ...(o.outputDir === false ? {} : { outputDir: files }), ...vars }), ...(o.extra ?? [])], { cwd: dir });
  return { run, dir, files };
}

function expectOwnedBy(obj: KubeObject | null, owner: KubeObject): void {
  expect(obj, 'auth object').not.toBeNull();
  expect(obj!.metadata.ownerReferences).toEqual([
    { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', name: owner.metadata.name, uid: owner.metadata.uid, blockOwnerDeletion: false },
  ]);
}

/**
 * The dry-run files against the expected ones, file by file. The exported source Namespace is
 * compared without its labels: they are whatever the sandbox gave the namespace.
 */
function expectSameFiles(got: Map<string, string>, want: Map<string, string>): void {
  expect([...got.keys()]).toEqual([...want.keys()]);
  for (const [path, text] of want) {
    if (path.startsWith('original-resources/namespace/')) {
      const strip = (t: string) => {
        const ns = parse(t) as KubeObject;
        delete ns.metadata.labels;
        return ns;
      };
      expect(strip(got.get(path)!), path).toEqual(strip(text));
    } else {
      expect(got.get(path), path).toBe(text);
    }
  }
}

describe('dry run', () => {
  it('writes original-resources/ and new-resources/ by kind, and applies nothing', async () => {
    const before = await get(ISVC, 'fraud-detector', 'mm-team');
    const { run, files } = await migrate({ fromNamespace: 'mm-team', dryRun: true });
    expect(run.code, run.stderr).toBe(0);
    expectSameFiles(readTree(files), readTree(join(FIXTURES, 'modelmesh-dry-run')));

    expect((await get(ISVC, 'fraud-detector', 'mm-team'))?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    expect(await get({ apiVersion: 'v1', kind: 'Namespace' }, 'mm-team-raw')).toBeNull();
    expect(await get(RUNTIME, 'ovms', 'mm-team')).not.toBeNull();
    // No kserve-ovms Template in the sandbox: the runtime shipped in the runbook is used, and said so.
    expect(run.events.filter((e) => e.type === 'finding').map((e) => (e as { finding: { check: string; severity: string } }).finding)).toEqual([
      expect.objectContaining({ check: 'modelmesh-runtime-template', severity: 'info' }),
    ]);
  });

  it('runbook --dry-run without outputDir writes the same files to migration-dry-run-<timestamp>/', async () => {
    const { run, dir } = await migrate({ fromNamespace: 'mm-team' }, { extra: ['--dry-run'], outputDir: false });
    expect(run.code, run.stderr).toBe(0);
    const made = readdirSync(dir).filter((n) => n.startsWith('migration-'));
    expect(made).toEqual([expect.stringMatching(/^migration-dry-run-\d{8}-\d{6}$/)]);
    expectSameFiles(readTree(join(dir, made[0]!)), readTree(join(FIXTURES, 'modelmesh-dry-run')));
    expect(await get({ apiVersion: 'v1', kind: 'Namespace' }, 'mm-team-raw')).toBeNull();
  });
});

describe('into a target namespace', () => {
  it("migrates the full scenario's fraud-detector to mm-team-raw: own runtime, defaults, route, storage Secret; the old one and ovms gone", async () => {
    const { run, files } = await migrate({ fromNamespace: 'mm-team' });
    expect(run.code, run.stderr).toBe(0);
    expect(summaryOf(run)?.findings).toMatchObject({ critical: 0, prohibited: 0 });

    const ns = await get({ apiVersion: 'v1', kind: 'Namespace' }, 'mm-team-raw');
    expect(ns?.metadata.labels).toMatchObject({ 'opendatahub.io/dashboard': 'true', 'modelmesh-enabled': 'false' });
    const isvc = (await get(ISVC, 'fraud-detector', 'mm-team-raw'))!;
    expect(isReady(isvc)).toBe(true);
    expect(modeOf(isvc)).toBe('RawDeployment');
    expect(isvc.metadata.labels).toEqual({ 'networking.kserve.io/visibility': 'exposed' });
    expect(isvc.metadata.annotations).toMatchObject({
      'migration.kserve.io/source': 'modelmesh',
      'migration.kserve.io/original-namespace': 'mm-team',
      'storage.kserve.io/ovms-auto-versioning': '1',
    });
    expect(isvc.metadata.annotations).not.toHaveProperty('security.opendatahub.io/enable-auth');
    expect((isvc.spec as { predictor: unknown }).predictor).toEqual({
      model: {
        modelFormat: { name: 'onnx', version: '1' },
        runtime: 'fraud-detector',
        storage: { key: 'aws-connection-models', path: 'fraud/model.onnx' },
        resources: { requests: { cpu: '1', memory: '4Gi' }, limits: { cpu: '2', memory: '8Gi' } },
      },
    });
    const runtime = await get(RUNTIME, 'fraud-detector', 'mm-team-raw');
    expect(runtime?.metadata.annotations).toMatchObject({ 'opendatahub.io/template-name': 'kserve-ovms', 'migration.kserve.io/source': 'modelmesh' });
    expect((runtime?.spec as { multiModel: boolean }).multiModel).toBe(false);
    const secret = await get({ apiVersion: 'v1', kind: 'Secret' }, 'aws-connection-models', 'mm-team-raw');
    expect(secret?.data).toEqual((await get({ apiVersion: 'v1', kind: 'Secret' }, 'aws-connection-models', 'mm-team'))?.data);
    expect(secret?.metadata.annotations).toMatchObject({ 'migration.kserve.io/original-namespace': 'mm-team' });

    expect(await get(ISVC, 'fraud-detector', 'mm-team')).toBeNull();
    expect(await get(RUNTIME, 'ovms', 'mm-team')).toBeNull();

    // The files are those of the dry run.
    expectSameFiles(readTree(files), readTree(join(FIXTURES, 'modelmesh-dry-run')));
  });

  it('a second run finds nothing to migrate and writes nothing', async () => {
    const again = await runInProcess(MODELMESH, { fromNamespace: 'mm-team', outputDir: join(await tempDir('m2r-again-'), 'files') }, kubeconfig);
    expect(again.summary.status).toBe('succeeded');
    expect(again.writes).toBe(0);
    expect(again.summary.counts.changed).toBe(0);
  });

  it('kept (deleteOriginal false), a re-run checks every step and writes nothing', async () => {
    await copyModelMeshModel(kube, 'mm-keep');
    const vars = { fromNamespace: 'mm-keep', deleteOriginal: false, outputDir: join(await tempDir('m2r-keep-'), 'files') };
    const first = await runInProcess(MODELMESH, vars, kubeconfig);
    expect(first.state.findings.filter((f) => f.severity === 'critical').map((f) => f.objects)).toEqual([['InferenceService mm-keep/fraud-detector']]);
    expect(isReady(await get(ISVC, 'fraud-detector', 'mm-keep-raw'))).toBe(true);
    expect(modeOf(await get(ISVC, 'fraud-detector', 'mm-keep'))).toBe('ModelMesh');

    const second = await runInProcess(MODELMESH, vars, kubeconfig);
    expect(second.writes).toBe(0);
    expect(second.summary.counts.changed).toBe(0);
  });
});

describe('in place', () => {
  it('replaces the InferenceService in its namespace with authentication carried over, and ends ModelMesh there', async () => {
    await copyModelMeshModel(kube, 'mm-inplace', { 'enable-auth': 'true' });
    const old = (await get(ISVC, 'fraud-detector', 'mm-inplace'))!;
    const { run, files } = await migrate({ fromNamespace: 'mm-inplace', inPlace: true });
    expect(run.code, run.stderr).toBe(0);

    const now = (await get(ISVC, 'fraud-detector', 'mm-inplace'))!;
    expect(now.metadata.uid).not.toBe(old.metadata.uid);
    expect(isReady(now)).toBe(true);
    expect(modeOf(now)).toBe('RawDeployment');
    expect(now.metadata.annotations).toMatchObject({ 'security.opendatahub.io/enable-auth': 'true', 'migration.kserve.io/original-namespace': 'mm-inplace' });
    expect((now.spec as { predictor: { serviceAccountName: string } }).predictor.serviceAccountName).toBe('fraud-detector-sa');
    expectOwnedBy(await get({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'fraud-detector-sa', 'mm-inplace'), now);
    expectOwnedBy(await get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' }, 'fraud-detector-view-role', 'mm-inplace'), now);
    expectOwnedBy(await get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' }, 'fraud-detector-view', 'mm-inplace'), now);
    expectOwnedBy(await get({ apiVersion: 'v1', kind: 'Secret' }, 'token-fraud-detector-sa', 'mm-inplace'), now);

    expect(await get(RUNTIME, 'ovms', 'mm-inplace')).toBeNull();
    expect((await get({ apiVersion: 'v1', kind: 'Namespace' }, 'mm-inplace'))?.metadata.labels).toMatchObject({ 'modelmesh-enabled': 'false' });

    expect([...readTree(files).keys()]).toEqual([
      'new-resources/inferenceservice/fraud-detector.yaml',
      'new-resources/namespace/mm-inplace.yaml',
      'new-resources/role/fraud-detector-view-role.yaml',
      'new-resources/rolebinding/fraud-detector-view.yaml',
      'new-resources/secret/token-fraud-detector-sa.yaml',
      'new-resources/serviceaccount/fraud-detector-sa.yaml',
      'new-resources/servingruntime/fraud-detector.yaml',
      'original-resources/inferenceservice/fraud-detector-original.yaml',
      'original-resources/namespace/mm-inplace-original.yaml',
      'original-resources/secret/aws-connection-models-original.yaml',
      'original-resources/servingruntime/ovms-original.yaml',
    ]);
  });
});

describe('a new InferenceService that never becomes Ready', () => {
  it('fails at the Ready wait with the ModelMesh one untouched; fixed and resumed, it finishes', async () => {
    await copyModelMeshModel(kube, 'mm-unready');
    const before = (await get(ISVC, 'fraud-detector', 'mm-unready'))!;
    // More CPU than a sandbox node has.
    const { run, dir } = await migrate({ fromNamespace: 'mm-unready', cpuRequest: '24', cpuLimit: '24', readyTimeout: '3s' });
    expect(run.code).toBe(1);
    const ready = resultsOf(run).get('modelmesh-to-raw/convert/validate/ready[mm-unready/fraud-detector]');
    expect(ready?.status).toBe('failed');
    expect(ready?.error?.message).toMatch(/Insufficient cpu/);
    const after = (await get(ISVC, 'fraud-detector', 'mm-unready'))!;
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(modeOf(after)).toBe('ModelMesh');
    expect(await get(RUNTIME, 'ovms', 'mm-unready')).not.toBeNull();
    expect(isReady(await get(ISVC, 'fraud-detector', 'mm-unready-raw'))).toBe(false);

    await kube.patch({ ...ISVC, name: 'fraud-detector', namespace: 'mm-unready-raw' }, 'merge', { spec: { predictor: { model: { resources: { requests: { cpu: '2' }, limits: { cpu: '4' } } } } } });
    const resumed = await runCli(['resume', '--kubeconfig', kubeconfig, '--state-dir', join(dir, 'state')], { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await get(ISVC, 'fraud-detector', 'mm-unready')).toBeNull();
    expect(isReady(await get(ISVC, 'fraud-detector', 'mm-unready-raw'))).toBe(true);
  });
});
