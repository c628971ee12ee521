// The model-serving parts of the 2.25 → 3.3 runbook that are not the conversions, through the built
// CLI, on a control plane of this file's own with a DSCInitialization whose applications namespace
// is not the default one:
// - before: inferenceservice-config taken from the operator (opendatahub.io/managed "false", marked)
//   with the hardware-profile annotations added to serviceAnnotationDisallowedList inside the JSON
//   string (every other byte kept), the KServe controller restarted and its rollout waited for; a
//   re-run writes nothing; a site that keeps the ConfigMap unmanaged itself is told, not changed.
// - after: the ConfigMap handed back (managed "true") and the controller restarted, once.
// - assess: removed runtime Templates and the vLLM TGIS adapter found from the ServingRuntime (its
//   template annotation, its containers' command and arguments), not from the runtime's name; a
//   ModelMesh target namespace that exists already refused before anything changes.
// There is no deployment controller here: this file plays it for kserve-controller-manager (a new
// pod template is rolled out a moment later), so a wait that did not wait would be seen.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { startControlPlane, type ControlPlane } from '../../src/sandbox/controlplane/launcher.js';
import { installCrds } from '../../src/sandbox/crds/index.js';
import { REPO, changedSteps, failureOf, runCli, type CliRun } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';

const RUNBOOKS = join(REPO, 'runbooks/rhoai-2.25-to-3.3');
const APPS = 'rhoai-apps';
const CM = { apiVersion: 'v1', kind: 'ConfigMap', name: 'inferenceservice-config', namespace: APPS } as const;
const DEPLOY = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'kserve-controller-manager', namespace: APPS } as const;
const ISVC = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' } as const;
const RUNTIME = { apiVersion: 'serving.kserve.io/v1alpha1', kind: 'ServingRuntime' } as const;

// data.inferenceService as the 2.25 operator writes it (red-hat-data-services/rhods-operator
// rhoai-2.25, prefetched-manifests/kserve/overlays/odh/patches/patch-inferenceservice-config.yaml).
const INFERENCE_SERVICE_225 = `{
  "serviceAnnotationDisallowedList": [
    "autoscaling.knative.dev/min-scale",
    "autoscaling.knative.dev/max-scale",
    "internal.serving.kserve.io/storage-initializer-sourceuri",
    "kubectl.kubernetes.io/last-applied-configuration",
    "security.opendatahub.io/enable-auth",
    "networking.knative.dev/visibility",
    "haproxy.router.openshift.io/timeout"
  ]
 }`;
const OTHER_DATA = {
  deploy: '{\n  "defaultDeploymentMode": "Serverless"\n}',
  ingress: '{\n    "ingressGateway" : "knative-serving/knative-ingress-gateway",\n    "disableIngressCreation": true\n}',
  security: '{\n  "autoMountServiceAccountToken": false\n}',
};

let controlPlane: ControlPlane;
let kube: KubeClient;
let player: ReturnType<typeof setInterval> | undefined;
/** When the played deployment controller finished each rollout, by generation. */
const rolledOut = new Map<number, number>();

beforeAll(async () => {
  controlPlane = await startControlPlane();
  await installCrds(controlPlane.kubeconfigPath);
  kube = KubeClient.load({ kubeconfig: controlPlane.kubeconfigPath, env: {} });
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: APPS } });
  await kube.create({ apiVersion: 'dscinitialization.opendatahub.io/v1', kind: 'DSCInitialization', metadata: { name: 'site-dsci' }, spec: { applicationsNamespace: APPS } } as KubeObject);
  await kube.create({ apiVersion: 'datasciencecluster.opendatahub.io/v1', kind: 'DataScienceCluster', metadata: { name: 'site-dsc' }, spec: { components: { kserve: { managementState: 'Managed' } } } } as KubeObject);
  await kube.create({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: DEPLOY.name, namespace: APPS, labels: { 'control-plane': 'kserve-controller-manager' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'control-plane': 'kserve-controller-manager' } },
      template: { metadata: { labels: { 'control-plane': 'kserve-controller-manager' } }, spec: { containers: [{ name: 'manager', image: 'registry.example.com/kserve-controller:2.25' }] } },
    },
  } as KubeObject);
  // The deployment controller: a new generation is rolled out about a second later.
  let busy = false;
  player = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      const d = await kube.get(DEPLOY);
      const generation = d?.metadata.generation ?? 0;
      const observed = (d?.status as { observedGeneration?: number } | undefined)?.observedGeneration ?? 0;
      if (d && observed < generation) {
        await new Promise((r) => setTimeout(r, 1000));
        await kube.patch(DEPLOY, 'merge', { status: { observedGeneration: generation, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 } }, { subresource: 'status' });
        rolledOut.set(generation, Date.now());
      }
    })().finally(() => (busy = false));
  }, 200);
}, 600_000);

afterAll(async () => {
  if (player) clearInterval(player);
  await controlPlane?.stop();
});

function run(file: string, vars: string[] = []): Promise<CliRun> {
  return runCli(['run', join(RUNBOOKS, file), '--kubeconfig', controlPlane.kubeconfigPath, '--state-dir', scratchDir('runbook-state'), '--yes', '-o', 'json', ...vars], {
    cwd: scratchDir('runbook-cwd'),
  });
}

/** The end time of a step, from its node:end event. */
function endOf(r: CliRun, id: string): number {
  const e = r.events.find((x) => x.type === 'node:end' && (x.node as { id: string }).id === id);
  return e ? Date.parse(e.time as string) : NaN;
}

// Backups outside the repository; the conversions are the conversion tests' business.
const before = (): string[] => ['--var', 'convertInferenceServices=false', '--var', `backupDir=${scratchDir('runbook-backup')}`];

describe('inferenceservice-config around the upgrade', () => {
  it('before: unmanaged and marked, the hardware-profile annotations appended in the JSON string, the controller restarted and waited for', { timeout: 120_000 }, async () => {
    await kube.create({ ...CM, metadata: { name: CM.name, namespace: APPS, labels: { 'app.opendatahub.io/kserve': 'true' } }, data: { ...OTHER_DATA, inferenceService: INFERENCE_SERVICE_225 } } as unknown as KubeObject);
    const r = await run('before/model-serving.yaml', before());
    expect(r.code, failureOf(r)).toBe(0);

    const cm = (await kube.get(CM))!;
    expect(cm.metadata.annotations).toEqual({ 'opendatahub.io/managed': 'false', 'runbook.dev/unmanaged-for-upgrade': 'true' });
    const data = cm.data as Record<string, string>;
    // The other keys, and the JSON around the list, byte for byte; the two keys after the last entry.
    expect(data).toEqual({
      ...OTHER_DATA,
      inferenceService: INFERENCE_SERVICE_225.replace(
        '"haproxy.router.openshift.io/timeout"',
        '"haproxy.router.openshift.io/timeout",\n    "opendatahub.io/hardware-profile-name",\n    "opendatahub.io/hardware-profile-namespace"',
      ),
    });
    const parsed = JSON.parse(data.inferenceService!) as { serviceAnnotationDisallowedList: string[] };
    expect(parsed.serviceAnnotationDisallowedList.slice(-2)).toEqual(['opendatahub.io/hardware-profile-name', 'opendatahub.io/hardware-profile-namespace']);

    const d = (await kube.get(DEPLOY))!;
    const restartedAt = (d.spec as { template: { metadata: { annotations?: Record<string, string> } } }).template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'];
    expect(restartedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    // The wait ended only once the (played) controller had rolled the new template out.
    const rollout = rolledOut.get(d.metadata.generation!);
    expect(rollout).toBeDefined();
    expect(endOf(r, 'before/model-serving/hardware-profiles/rollout')).toBeGreaterThanOrEqual(Math.floor(rollout! / 1000) * 1000);

    // A re-run finds everything in place: no write, no second restart.
    const again = await run('before/model-serving.yaml', before());
    expect(again.code, failureOf(again)).toBe(0);
    expect(again.summary?.apiCalls?.writes).toBe(0);
    expect(changedSteps(again).filter((id) => !id.startsWith('before/model-serving/backup'))).toEqual([]);
    expect((await kube.get(DEPLOY))!.metadata.generation).toBe(d.metadata.generation);
  });

  it('assess accepts the JSON; after: handed back (managed "true", mark gone) and the controller restarted, once', { timeout: 120_000 }, async () => {
    const assess = await run('assess/model-serving.yaml');
    expect(assess.code, failureOf(assess)).toBe(0);
    expect(assess.findings.map((f) => f.check)).not.toContain('inferenceservice-config-json');

    const generation = (await kube.get(DEPLOY))!.metadata.generation!;
    const r = await run('after/model-serving.yaml');
    expect(r.code, failureOf(r)).toBe(0);
    const cm = (await kube.get(CM))!;
    expect(cm.metadata.annotations).toEqual({ 'opendatahub.io/managed': 'true' });
    expect((cm.data as Record<string, string>).inferenceService).toContain('"opendatahub.io/hardware-profile-namespace"');
    const d = (await kube.get(DEPLOY))!;
    expect(d.metadata.generation).toBe(generation + 1);
    expect(rolledOut.has(d.metadata.generation!)).toBe(true);
    expect(r.findings).toEqual([]);

    const again = await run('after/model-serving.yaml');
    expect(again.code, failureOf(again)).toBe(0);
    expect(again.summary?.apiCalls?.writes).toBe(0);
    expect((await kube.get(DEPLOY))!.metadata.generation).toBe(generation + 1);
  });

  it('a ConfigMap the site keeps unmanaged itself is told about, given the two keys, and never handed back', { timeout: 120_000 }, async () => {
    await kube.patch(CM, 'merge', { metadata: { annotations: { 'opendatahub.io/managed': 'false' } }, data: { inferenceService: '{"serviceAnnotationDisallowedList": []}' } });
    const generation = (await kube.get(DEPLOY))!.metadata.generation!;
    const r = await run('before/model-serving.yaml', before());
    expect(r.code, failureOf(r)).toBe(0);
    expect(r.findings).toContainEqual(expect.objectContaining({ check: 'inferenceservice-config-unmanaged', severity: 'warning' }));
    const cm = (await kube.get(CM))!;
    expect(cm.metadata.annotations).toEqual({ 'opendatahub.io/managed': 'false' });
    expect((cm.data as Record<string, string>).inferenceService).toBe('{"serviceAnnotationDisallowedList": ["opendatahub.io/hardware-profile-name", "opendatahub.io/hardware-profile-namespace"]}');
    // The content changed, so the controller was restarted.
    expect((await kube.get(DEPLOY))!.metadata.generation).toBe(generation + 1);

    const after = await run('after/model-serving.yaml');
    expect(after.code, failureOf(after)).toBe(0);
    expect((await kube.get(CM))!.metadata.annotations).toEqual({ 'opendatahub.io/managed': 'false' });
    expect(after.summary?.apiCalls?.writes).toBe(0);
  });

  it('without data.inferenceService, the list is all it gets; a JSON it cannot edit is refused before anything changes', { timeout: 120_000 }, async () => {
    await kube.patch(CM, 'merge', { metadata: { annotations: { 'opendatahub.io/managed': null } }, data: { inferenceService: null } });
    const r = await run('before/model-serving.yaml', before());
    expect(r.code, failureOf(r)).toBe(0);
    const json = (await kube.get(CM))!.data as Record<string, string>;
    expect(JSON.parse(json.inferenceService!)).toEqual({ serviceAnnotationDisallowedList: ['opendatahub.io/hardware-profile-name', 'opendatahub.io/hardware-profile-namespace'] });
    expect(json.deploy).toBe(OTHER_DATA.deploy);

    await kube.patch(CM, 'merge', { metadata: { annotations: { 'opendatahub.io/managed': null, 'runbook.dev/unmanaged-for-upgrade': null } }, data: { inferenceService: '{"serviceAnnotationDisallowedList": "opendatahub.io/x"}' } });
    const assess = await run('assess/model-serving.yaml');
    expect(assess.findings).toContainEqual(expect.objectContaining({ check: 'inferenceservice-config-json', severity: 'prohibited' }));
    const refusedRun = await run('before/model-serving.yaml', before());
    expect(refusedRun.code).not.toBe(0);
    expect(refusedRun.findings).toContainEqual(expect.objectContaining({ check: 'inferenceservice-config-json', severity: 'prohibited' }));
    // Nothing changed: still managed by the operator, the JSON as it was.
    const untouched = (await kube.get(CM))!;
    expect(untouched.metadata.annotations ?? {}).toEqual({});
    expect(untouched.data).toMatchObject({ inferenceService: '{"serviceAnnotationDisallowedList": "opendatahub.io/x"}' });
  });
});

describe('serving runtimes, read from the ServingRuntime', () => {
  it('flag a removed Template and the TGIS adapter whatever the runtime is called, and not a name that only looks removed', { timeout: 120_000 }, async () => {
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'models' } });
    const runtime = (name: string, annotations: Record<string, string>, container: Record<string, unknown>) =>
      kube.create({ ...RUNTIME, metadata: { name, namespace: 'models', annotations }, spec: { supportedModelFormats: [{ name: 'x' }], containers: [{ name: 'kserve-container', image: 'registry.example.com/x:1', ...container }] } } as KubeObject);
    const model = (name: string, runtimeName: string, mode = 'RawDeployment') =>
      kube.create({ ...ISVC, metadata: { name, namespace: 'models', annotations: { 'serving.kserve.io/deploymentMode': mode } }, spec: { predictor: { model: { modelFormat: { name: 'x' }, runtime: runtimeName } } } } as KubeObject);
    await runtime('text-classifier', { 'opendatahub.io/template-name': 'caikit-tgis-serving-template' }, {});
    await runtime('caikit-tgis', { 'opendatahub.io/template-name': 'vllm-cuda-runtime-template' }, { command: ['python', '-m', 'vllm.entrypoints.openai.api_server'] });
    await runtime('granite-vllm', { 'opendatahub.io/template-name': 'vllm-cuda-runtime-template' }, { command: ['python', '-m', 'vllm_tgis_adapter'], args: ['--port=8080'] });
    await runtime('ovms', { 'opendatahub.io/template-name': 'ovms' }, {});
    await model('sentiment', 'text-classifier');
    await model('chat', 'caikit-tgis');
    await model('granite', 'granite-vllm');
    await model('mnist', 'ovms', 'ModelMesh');
    await model('orphan', 'no-such-runtime');

    const r = await run('assess/serving-runtimes.yaml');
    const byCheck = Object.fromEntries(r.findings.map((f) => [f.check, { severity: f.severity, objects: f.objects }]));
    expect(byCheck['removed-runtime']).toEqual({ severity: 'critical', objects: ['InferenceService models/sentiment'] });
    expect(byCheck['tgis-api']).toEqual({ severity: 'critical', objects: ['InferenceService models/granite'] });
    expect(byCheck['runtime-missing']).toEqual({ severity: 'info', objects: ['InferenceService models/orphan'] });
    for (const m of ['sentiment', 'chat', 'granite', 'mnist', 'orphan']) await kube.delete({ ...ISVC, name: m, namespace: 'models' });
  });
});

describe('ModelMesh target namespaces, assessed', () => {
  it('an existing target the migration did not make is refused before anything changes; one it made is not', { timeout: 120_000 }, async () => {
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mesh', labels: { 'modelmesh-enabled': 'true' } } });
    await kube.create({ ...ISVC, metadata: { name: 'fraud', namespace: 'mesh', annotations: { 'serving.kserve.io/deploymentMode': 'ModelMesh' } }, spec: { predictor: { model: { modelFormat: { name: 'onnx' }, runtime: 'ovms' } } } } as KubeObject);
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mesh-raw' } });
    const refused = await run('assess/model-serving.yaml');
    expect(refused.summary?.status).toBe('blocked');
    expect(refused.findings).toContainEqual(expect.objectContaining({ check: 'modelmesh-target-exists', severity: 'prohibited', objects: ['Namespace mesh-raw'] }));

    // Reuse asked for: nothing to say.
    const reused = await run('assess/model-serving.yaml', ['--var', 'modelmeshReuseTargetNamespace=true']);
    expect(reused.findings.map((f) => f.check)).not.toContain('modelmesh-target-exists');
    // Another target: nothing to say either.
    const elsewhere = await run('assess/model-serving.yaml', ['--var', 'modelmeshTargetNamespace={namespace}-kserve']);
    expect(elsewhere.findings.map((f) => f.check)).not.toContain('modelmesh-target-exists');

    // Made by the migration of mesh: its own.
    await kube.patch({ apiVersion: 'v1', kind: 'Namespace', name: 'mesh-raw' }, 'merge', { metadata: { annotations: { 'migration.kserve.io/source': 'modelmesh', 'migration.kserve.io/original-namespace': 'mesh' } } });
    const own = await run('assess/model-serving.yaml');
    expect(own.findings.map((f) => f.check)).not.toContain('modelmesh-target-exists');
  });
});
