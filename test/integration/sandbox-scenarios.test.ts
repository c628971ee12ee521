// Scenarios other than `full`: `blocked` (below the supported upgrade path) and a user's files of
// plain objects (multi-document YAML, a `kind: List`) loaded on top of `minimal`, each on a control
// plane of its own; and malformed scenario files, refused with file:line:column before anything starts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/contract/errors.js';
import type { KubeClient } from '../../src/kube/client.js';
import { applyScenario } from '../../src/sandbox/scenario/apply.js';
import { loadScenario } from '../../src/sandbox/scenario/load.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { DSC_V1, OLM, RHOAI_NS, RHOAI_SUB, conditionOf, scratchFiles, startTestSandbox, statusOf, until } from './support/sandbox.js';

const OBJECTS = `# As oc get -o yaml and "---" joins print them.
apiVersion: v1
kind: Namespace
metadata:
  name: team-a
  labels: { opendatahub.io/dashboard: 'true' }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: team-a }
data: { owner: team-a }
---
apiVersion: kubeflow.org/v1
kind: Notebook
metadata:
  name: exported-wb
  namespace: team-a
  annotations: { notebooks.opendatahub.io/inject-oauth: 'true' }
spec:
  template:
    spec:
      containers:
        - { name: exported-wb, image: 'quay.io/modh/odh-minimal-notebook:2025.1' }
        - { name: oauth-proxy, image: 'registry.redhat.io/openshift4/ose-oauth-proxy:v4.19' }
---
apiVersion: route.openshift.io/v1
kind: Route
metadata: { name: exported-wb, namespace: team-a }
spec: { host: exported-wb-team-a.apps.example.com, to: { kind: Service, name: exported-wb } }
status:
  ingress: [{ host: exported-wb-team-a.apps.example.com, routerName: default, conditions: [{ type: Admitted, status: 'True' }] }]
`;

const LIST = `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Namespace
    metadata: { name: team-b }
  - apiVersion: serving.kserve.io/v1beta1
    kind: InferenceService
    metadata:
      name: listed-model
      namespace: team-b
      annotations: { serving.kserve.io/deploymentMode: RawDeployment }
    spec: { predictor: { model: { modelFormat: { name: vLLM }, runtime: vllm-runtime } } }
`;

async function refusal(scenario: string): Promise<string> {
  try {
    await loadScenario(scenario);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error(`expected ${scenario} to be refused`);
}

describe('scenario files', () => {
  let files: ReturnType<typeof scratchFiles>;
  beforeAll(() => {
    files = scratchFiles({
      'objects.yaml': OBJECTS,
      'list.yaml': LIST,
      'bad-yaml.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: { a: b\ndata: {}\n',
      'no-name.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: ok\n',
      'no-name-in-list.yaml': 'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: { namespace: ok }\n',
      'unknown-field.yaml': 'apiVersion: runbook.dev/v1\nkind: SandboxScenario\nmetadata:\n  name: typo\nspec:\n  base: minimal\n  operatorz: []\n',
      'scenario-object-no-name.yaml':
        'apiVersion: runbook.dev/v1\nkind: SandboxScenario\nmetadata:\n  name: x\nspec:\n  objects:\n    - apiVersion: v1\n      kind: ConfigMap\n      metadata: { namespace: default }\n',
    });
  });
  afterAll(() => files?.remove());

  it('reads a multi-document file of objects on top of minimal', async () => {
    const scenario = await loadScenario(`${files.dir}/objects.yaml`);
    const minimal = await loadScenario('minimal');
    expect(scenario.operators).toEqual(minimal.operators);
    expect(scenario.openshiftVersion).toBe('4.19.10');
    expect(scenario.objects.slice(0, minimal.objects.length)).toEqual(minimal.objects);
    expect(scenario.objects.slice(minimal.objects.length).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Namespace/team-a', 'ConfigMap/settings', 'Notebook/exported-wb', 'Route/exported-wb']);
  });

  it('unwraps a List', async () => {
    const scenario = await loadScenario(`${files.dir}/list.yaml`);
    expect(scenario.objects.slice(-2).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Namespace/team-b', 'InferenceService/listed-model']);
  });

  it('refuses bad YAML with its position', async () => {
    expect(await refusal(`${files.dir}/bad-yaml.yaml`)).toMatch(new RegExp(`^${files.dir}/bad-yaml.yaml:5:11: YAML syntax: the mapping \\{ opened here is never closed`));
  });

  it('refuses an object without metadata.name, pointing at its metadata', async () => {
    expect(await refusal(`${files.dir}/no-name.yaml`)).toMatch(new RegExp(`^${files.dir}/no-name.yaml:8:1: object without metadata.name`));
    expect(await refusal(`${files.dir}/no-name-in-list.yaml`)).toMatch(new RegExp(`^${files.dir}/no-name-in-list.yaml:6:5: object without metadata.name`));
    expect(await refusal(`${files.dir}/scenario-object-no-name.yaml`)).toContain(`${files.dir}/scenario-object-no-name.yaml:9:7: scenario: missing required field "spec.objects[0].metadata.name"`);
  });

  it('refuses an unknown field of a SandboxScenario and suggests the known one', async () => {
    const message = await refusal(`${files.dir}/unknown-field.yaml`);
    expect(message).toContain(`${files.dir}/unknown-field.yaml:7:3: scenario: unknown field "spec.operatorz"`);
    expect(message).toContain('did you mean "operators"?');
  });

  it('names the shipped scenarios when neither a name nor a path matches', async () => {
    expect(await refusal('no-such-scenario')).toMatch(/not a shipped scenario \(blocked, full, guide-001, inference-gateway, large, minimal, rag, risky\)/);
  });
});

describe('blocked scenario', () => {
  let sandbox: Sandbox;
  let kube: KubeClient;
  beforeAll(async () => {
    sandbox = await startTestSandbox({ scenario: 'blocked', speed: 0 });
    kube = sandbox.kube;
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('loads OpenShift 4.18.20 and RHOAI 2.25.2', async () => {
    const version = await kube.get({ apiVersion: 'config.openshift.io/v1', kind: 'ClusterVersion', name: 'version' });
    expect(statusOf<{ desired: { version: string }; history: { version: string; state: string }[] }>(version)).toMatchObject({
      desired: { version: '4.18.20' },
      history: [{ version: '4.18.20', state: 'Completed' }],
    });
    expect(version?.spec).toMatchObject({ channel: 'stable-4.18' });
    expect(statusOf(await kube.get({ apiVersion: OLM, kind: 'ClusterServiceVersion', name: 'rhods-operator.2.25.2', namespace: RHOAI_NS })).phase).toBe('Succeeded');
    expect(statusOf(await kube.get(RHOAI_SUB)).installedCSV).toBe('rhods-operator.2.25.2');
    const dsc = await until(kube, DSC_V1, 'the DSC Ready on 2.25.2', (o) => statusOf(o).phase === 'Ready');
    expect(statusOf(dsc).release).toMatchObject({ version: '2.25.2' });
    expect(sandbox.simulator.rhoaiVersion()).toBe('2.25.2');
  });
});

describe("a user's objects on top of minimal", () => {
  let sandbox: Sandbox;
  let kube: KubeClient;
  let files: ReturnType<typeof scratchFiles>;
  beforeAll(async () => {
    files = scratchFiles({ 'objects.yaml': OBJECTS, 'list.yaml': LIST });
    sandbox = await startTestSandbox({ scenario: `${files.dir}/objects.yaml`, speed: 0 });
    kube = sandbox.kube;
  });
  afterAll(async () => {
    await sandbox?.stop();
    files?.remove();
  });

  it('has minimal and the objects of the multi-document file, with their status', async () => {
    expect(statusOf(await kube.get({ apiVersion: OLM, kind: 'ClusterServiceVersion', name: 'rhods-operator.2.25.4', namespace: RHOAI_NS })).phase).toBe('Succeeded');
    await until(kube, DSC_V1, 'the DSC Ready', (o) => statusOf(o).phase === 'Ready');
    expect((await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace: 'team-a' }))?.data).toEqual({ owner: 'team-a' });
    const route = await kube.get({ apiVersion: 'route.openshift.io/v1', kind: 'Route', name: 'exported-wb', namespace: 'team-a' });
    expect(statusOf<{ ingress: { routerName: string }[] }>(route).ingress[0]?.routerName).toBe('default');
    const nb = await until(kube, { apiVersion: 'kubeflow.org/v1', kind: 'Notebook', name: 'exported-wb', namespace: 'team-a' }, 'the workbench running', (o) => conditionOf(o, 'Ready')?.status === 'True');
    expect(statusOf(nb).readyReplicas).toBe(1);
  });

  it('loads a List on top of the running sandbox; the simulator serves what it adds', async () => {
    await applyScenario(kube, await loadScenario(`${files.dir}/list.yaml`));
    const isvc = await until(kube, { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', name: 'listed-model', namespace: 'team-b' }, 'the listed model Ready', (o) => conditionOf(o, 'Ready')?.status === 'True');
    expect(statusOf(isvc).deploymentMode).toBe('RawDeployment');
    // Loading again changes nothing that exists: one DSC, one CSV.
    expect((await kube.list({ apiVersion: DSC_V1.apiVersion, kind: DSC_V1.kind })).items).toHaveLength(1);
    expect((await kube.list({ apiVersion: OLM, kind: 'ClusterServiceVersion', namespace: RHOAI_NS })).items.map((c) => c.metadata.name)).toEqual(['rhods-operator.2.25.4']);
  });
});
