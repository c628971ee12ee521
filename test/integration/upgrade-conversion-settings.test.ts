// The InferenceService conversion inside the 2.25 → 3.3 upgrade, set from the top: the upgrade
// runbook run with --only before/model-serving (what a site does to convert ahead of the upgrade)
// on the full scenario, through the built CLI, with the settings a site gives in its vars file:
// - scope: one namespace (conversionNamespaces: mm-team); the Serverless model of ml-team and a
//   ModelMesh model of another namespace stay as they were;
// - originals kept (conversionKeepOriginals) next to their copies;
// - a target namespace of the site's naming (modelmeshTargetNamespace);
// - a second data connection copied with the models (modelmeshExtraSecrets), where the scope's
//   namespace has it and nowhere else;
// - a new storage path (modelmeshStoragePaths), an opset1 choice per model
//   (modelmeshOpset1Choices), and a runtime whose opendatahub.io/template-name names a Template of
//   the site (modelmeshRuntimeTemplates) with a required parameter (modelmeshTemplateParameters).
// What is asserted is what the API server holds afterwards, and the conversion's files in the
// backup folder. The conversion's own name of a var the upgrade binds (extraSecrets) stops the run
// before anything, naming the upgrade's.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/types.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { REPO, failureOf, runCli } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';
import { conditionOf, startTestSandbox, until } from './support/sandbox.js';

const ISVC = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' } as const;
const RUNTIME = { apiVersion: 'serving.kserve.io/v1alpha1', kind: 'ServingRuntime' } as const;
const SECRET = { apiVersion: 'v1', kind: 'Secret' } as const;
const NAMESPACE = { apiVersion: 'v1', kind: 'Namespace' } as const;
const TEMPLATE = { apiVersion: 'template.openshift.io/v1', kind: 'Template' } as const;
const APPS = 'redhat-ods-applications';

/** A second data connection, as the dashboard creates one; no model names it. */
const ARCHIVE = (namespace: string): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'aws-connection-archive',
      namespace,
      labels: { 'opendatahub.io/dashboard': 'true', 'opendatahub.io/managed': 'true' },
      annotations: { 'opendatahub.io/connection-type': 's3', 'openshift.io/display-name': 'archive' },
    },
    type: 'Opaque',
    stringData: { AWS_ACCESS_KEY_ID: 'archive', AWS_SECRET_ACCESS_KEY: 'archive-secret', AWS_S3_BUCKET: 'archive', AWS_S3_ENDPOINT: 'http://minio.models.svc:9000', AWS_DEFAULT_REGION: 'us-east-1' },
  }) as unknown as KubeObject;

/** An object as the API server has it, made anew in another namespace (or under another name). */
function copyOf(obj: KubeObject, namespace: string, name = obj.metadata.name): KubeObject {
  const { labels, annotations } = obj.metadata;
  const copy = { ...obj, metadata: { name, namespace, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) } } as KubeObject;
  delete (copy as { status?: unknown }).status;
  return copy;
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

describe('the conversion inside the upgrade, set from the top', () => {
  let sandbox: Sandbox;
  const get = (ref: { apiVersion: string; kind: string }, name: string, namespace?: string) => sandbox.kube.get({ ...ref, name, ...(namespace ? { namespace } : {}) });

  beforeAll(async () => {
    sandbox = await startTestSandbox({ scenario: 'full', speed: 0 });
    const kube = sandbox.kube;
    // In scope (mm-team): a second data connection, and a second ModelMesh model on a runtime the
    // site made from a Template of its own, which needs a parameter to be processed.
    await kube.create(ARCHIVE('mm-team'));
    const ovms = (await get(RUNTIME, 'ovms', 'mm-team'))!;
    const teamRuntime = copyOf(ovms, 'mm-team', 'team-ovms');
    teamRuntime.metadata.annotations = { ...teamRuntime.metadata.annotations, 'opendatahub.io/template-name': 'team-ovms', 'openshift.io/display-name': 'team-ovms' };
    await kube.create(teamRuntime);
    await kube.create({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'churn', namespace: 'mm-team', annotations: { 'serving.kserve.io/deploymentMode': 'ModelMesh', 'openshift.io/display-name': 'churn' } },
      spec: { predictor: { model: { modelFormat: { name: 'onnx', version: '1' }, runtime: 'team-ovms', storage: { key: 'aws-connection-models', path: 'churn/' } } } },
    } as unknown as KubeObject);
    await kube.create({
      ...TEMPLATE,
      metadata: { name: 'team-ovms-kserve', namespace: APPS, labels: { 'opendatahub.io/dashboard': 'true' } },
      parameters: [{ name: 'OVMS_IMAGE', required: true }],
      objects: [
        {
          apiVersion: 'serving.kserve.io/v1alpha1',
          kind: 'ServingRuntime',
          metadata: { name: 'team-ovms', annotations: { 'openshift.io/display-name': 'Team OpenVINO' } },
          spec: {
            multiModel: false,
            supportedModelFormats: [{ name: 'onnx', version: '1', autoSelect: true }],
            containers: [{ name: 'kserve-container', image: '${OVMS_IMAGE}', args: ['--model_name={{.Name}}', '--model_path=/mnt/models'] }],
          },
        },
      ],
    } as unknown as KubeObject);
    // Out of scope: the same ModelMesh model in another namespace, with the same two data connections.
    const mmTeam = (await get(NAMESPACE, 'mm-team'))!;
    await kube.create({ ...NAMESPACE, metadata: { name: 'mm-other', labels: mmTeam.metadata.labels } } as KubeObject);
    await kube.create(copyOf(ovms, 'mm-other'));
    await kube.create(copyOf((await get(SECRET, 'aws-connection-models', 'mm-team'))!, 'mm-other'));
    await kube.create(ARCHIVE('mm-other'));
    await kube.create(copyOf((await get(ISVC, 'fraud-detector', 'mm-team'))!, 'mm-other'));
    // The simulated ModelMesh serves the new models before the run, so what changes after is the run's.
    for (const [namespace, name] of [['mm-team', 'churn'], ['mm-other', 'fraud-detector']] as const) {
      await until(kube, { ...ISVC, name, namespace }, `${namespace}/${name} Ready`, (o) => conditionOf(o, 'Ready')?.status === 'True');
    }
  }, 600_000);
  afterAll(() => sandbox?.stop());

  it('converts only mm-team, into the named target with the storage, Templates, opset1 choice and extra data connection given; the originals stay', { timeout: 600_000 }, async () => {
    const backupDir = scratchDir('runbook-conversion-settings-backup');
    const keyOf = (o: KubeObject): string => `${o.metadata.namespace}/${o.metadata.name}`;
    const allModels = async (): Promise<Map<string, KubeObject>> => new Map((await sandbox.kube.list(ISVC, { allNamespaces: true })).items.map((o) => [keyOf(o), o]));
    const unchanged = await allModels();
    // Out of scope: the Serverless model, the ModelMesh copy of mm-other, and whatever else the scenario serves.
    const outside = [...unchanged.keys()].filter((k) => !k.startsWith('mm-team/'));
    expect(outside).toEqual(expect.arrayContaining(['ml-team/granite-chat', 'mm-other/fraud-detector']));
    const vars: Record<string, unknown> = {
      backupDir,
      conversionNamespaces: ['mm-team'],
      conversionKeepOriginals: true,
      modelmeshTargetNamespace: 'serving-{namespace}',
      modelmeshExtraSecrets: ['aws-connection-archive'],
      modelmeshStoragePaths: { 'mm-team/fraud-detector': 'fraud/versioned/' },
      modelmeshOpset1Choices: { 'mm-team/fraud-detector': 'upgrade' },
      modelmeshRuntimeTemplates: { ovms: 'kserve-ovms', 'team-ovms': 'team-ovms-kserve' },
      modelmeshTemplateParameters: { OVMS_IMAGE: 'quay.example.com/team/ovms:2025.2' },
    };
    const r = await runCli([
      'run', join(REPO, 'runbooks/upgrade-2.25-to-3.3.yaml'), '--only', 'before/model-serving',
      '--kubeconfig', sandbox.controlPlane.kubeconfigPath, '--state-dir', scratchDir('runbook-conversion-settings-state'), '--yes', '-o', 'json',
      ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`]),
    ], { cwd: scratchDir('runbook-conversion-settings-cwd') });
    expect(r.code, failureOf(r)).toBe(0);

    // The target namespace of the site's naming, and nothing under the default name.
    expect(await get(NAMESPACE, 'serving-mm-team')).not.toBeNull();
    expect(await get(NAMESPACE, 'mm-team-raw')).toBeNull();

    // fraud-detector: RawDeployment, the new path on the same data connection, opset13 as chosen,
    // its runtime from kserve-ovms without the opset1 compatibility.
    const fraud = (await get(ISVC, 'fraud-detector', 'serving-mm-team'))!;
    expect(fraud.metadata.annotations?.['serving.kserve.io/deploymentMode']).toBe('RawDeployment');
    expect((fraud.spec as { predictor: { model: Record<string, unknown> } }).predictor.model).toMatchObject({
      modelFormat: { name: 'openvino_ir', version: 'opset13' },
      runtime: 'fraud-detector',
      storage: { key: 'aws-connection-models', path: 'fraud/versioned/' },
    });
    for (const name of ['fraud-detector', 'churn']) expect(conditionOf(await get(ISVC, name, 'serving-mm-team'), 'Ready')?.status, name).toBe('True');
    const fraudRuntime = (await get(RUNTIME, 'fraud-detector', 'serving-mm-team'))!;
    expect(fraudRuntime.metadata.annotations).toMatchObject({ 'opendatahub.io/template-name': 'kserve-ovms' });
    expect(fraudRuntime.metadata.annotations).not.toHaveProperty('migration.kserve.io/opset1-compatibility');

    // churn: its runtime from the site's Template, processed with the parameter given.
    const churn = (await get(ISVC, 'churn', 'serving-mm-team'))!;
    expect((churn.spec as { predictor: { model: Record<string, unknown> } }).predictor.model).toMatchObject({
      modelFormat: { name: 'onnx', version: '1' },
      runtime: 'churn',
      storage: { key: 'aws-connection-models', path: 'churn/' },
    });
    const churnRuntime = (await get(RUNTIME, 'churn', 'serving-mm-team'))!;
    expect(churnRuntime.metadata.annotations).toMatchObject({ 'opendatahub.io/template-name': 'team-ovms-kserve', 'openshift.io/display-name': 'Team OpenVINO' });
    expect((churnRuntime.spec as { containers: { image: string }[] }).containers.map((c) => c.image)).toEqual(['quay.example.com/team/ovms:2025.2']);

    // Both data connections copied, byte for byte.
    for (const name of ['aws-connection-models', 'aws-connection-archive']) {
      const copied = await get(SECRET, name, 'serving-mm-team');
      expect(copied, name).not.toBeNull();
      expect(copied!.data).toEqual((await get(SECRET, name, 'mm-team'))!.data);
    }

    // The originals are kept, still on ModelMesh, with their runtimes.
    for (const name of ['fraud-detector', 'churn']) {
      const original = await get(ISVC, name, 'mm-team');
      expect(original?.metadata.uid, name).toBe(unchanged.get(`mm-team/${name}`)!.metadata.uid);
      expect(original?.metadata.annotations?.['serving.kserve.io/deploymentMode']).toBe('ModelMesh');
      expect(original?.spec).toEqual(unchanged.get(`mm-team/${name}`)!.spec);
    }
    expect(await get(RUNTIME, 'ovms', 'mm-team')).not.toBeNull();
    expect(await get(RUNTIME, 'team-ovms', 'mm-team')).not.toBeNull();

    // Out of scope: untouched, and nothing made for them: the only new models are the two copies.
    const after = await allModels();
    const asSet = (o: KubeObject | undefined) => o && { generation: o.metadata.generation, labels: o.metadata.labels, annotations: o.metadata.annotations, spec: o.spec };
    for (const key of outside) expect(asSet(after.get(key)), key).toEqual(asSet(unchanged.get(key)));
    expect([...after.keys()].filter((k) => !unchanged.has(k)).sort()).toEqual(['serving-mm-team/churn', 'serving-mm-team/fraud-detector']);
    expect(await get(NAMESPACE, 'serving-mm-other')).toBeNull();
    expect(await get(NAMESPACE, 'mm-other-raw')).toBeNull();

    // The conversion's files: the extra data connection and the site's Template are in the export.
    const files = filesUnder(join(backupDir, 'modelmesh-to-raw'));
    // A folder per source namespace: mm-team's, and none of mm-other.
    expect(new Set(files.map((f) => f.split('/')[0]))).toEqual(new Set(['mm-team']));
    expect(files).toEqual(
      expect.arrayContaining([
        'mm-team/original-resources/secret/aws-connection-archive-original.yaml',
        'mm-team/new-resources/secret/aws-connection-archive.yaml',
        'mm-team/original-resources/template/team-ovms-kserve.yaml',
      ]),
    );
    expect(filesUnder(join(backupDir, 'serverless-to-raw')).filter((f) => f.includes('granite-chat'))).toEqual([]);
  });

  it("the conversion's own name of a var the upgrade binds stops the run before anything, naming the upgrade's", { timeout: 120_000 }, async () => {
    const r = await runCli([
      'run', join(REPO, 'runbooks/upgrade-2.25-to-3.3.yaml'), '--only', 'before/model-serving',
      '--kubeconfig', sandbox.controlPlane.kubeconfigPath, '--state-dir', scratchDir('runbook-conversion-settings-state'), '--yes', '-o', 'json',
      '--var', 'extraSecrets=["aws-connection-archive"]',
    ], { cwd: scratchDir('runbook-conversion-settings-cwd') });
    expect(r.code).not.toBe(0);
    expect(r.summary).toBeUndefined();
    expect(r.stdout + r.stderr).toContain('modelmeshExtraSecrets');
  });
});
