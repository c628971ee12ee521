// The ModelMesh → RawDeployment runbook on a sandbox of the full scenario, through the built CLI:
// the dry run's original-resources/ and new-resources/, a migration into a target namespace and a
// re-run that writes nothing, the destructive in-place mode with authentication carried over (the
// runtime's objects found by owner, custom rules kept, a token only where there was one), a new
// InferenceService that never becomes Ready, a target namespace that exists already (refused unless
// reused), a runtime made from a Template processed as oc process does, the OpenVINO IR opset1
// choices, a new storage URI and KServe's OpenVINO auto-versioning.
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
    // What stays in mm-team (its data connection, copied only for a model that loads from it) is
    // named; on 2.25 KServe has no OpenVINO auto-versioning: the model without a new path is named.
    expect(run.events.filter((e) => e.type === 'finding').map((e) => (e as { finding: { check: string; severity: string; objects?: string[] } }).finding)).toEqual([
      expect.objectContaining({ check: 'namespace-settings-not-copied', severity: 'warning' }),
      expect.objectContaining({ check: 'modelmesh-versioned-layout', severity: 'warning', objects: ['InferenceService mm-team/fraud-detector'] }),
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
  it("migrates the full scenario's fraud-detector to mm-team-raw: own runtime from kserve-ovms keeping opset1, defaults, route, data connection; the old one and ovms gone", async () => {
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
    });
    // 2.25's KServe does not know storage.kserve.io/ovms-auto-versioning (a warning named the model).
    expect(isvc.metadata.annotations).not.toHaveProperty('storage.kserve.io/ovms-auto-versioning');
    expect(isvc.metadata.annotations).not.toHaveProperty('security.opendatahub.io/enable-auth');
    expect((isvc.spec as { predictor: unknown }).predictor).toEqual({
      model: {
        modelFormat: { name: 'openvino_ir', version: 'opset1' },
        runtime: 'fraud-detector',
        storage: { key: 'aws-connection-models', path: 'fraud/' },
        resources: { requests: { cpu: '1', memory: '4Gi' }, limits: { cpu: '2', memory: '8Gi' } },
      },
    });
    // The ServingRuntime is the kserve-ovms Template's (its display name, image and formats), plus opset1 kept.
    const runtime = await get(RUNTIME, 'fraud-detector', 'mm-team-raw');
    const template = (await get({ apiVersion: 'template.openshift.io/v1', kind: 'Template' }, 'kserve-ovms', 'redhat-ods-applications'))!;
    const fromTemplate = (template as unknown as { objects: KubeObject[] }).objects[0]!;
    expect(runtime?.metadata.annotations).toMatchObject({
      'opendatahub.io/template-name': 'kserve-ovms',
      'openshift.io/display-name': 'OpenVINO Model Server',
      'migration.kserve.io/source': 'modelmesh',
      'migration.kserve.io/opset1-compatibility': 'enabled',
    });
    const spec = runtime?.spec as { multiModel: boolean; containers: unknown[]; supportedModelFormats: unknown[] };
    expect(spec.multiModel).toBe(false);
    expect(spec.containers).toEqual((fromTemplate.spec as { containers: unknown[] }).containers);
    expect(spec.supportedModelFormats).toEqual([
      ...(fromTemplate.spec as { supportedModelFormats: unknown[] }).supportedModelFormats,
      { name: 'openvino_ir', version: 'opset1', autoSelect: true },
    ]);
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
    expect(first.summary.status).toBe('succeeded');
    expect(first.state.findings.filter((f) => f.check === 'modelmesh-inferenceservices-left').map((f) => [f.severity, f.objects])).toEqual([['warning', ['InferenceService mm-keep/fraud-detector']]]);
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
    // The runtime's authentication objects, owned by the runtime under names of their own, with a
    // custom rule, and a token.
    const runtime = (await get(RUNTIME, 'ovms', 'mm-inplace'))!;
    const owner = [{ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'ServingRuntime', name: 'ovms', uid: runtime.metadata.uid }];
    const meta = (name: string) => ({ name, namespace: 'mm-inplace', labels: { 'opendatahub.io/dashboard': 'true' }, ownerReferences: owner });
    const customRule = { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] };
    await kube.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('scoring-client') });
    await kube.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta('scoring-reader'),
      rules: [{ apiGroups: ['serving.kserve.io'], resources: ['inferenceservices'], resourceNames: ['fraud-detector', 'other-model'], verbs: ['get'] }, customRule],
    });
    await kube.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta('scoring-reader-binding'),
      subjects: [{ kind: 'ServiceAccount', name: 'scoring-client', namespace: 'mm-inplace' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'scoring-reader' },
    });
    await kube.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'batch-scoring-client', namespace: 'mm-inplace', annotations: { 'kubernetes.io/service-account.name': 'scoring-client', 'openshift.io/display-name': 'batch' } },
      type: 'kubernetes.io/service-account-token',
    });

    const { run, files } = await migrate({ fromNamespace: 'mm-inplace', inPlace: true });
    expect(run.code, run.stderr).toBe(0);

    const now = (await get(ISVC, 'fraud-detector', 'mm-inplace'))!;
    expect(now.metadata.uid).not.toBe(old.metadata.uid);
    expect(isReady(now)).toBe(true);
    expect(modeOf(now)).toBe('RawDeployment');
    expect(now.metadata.annotations).toMatchObject({ 'security.opendatahub.io/enable-auth': 'true', 'migration.kserve.io/original-namespace': 'mm-inplace' });
    expect((now.spec as { predictor: { serviceAccountName: string } }).predictor.serviceAccountName).toBe('fraud-detector-sa');
    expectOwnedBy(await get({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'fraud-detector-sa', 'mm-inplace'), now);
    const role = await get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' }, 'fraud-detector-view-role', 'mm-inplace');
    expectOwnedBy(role, now);
    // The model's rule names this model only; the custom rule stays.
    expect(role!.rules).toEqual([{ apiGroups: ['serving.kserve.io'], resources: ['inferenceservices'], resourceNames: ['fraud-detector'], verbs: ['get'] }, customRule]);
    expectOwnedBy(await get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' }, 'fraud-detector-view', 'mm-inplace'), now);
    // The runtime's ServiceAccount had a token: the model's has one.
    expectOwnedBy(await get({ apiVersion: 'v1', kind: 'Secret' }, 'token-fraud-detector-sa', 'mm-inplace'), now);

    // The runtime and its authentication objects are gone with the last model.
    expect(await get(RUNTIME, 'ovms', 'mm-inplace')).toBeNull();
    expect(await get({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'scoring-client', 'mm-inplace')).toBeNull();
    expect(await get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' }, 'scoring-reader', 'mm-inplace')).toBeNull();
    expect(await get({ apiVersion: 'v1', kind: 'Secret' }, 'batch-scoring-client', 'mm-inplace')).toBeNull();
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
      'original-resources/role/scoring-reader-original.yaml',
      'original-resources/rolebinding/scoring-reader-binding-original.yaml',
      'original-resources/secret/aws-connection-models-original.yaml',
      'original-resources/serviceaccount/scoring-client-original.yaml',
      'original-resources/servingruntime/ovms-original.yaml',
      'original-resources/template/kserve-ovms.yaml',
      'ROLLBACK.md',
    ]);
    expect(readTree(files).get('ROLLBACK.md')).toContain('oc label namespace mm-inplace modelmesh-enabled=true --overwrite');
  });
});

describe('a target namespace that exists', () => {
  it('is refused before anything is made, unless the migration made it or reuseTargetNamespace says so', async () => {
    await copyModelMeshModel(kube, 'mm-taken');
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mm-taken-raw', labels: { team: 'someone-else' } } });
    const refused = await migrate({ fromNamespace: 'mm-taken' });
    expect(refused.run.code).not.toBe(0);
    expect(summaryOf(refused.run)?.status).toBe('blocked');
    const findings = refused.run.events.filter((e) => e.type === 'finding').map((e) => (e as { finding: { check: string; severity: string; objects?: string[] } }).finding);
    expect(findings).toContainEqual(expect.objectContaining({ check: 'modelmesh-target-exists', severity: 'prohibited', objects: ['Namespace mm-taken-raw'] }));
    expect(await get(ISVC, 'fraud-detector', 'mm-taken-raw')).toBeNull();
    expect(await get(RUNTIME, 'fraud-detector', 'mm-taken-raw')).toBeNull();
    expect(modeOf(await get(ISVC, 'fraud-detector', 'mm-taken'))).toBe('ModelMesh');

    const reused = await migrate({ fromNamespace: 'mm-taken', reuseTargetNamespace: true });
    expect(reused.run.code, reused.run.stderr).toBe(0);
    expect(isReady(await get(ISVC, 'fraud-detector', 'mm-taken-raw'))).toBe(true);
  });

  it('made by an earlier migration of the same namespace, it is this migration\'s own', async () => {
    await copyModelMeshModel(kube, 'mm-again');
    const first = await migrate({ fromNamespace: 'mm-again', deleteOriginal: false });
    expect(first.run.code, first.run.stderr).toBe(0);
    expect((await get({ apiVersion: 'v1', kind: 'Namespace' }, 'mm-again-raw'))?.metadata.annotations).toMatchObject({
      'migration.kserve.io/source': 'modelmesh',
      'migration.kserve.io/original-namespace': 'mm-again',
    });
    const second = await migrate({ fromNamespace: 'mm-again' });
    expect(second.run.code, second.run.stderr).toBe(0);
    expect(await get(ISVC, 'fraud-detector', 'mm-again')).toBeNull();
  });
});

describe('the runtime Template', () => {
  it('is processed as oc process does: parameters substituted, the Template labels added', async () => {
    await copyModelMeshModel(kube, 'mm-tpl');
    await kube.patch({ ...RUNTIME, name: 'ovms', namespace: 'mm-tpl' }, 'merge', { metadata: { annotations: { 'opendatahub.io/template-name': 'team-ovms' } } });
    await kube.create({
      apiVersion: 'template.openshift.io/v1',
      kind: 'Template',
      metadata: { name: 'team-ovms-kserve', namespace: 'redhat-ods-applications', labels: { 'opendatahub.io/dashboard': 'true' } },
      labels: { 'template.openshift.io/template-instance-owner': '${OWNER}' },
      parameters: [{ name: 'OVMS_IMAGE', required: true }, { name: 'OWNER', value: 'ml-platform' }, { name: 'TARGET', value: 'CPU' }],
      objects: [
        {
          apiVersion: 'serving.kserve.io/v1alpha1',
          kind: 'ServingRuntime',
          metadata: { name: 'team-ovms', namespace: 'redhat-ods-applications', annotations: { 'openshift.io/display-name': 'Team OpenVINO (${TARGET})' } },
          spec: {
            multiModel: false,
            supportedModelFormats: [{ name: 'openvino_ir', version: 'opset13', autoSelect: true }],
            containers: [{ name: 'kserve-container', image: '${OVMS_IMAGE}', args: ['--model_name={{.Name}}', '--target_device=${TARGET}', '--log_level=${LOG_LEVEL}'] }],
          },
        },
      ],
    } as unknown as KubeObject);
    const { run } = await migrate({
      fromNamespace: 'mm-tpl',
      runtimeTemplates: { 'team-ovms': 'team-ovms-kserve' },
      templateParameters: { OVMS_IMAGE: 'quay.example.com/ovms:2025.2' },
      opset1: 'upgrade',
    });
    expect(run.code, run.stderr).toBe(0);
    const runtime = (await get(RUNTIME, 'fraud-detector', 'mm-tpl-raw'))!;
    expect(runtime.metadata.labels).toEqual({ 'opendatahub.io/dashboard': 'true', 'template.openshift.io/template-instance-owner': 'ml-platform' });
    expect(runtime.metadata.annotations).toMatchObject({ 'openshift.io/display-name': 'Team OpenVINO (CPU)', 'opendatahub.io/template-name': 'team-ovms-kserve' });
    expect(runtime.metadata.annotations).not.toHaveProperty('migration.kserve.io/opset1-compatibility');
    expect((runtime.spec as { containers: unknown[] }).containers).toEqual([
      // LOG_LEVEL is no parameter of the Template: left as it is, as oc process leaves it.
      { name: 'kserve-container', image: 'quay.example.com/ovms:2025.2', args: ['--model_name={{.Name}}', '--target_device=CPU', '--log_level=${LOG_LEVEL}'] },
    ]);
    expect((runtime.spec as { supportedModelFormats: unknown[] }).supportedModelFormats).toEqual([{ name: 'openvino_ir', version: 'opset13', autoSelect: true }]);
    // opset1 upgrade: the model asks for opset13 instead.
    expect((await get(ISVC, 'fraud-detector', 'mm-tpl-raw'))!.spec).toMatchObject({ predictor: { model: { modelFormat: { name: 'openvino_ir', version: 'opset13' } } } });
  });

  it('a Template parameter that is required and not given stops the run before anything is made', async () => {
    await copyModelMeshModel(kube, 'mm-tpl-missing');
    await kube.patch({ ...RUNTIME, name: 'ovms', namespace: 'mm-tpl-missing' }, 'merge', { metadata: { annotations: { 'opendatahub.io/template-name': 'team-ovms' } } });
    const { run } = await migrate({ fromNamespace: 'mm-tpl-missing', runtimeTemplates: { 'team-ovms': 'team-ovms-kserve' } });
    expect(run.code).not.toBe(0);
    expect(run.stderr + JSON.stringify(resultsOf(run).get('modelmesh-to-raw/convert/template-found[mm-tpl-missing/fraud-detector]'))).toMatch(/OVMS_IMAGE is required/);
    expect(await get({ apiVersion: 'v1', kind: 'Namespace' }, 'mm-tpl-missing-raw')).toBeNull();
  });
});

describe('OpenVINO IR opset1, storage and auto-versioning', () => {
  it('skip leaves the model on ModelMesh and says so', async () => {
    await copyModelMeshModel(kube, 'mm-skip');
    const { run } = await migrate({ fromNamespace: 'mm-skip', opset1: 'skip' });
    expect(run.code, run.stderr).toBe(0);
    const findings = run.events.filter((e) => e.type === 'finding').map((e) => (e as { finding: { check: string; severity: string; objects?: string[] } }).finding);
    expect(findings).toContainEqual(expect.objectContaining({ check: 'modelmesh-opset1-skipped', severity: 'warning', objects: ['InferenceService mm-skip/fraud-detector'] }));
    expect(modeOf(await get(ISVC, 'fraud-detector', 'mm-skip'))).toBe('ModelMesh');
    expect(await get({ apiVersion: 'v1', kind: 'Namespace' }, 'mm-skip-raw')).toBeNull();
  });

  it('a new storage URI reaches the model and the URI data connection it names; always auto-versioning annotates only a model without one', async () => {
    await copyModelMeshModel(kube, 'mm-uri');
    await kube.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'uri-models', namespace: 'mm-uri', labels: { 'opendatahub.io/dashboard': 'true' }, annotations: { 'opendatahub.io/connection-type': 'uri-v1' } },
      type: 'Opaque',
      stringData: { URI: 'https://models.example.com/fraud/' },
    });
    await kube.patch({ ...ISVC, name: 'fraud-detector', namespace: 'mm-uri' }, 'merge', { spec: { predictor: { model: { storage: { key: 'uri-models' } } } } });
    const { run } = await migrate({ fromNamespace: 'mm-uri', storageUris: { 'fraud-detector': 'https://models.example.com/fraud-v2/' }, ovmsAutoVersioning: 'always' });
    expect(run.code, run.stderr).toBe(0);
    const isvc = (await get(ISVC, 'fraud-detector', 'mm-uri-raw'))!;
    expect((isvc.spec as { predictor: { model: { storageUri: string } } }).predictor.model.storageUri).toBe('https://models.example.com/fraud-v2/');
    // The model's files move, so KServe's auto-versioning is not asked for.
    expect(isvc.metadata.annotations).not.toHaveProperty('storage.kserve.io/ovms-auto-versioning');
    const copied = (await get({ apiVersion: 'v1', kind: 'Secret' }, 'uri-models', 'mm-uri-raw'))!;
    expect(Buffer.from((copied.data as Record<string, string>).URI!, 'base64').toString()).toBe('https://models.example.com/fraud-v2/');
    // The S3 data connection it does not name is not copied.
    expect(await get({ apiVersion: 'v1', kind: 'Secret' }, 'aws-connection-models', 'mm-uri-raw')).toBeNull();

    await copyModelMeshModel(kube, 'mm-versioning');
    const versioned = await migrate({ fromNamespace: 'mm-versioning', ovmsAutoVersioning: 'always' });
    expect(versioned.run.code, versioned.run.stderr).toBe(0);
    expect((await get(ISVC, 'fraud-detector', 'mm-versioning-raw'))!.metadata.annotations).toMatchObject({ 'storage.kserve.io/ovms-auto-versioning': '1' });
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
