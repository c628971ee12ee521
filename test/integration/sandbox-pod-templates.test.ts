// The simulator's workload controllers check the pods they would create from an object's template
// with the real API server (a dry-run create), and say what it refused in the object's status, as
// KubeRay, the notebook controller, KServe and the Llama Stack operator do: on the `minimal`
// scenario (RHOAI 2.25), in namespaces of this file's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { conditionOf, startTestSandbox, statusOf, until } from './support/sandbox.js';

const NS = 'pod-templates';
const RAY = { apiVersion: 'ray.io/v1', kind: 'RayCluster' } as const;
const NOTEBOOK = { apiVersion: 'kubeflow.org/v1', kind: 'Notebook' } as const;
const IMAGE = 'quay.io/modh/ray:2.47.1-py311-cu121';

let sandbox: Sandbox;
let kube: KubeClient;

beforeAll(async () => {
  sandbox = await startTestSandbox({ scenario: 'minimal', speed: 0 });
  kube = sandbox.kube;
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
}, 600_000);

afterAll(async () => {
  await sandbox?.stop();
});

interface PodSpecShape {
  containers: Record<string, unknown>[];
  volumes?: Record<string, unknown>[];
  [k: string]: unknown;
}

const podSpec = (mounts: string[] = [], volumes: string[] = mounts, extra: Record<string, unknown> = {}): PodSpecShape => ({
  containers: [{ name: 'ray', image: IMAGE, volumeMounts: mounts.map((m) => ({ name: m, mountPath: `/mnt/${m}` })), ...extra }],
  volumes: volumes.map((v) => ({ name: v, emptyDir: {} })),
});

function rayCluster(name: string, head: PodSpecShape, workers: { group: string; replicas: number; spec: PodSpecShape }[], suspend?: boolean): KubeObject {
  return {
    ...RAY,
    metadata: { name, namespace: NS },
    spec: {
      ...(suspend !== undefined ? { suspend } : {}),
      headGroupSpec: { rayStartParams: {}, template: { spec: head } },
      workerGroupSpecs: workers.map((w) => ({ groupName: w.group, replicas: w.replicas, minReplicas: w.replicas, maxReplicas: w.replicas, rayStartParams: {}, template: { spec: w.spec } })),
    },
  };
}

const ref = (kind: typeof RAY | typeof NOTEBOOK, name: string) => ({ ...kind, name, namespace: NS });
const observed = (o: KubeObject): boolean => statusOf<{ observedGeneration?: number }>(o).observedGeneration === o.metadata.generation;

describe('KubeRay: the head and every worker group are created from their templates', () => {
  it('a cluster whose templates the API server accepts is ready, with KubeRay\'s conditions', async () => {
    await kube.create(rayCluster('good', podSpec(['data']), [{ group: 'small', replicas: 2, spec: podSpec(['data']) }, { group: 'big', replicas: 1, spec: podSpec() }]));
    const rc = await until(kube, ref(RAY, 'good'), 'the RayCluster ready', (o) => observed(o) && statusOf(o).state === 'ready');
    expect(statusOf(rc)).toMatchObject({ desiredWorkerReplicas: 3, availableWorkerReplicas: 3, readyWorkerReplicas: 3 });
    expect(conditionOf(rc, 'HeadPodReady')).toMatchObject({ status: 'True', reason: 'HeadPodRunningAndReady' });
    expect(conditionOf(rc, 'RayClusterProvisioned')).toMatchObject({ status: 'True', reason: 'AllPodRunningAndReadyFirstTime' });
    expect(conditionOf(rc, 'ReplicaFailure')).toBeUndefined();
    // Only dry runs: no pod was stored.
    expect((await kube.list({ apiVersion: 'v1', kind: 'Pod', namespace: NS })).items).toEqual([]);
  });

  it('a head that mounts a volume it does not have is refused: ReplicaFailure in the server\'s words, no ready state', async () => {
    await kube.create(rayCluster('dangling-head', podSpec(['ca-vol', 'data'], ['data']), [{ group: 'small', replicas: 1, spec: podSpec() }]));
    const rc = await until(kube, ref(RAY, 'dangling-head'), 'the refusal reported', (o) => observed(o) && conditionOf(o, 'ReplicaFailure') !== undefined);
    const failure = conditionOf(rc, 'ReplicaFailure')!;
    expect(failure).toMatchObject({ status: 'True', reason: 'FailedCreateHeadPod' });
    expect(failure.message).toMatch(/^FailedCreateHeadPod\nPod "dangling-head-head-[a-z0-9]+" is invalid: spec\.containers\[0\]\.volumeMounts\[0\]\.name: Not found: "ca-vol"/);
    expect(conditionOf(rc, 'HeadPodReady')).toMatchObject({ status: 'False', reason: 'HeadPodNotFound', message: 'Head Pod not found' });
    expect(conditionOf(rc, 'RayClusterProvisioned')).toMatchObject({ status: 'False', reason: 'RayClusterPodsProvisioning' });
    expect(statusOf(rc).state).toBeUndefined();
    expect(statusOf(rc).availableWorkerReplicas).toBe(0);

    // Asked once per generation: a metadata change (no new generation) and the status writes it
    // causes do not ask again, so the generated pod name in the message stays the same.
    await kube.patch(ref(RAY, 'dangling-head'), 'merge', { metadata: { labels: { touched: 'yes' } } });
    await sandbox.simulator.settled();
    const again = (await kube.get(ref(RAY, 'dangling-head')))!;
    expect(again.metadata.labels?.touched).toBe('yes');
    expect(conditionOf(again, 'ReplicaFailure')!.message).toBe(failure.message);

    // The template fixed (a new generation): asked again, accepted, ready.
    await kube.patch(ref(RAY, 'dangling-head'), 'json', [{ op: 'remove', path: '/spec/headGroupSpec/template/spec/containers/0/volumeMounts/0' }]);
    const fixed = await until(kube, ref(RAY, 'dangling-head'), 'the fixed RayCluster ready', (o) => observed(o) && statusOf(o).state === 'ready');
    expect(conditionOf(fixed, 'ReplicaFailure')).toBeUndefined();
    expect(conditionOf(fixed, 'HeadPodReady')?.status).toBe('True');
  });

  it('a worker group the API server refuses: FailedCreateWorkerPod, the head and the other groups run', async () => {
    await kube.create(
      rayCluster('dangling-worker', podSpec(), [
        { group: 'fine', replicas: 2, spec: podSpec() },
        { group: 'broken', replicas: 3, spec: podSpec(['server-cert'], []) },
      ]),
    );
    const rc = await until(kube, ref(RAY, 'dangling-worker'), 'the refusal reported', (o) => observed(o) && conditionOf(o, 'ReplicaFailure') !== undefined);
    expect(conditionOf(rc, 'ReplicaFailure')).toMatchObject({ status: 'True', reason: 'FailedCreateWorkerPod' });
    expect(conditionOf(rc, 'ReplicaFailure')!.message).toMatch(/^FailedCreateWorkerPod\nPod "dangling-worker-broken-worker-[a-z0-9]+" is invalid: spec\.containers\[0\]\.volumeMounts\[0\]\.name: Not found: "server-cert"/);
    expect(conditionOf(rc, 'HeadPodReady')?.status).toBe('True');
    expect(statusOf(rc)).toMatchObject({ desiredWorkerReplicas: 5, availableWorkerReplicas: 2 });
  });

  it('a container without an image is refused too; a group of 0 replicas makes no pod and is not checked', async () => {
    const noImage = podSpec([], [], { image: undefined });
    await kube.create(rayCluster('no-image', noImage, []));
    const rc = await until(kube, ref(RAY, 'no-image'), 'the refusal reported', (o) => observed(o) && conditionOf(o, 'ReplicaFailure') !== undefined);
    expect(conditionOf(rc, 'ReplicaFailure')!.message).toMatch(/spec\.containers\[0\]\.image: Required value/);

    await kube.create(rayCluster('idle-group', podSpec(), [{ group: 'idle', replicas: 0, spec: podSpec(['missing'], []) }]));
    const idle = await until(kube, ref(RAY, 'idle-group'), 'the RayCluster ready', (o) => observed(o) && statusOf(o).state === 'ready');
    expect(statusOf(idle).desiredWorkerReplicas).toBe(0);
  });

  it('a suspended cluster has no pods to check and says so as KubeRay does', async () => {
    await kube.create(rayCluster('queued', podSpec(['ca-vol'], []), [{ group: 'gpu', replicas: 4, spec: podSpec(['ca-vol'], []) }], true));
    const rc = await until(kube, ref(RAY, 'queued'), 'the RayCluster suspended', (o) => observed(o) && statusOf(o).state === 'suspended');
    expect(conditionOf(rc, 'RayClusterSuspended')).toMatchObject({ status: 'True', reason: 'RayClusterSuspended' });
    expect(conditionOf(rc, 'RayClusterSuspending')).toMatchObject({ status: 'False' });
    expect(conditionOf(rc, 'HeadPodReady')).toMatchObject({ status: 'False', reason: 'HeadPodNotFound' });
    expect(conditionOf(rc, 'RayClusterProvisioned')).toMatchObject({ status: 'False', message: 'RayCluster has been suspended' });
    expect(conditionOf(rc, 'ReplicaFailure')).toBeUndefined();
    expect(statusOf(rc)).toMatchObject({ desiredWorkerReplicas: 4, availableWorkerReplicas: 0 });

    // Admitted (suspend false): now its pods are made, and refused.
    await kube.patch(ref(RAY, 'queued'), 'merge', { spec: { suspend: false } });
    const admitted = await until(kube, ref(RAY, 'queued'), 'the refusal reported', (o) => observed(o) && conditionOf(o, 'ReplicaFailure') !== undefined);
    expect(conditionOf(admitted, 'ReplicaFailure')?.reason).toBe('FailedCreateHeadPod');
    // KubeRay leaves the state as it was.
    expect(statusOf(admitted).state).toBe('suspended');
  });
});

describe('Notebook: the workbench pod is created from spec.template', () => {
  const notebook = (name: string, spec: PodSpecShape, stopped = false): KubeObject => ({
    ...NOTEBOOK,
    metadata: { name, namespace: NS, ...(stopped ? { annotations: { 'kubeflow-resource-stopped': '2026-01-01T00:00:00Z' } } : {}) },
    spec: { template: { spec } },
  });

  it('a running workbench whose pod is refused is not ready, with the StatefulSet controller\'s words', async () => {
    await kube.create(notebook('broken-wb', podSpec(['oauth-config'], [])));
    const nb = await until(kube, ref(NOTEBOOK, 'broken-wb'), 'the refusal reported', (o) => conditionOf(o, 'Ready')?.reason === 'FailedCreate');
    expect(conditionOf(nb, 'Ready')?.status).toBe('False');
    expect(conditionOf(nb, 'Ready')!.message).toMatch(/^create Pod broken-wb-0 in StatefulSet broken-wb failed error: Pod "broken-wb-[a-z0-9]+" is invalid: spec\.containers\[0\]\.volumeMounts\[0\]\.name: Not found: "oauth-config"/);
    expect(statusOf(nb).readyReplicas).toBe(0);
  });

  it('a stopped workbench makes no pod, and a good one runs', async () => {
    await kube.create(notebook('stopped-wb', podSpec(['oauth-config'], []), true));
    const stopped = await until(kube, ref(NOTEBOOK, 'stopped-wb'), 'the workbench stopped', (o) => conditionOf(o, 'Ready')?.reason === 'Stopped');
    expect(conditionOf(stopped, 'Ready')?.status).toBe('False');
    await kube.create(notebook('good-wb', podSpec(['home'])));
    const good = await until(kube, ref(NOTEBOOK, 'good-wb'), 'the workbench running', (o) => conditionOf(o, 'Ready')?.status === 'True');
    expect(statusOf(good).readyReplicas).toBe(1);
  });
});

describe('KServe: the predictor pod is the ServingRuntime merged with the InferenceService', () => {
  const SERVING = 'pod-templates-serving';
  const ISVC = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' } as const;
  const isvc = (name: string, model: Record<string, unknown>, predictor: Record<string, unknown> = {}): KubeObject => ({
    ...ISVC,
    metadata: { name, namespace: SERVING, annotations: { 'serving.kserve.io/deploymentMode': 'RawDeployment' } },
    spec: { predictor: { ...predictor, model: { modelFormat: { name: 'vLLM' }, runtime: 'vllm', storageUri: 'oci://quay.io/models/granite:1.0', ...model } } },
  });
  const ready = (o: KubeObject | null | undefined) => conditionOf(o, 'Ready');

  beforeAll(async () => {
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SERVING } });
    // The runtime brings its shared-memory volume and the mount of it.
    await kube.create({
      apiVersion: 'serving.kserve.io/v1alpha1',
      kind: 'ServingRuntime',
      metadata: { name: 'vllm', namespace: SERVING },
      spec: {
        supportedModelFormats: [{ name: 'vLLM', autoSelect: true }],
        containers: [{ name: 'kserve-container', image: 'registry.redhat.io/rhaiis/vllm-cuda-rhel9:3.2.2', args: ['--port=8080'], volumeMounts: [{ name: 'shm', mountPath: '/dev/shm' }] }],
        volumes: [{ name: 'shm', emptyDir: { medium: 'Memory' } }],
      },
    });
  });

  it('a model whose merged pod mounts a volume nobody gives is not ready: the Deployment\'s FailedCreate in the server\'s words', async () => {
    await kube.create(isvc('cache-model', { volumeMounts: [{ name: 'model-cache', mountPath: '/cache' }], env: [{ name: 'HF_HOME', value: '/cache' }] }));
    const ref = { ...ISVC, name: 'cache-model', namespace: SERVING };
    const refused = await until(kube, ref, 'the refusal reported', (o) => ready(o)?.status === 'False');
    expect(ready(refused)).toMatchObject({ reason: 'MinimumReplicasUnavailable' });
    // The model's mount comes after the runtime's (merged by mountPath), so it is the second.
    expect(ready(refused)!.message).toMatch(
      /^Deployment does not have minimum availability\. Deployment cache-model-predictor: ReplicaFailure FailedCreate: Pod "cache-model-predictor-[a-z0-9]+" is invalid: spec\.containers\[0\]\.volumeMounts\[1\]\.name: Not found: "model-cache"/,
    );
    expect(conditionOf(refused, 'PredictorReady')?.status).toBe('False');

    // The volume given in the predictor's pod fields (MergePodSpec adds it to the runtime's): ready.
    await kube.patch(ref, 'merge', { spec: { predictor: { volumes: [{ name: 'model-cache', emptyDir: {} }] } } });
    const fixed = await until(kube, ref, 'the fixed model ready', (o) => observed(o) && ready(o)?.status === 'True');
    expect(conditionOf(fixed, 'PredictorReady')?.status).toBe('True');
  });

  it('a model that only uses the runtime\'s volumes and overrides resources is ready; a runtime that changes is asked about again', async () => {
    const ref = { ...ISVC, name: 'plain-model', namespace: SERVING };
    await kube.create(isvc('plain-model', { resources: { requests: { cpu: '2', memory: '8Gi' }, limits: { cpu: '4', memory: '8Gi' } }, args: ['--max-model-len=4096'] }));
    await until(kube, ref, 'the model ready', (o) => observed(o) && ready(o)?.status === 'True');

    // The runtime loses its volume: the mount the runtime container keeps has nothing to mount.
    await kube.patch({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'ServingRuntime', name: 'vllm', namespace: SERVING }, 'json', [{ op: 'remove', path: '/spec/volumes' }]);
    // A new generation of the model makes KServe build the pod again, from the runtime as it is now.
    await kube.patch(ref, 'merge', { spec: { predictor: { minReplicas: 1 } } });
    const refused = await until(kube, ref, 'the refusal reported', (o) => observed(o) && ready(o)?.status === 'False');
    expect(ready(refused)!.message).toMatch(/spec\.containers\[0\]\.volumeMounts\[0\]\.name: Not found: "shm"/);
  });
});

describe('Llama Stack: the server pod is built from the distribution\'s spec.server', () => {
  const LLAMA = 'pod-templates-llama';
  const LLSD = { apiVersion: 'llamastack.io/v1alpha1', kind: 'LlamaStackDistribution' } as const;
  const distribution = (name: string, podOverrides: Record<string, unknown>): KubeObject => ({
    ...LLSD,
    metadata: { name, namespace: LLAMA },
    spec: {
      replicas: 1,
      server: {
        distribution: { name: 'rh-dev' },
        containerSpec: { name: 'llama-stack', port: 8321, env: [{ name: 'INFERENCE_MODEL', value: 'granite' }], resources: { limits: { memory: '4Gi' } } },
        podOverrides,
      },
    },
  });

  beforeAll(async () => {
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: LLAMA } });
  });

  it('a distribution whose pod the API server accepts runs a pod with its env, resources and extra volume', async () => {
    await kube.create(distribution('good-lls', { volumes: [{ name: 'extra', emptyDir: {} }], volumeMounts: [{ name: 'extra', mountPath: '/extra' }] }));
    const ref = { ...LLSD, name: 'good-lls', namespace: LLAMA };
    await until(kube, ref, 'the distribution ready', (o) => statusOf(o).phase === 'Ready');
    let pod: KubeObject | undefined;
    for (let i = 0; i < 60 && !pod; i++) {
      pod = (await kube.list({ apiVersion: 'v1', kind: 'Pod', namespace: LLAMA })).items.find((p) => p.metadata.labels?.['app.kubernetes.io/instance'] === 'good-lls');
      if (!pod) await new Promise((r) => setTimeout(r, 500));
    }
    const container = (pod!.spec as { containers: { name: string; env: { name: string; value?: string }[]; resources: unknown; volumeMounts: { name: string; mountPath: string }[] }[] }).containers[0]!;
    expect(container.name).toBe('llama-stack');
    expect(container.env).toEqual(expect.arrayContaining([{ name: 'INFERENCE_MODEL', value: 'granite' }, { name: 'HF_HOME', value: '/opt/app-root/src/.llama/distributions/rh/' }]));
    expect(container.resources).toMatchObject({ limits: { memory: '4Gi' }, requests: { cpu: '1', memory: '1Gi' } });
    expect(container.volumeMounts.map((m) => m.name)).toEqual(['lls-storage', 'extra']);
    expect((pod!.spec as { volumes: { name: string }[] }).volumes.map((v) => v.name)).toEqual(['lls-storage', 'extra']);
  });

  it('a distribution that mounts a volume it does not have fails as the operator reports it, with no Deployment', async () => {
    await kube.create(distribution('bad-lls', { volumeMounts: [{ name: 'missing', mountPath: '/missing' }] }));
    const ref = { ...LLSD, name: 'bad-lls', namespace: LLAMA };
    const failed = await until(kube, ref, 'the refusal reported', (o) => statusOf(o).phase === 'Failed');
    expect(conditionOf(failed, 'DeploymentReady')).toMatchObject({ status: 'False', reason: 'DeploymentFailed' });
    expect(conditionOf(failed, 'DeploymentReady')!.message).toMatch(
      /^Resource reconciliation failed: failed to apply manifests: failed to manage resource Deployment\/bad-lls: Deployment\.apps "bad-lls" is invalid: spec\.template\.spec\.containers\[0\]\.volumeMounts\[1\]\.name: Not found: "missing"/,
    );
    await sandbox.simulator.settled();
    expect(await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'bad-lls', namespace: LLAMA })).toBeFalsy();

    // The volume added: the Deployment is made, the pod runs.
    await kube.patch(ref, 'merge', { spec: { server: { podOverrides: { volumes: [{ name: 'missing', emptyDir: {} }] } } } });
    await until(kube, ref, 'the distribution ready', (o) => statusOf(o).phase === 'Ready');
  });
});
