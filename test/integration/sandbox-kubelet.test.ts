// The sandbox's simulated kubelet, through the real kube-apiserver: the Node it registers and keeps
// alive, the pods the simulator runs for LlamaStackDistributions and TrustyAIServices (owner chain,
// labels, containers, volumes, seeded data), and exec into them as a client does it — client-node
// over WebSocket (v5.channel.k8s.io, translated by the API server to SPDY towards the kubelet) and
// the kubectl built with the control plane: stdout, stderr, exit codes, tar out and in.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Exec } from '@kubernetes/client-node';
import { Parser } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/types.js';
import { ensureControlPlaneBinaries } from '../../src/sandbox/controlplane/build.js';
import { PODS_DIR_ANNOTATION } from '../../src/sandbox/kubelet/node.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { eventually } from './support/cluster.js';
import { startTestSandbox } from './support/sandbox.js';

const DATA = '/opt/app-root/src/.llama/distributions/rh';

const SCENARIO = `
apiVersion: v1
kind: Namespace
metadata: { name: llama-k }
---
apiVersion: llamastack.io/v1alpha1
kind: LlamaStackDistribution
metadata: { name: llsd-a, namespace: llama-k }
spec: { replicas: 1, server: { distribution: { name: rh-dev } } }
---
apiVersion: llamastack.io/v1alpha1
kind: LlamaStackDistribution
metadata: { name: llsd-custom, namespace: llama-k }
spec: { replicas: 1, server: { containerSpec: { name: server, port: 8321 }, distribution: { name: rh-dev }, storage: { size: 1Gi, mountPath: /data/llama } } }
---
apiVersion: v1
kind: Namespace
metadata: { name: trusty-k }
---
apiVersion: trustyai.opendatahub.io/v1alpha1
kind: TrustyAIService
metadata: { name: tas-a, namespace: trusty-k }
spec: { storage: { format: PVC, folder: /inputs, size: 1Gi }, data: { filename: data.csv, format: CSV }, metrics: { schedule: 5s } }
`;

interface Ran {
  code: number;
  stdout: Buffer;
  stderr: string;
  status: { status?: string; reason?: string; message?: string; details?: { causes?: { reason?: string; message?: string }[] } };
}

describe('sandbox kubelet', () => {
  let sandbox: Sandbox;
  let scratch: string;
  let kubectl: string;

  interface OwnerRef {
    kind: string;
    name: string;
    uid: string;
  }
  const ownersOf = (o: KubeObject | null | undefined): OwnerRef[] => (o?.metadata.ownerReferences ?? []) as OwnerRef[];
  const pods = async (ns: string, selector: string): Promise<KubeObject[]> => (await sandbox.kube.list({ apiVersion: 'v1', kind: 'Pod', namespace: ns }, { labelSelector: selector })).items;

  /** Exec through client-node's WebSocket client, the way the runbook's steps do it. */
  const exec = async (ns: string, pod: string, container: string, command: string[], stdin?: Buffer): Promise<Ran> => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const stdout = new PassThrough().on('data', (d: Buffer) => out.push(d));
    const stderr = new PassThrough().on('data', (d: Buffer) => err.push(d));
    let status: Ran['status'] = {};
    const kc = sandbox.kube.kubeConfig;
    const ws = await new Exec(kc).exec(ns, pod, container, command, stdout, stderr, stdin ? Readable.from([stdin]) : null, false, (s) => {
      status = s as Ran['status'];
    });
    await new Promise<void>((resolve) => (ws as unknown as { on(e: string, f: () => void): void }).on('close', () => resolve()));
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
    return { code: status.status === 'Success' ? 0 : Number(cause ?? -1), stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString(), status };
  };

  const kubectlRun = (args: string[], stdin?: Buffer): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = execFile(kubectl, ['--kubeconfig', sandbox.kubeconfigPath, ...args], { env: { HOME: scratch, PATH: process.env.PATH ?? '' }, encoding: 'buffer' }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout: stdout.toString(), stderr: stderr.toString() }),
      );
      child.stdin?.end(stdin);
    });

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'runbook-kubelet-'));
    await writeFile(join(scratch, 'scenario.yaml'), SCENARIO);
    kubectl = join((await ensureControlPlaneBinaries()).binDir, 'kubectl');
    sandbox = await startTestSandbox({ scenario: join(scratch, 'scenario.yaml') });
  });
  afterAll(async () => {
    await sandbox?.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  it('registers a Ready node with its kubelet endpoint and renews its lease', async () => {
    const node = await sandbox.kube.get({ apiVersion: 'v1', kind: 'Node', name: 'sandbox-node' });
    const status = node?.status as { conditions: { type: string; status: string }[]; addresses: unknown[]; daemonEndpoints: { kubeletEndpoint: { Port: number } } };
    expect(status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(status.addresses).toEqual([{ type: 'InternalIP', address: '127.0.0.1' }]);
    expect(status.daemonEndpoints.kubeletEndpoint.Port).toBeGreaterThan(0);
    const lease = await sandbox.kube.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name: 'sandbox-node', namespace: 'kube-node-lease' });
    expect(lease?.spec).toMatchObject({ holderIdentity: 'sandbox-node', leaseDurationSeconds: 40 });
    expect(ownersOf(lease)[0]).toMatchObject({ kind: 'Node', name: 'sandbox-node', uid: node!.metadata.uid });
  });

  it('runs a pod per LlamaStackDistribution as the operator does, owned through Deployment and ReplicaSet', async () => {
    const [pod] = await pods('llama-k', 'app.kubernetes.io/instance=llsd-a');
    expect(pod).toBeDefined();
    expect(pod!.metadata.labels).toMatchObject({ app: 'llama-stack', 'app.kubernetes.io/instance': 'llsd-a' });
    expect((pod!.spec as { nodeName: string }).nodeName).toBe('sandbox-node');
    expect((pod!.status as { phase: string }).phase).toBe('Running');
    expect((pod!.spec as { containers: { name: string }[] }).containers.map((c) => c.name)).toEqual(['llama-stack']);
    // pod → ReplicaSet → Deployment → LlamaStackDistribution; the Deployment is the ReplicaSet's name minus its hash.
    const rsRef = ownersOf(pod)[0]!;
    expect(rsRef.kind).toBe('ReplicaSet');
    expect(rsRef.name.replace(/-[^-]+$/, '')).toBe('llsd-a');
    const rs = await sandbox.kube.get({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsRef.name, namespace: 'llama-k' });
    expect(ownersOf(rs)[0]).toMatchObject({ kind: 'Deployment', name: 'llsd-a', controller: true });
    const deployment = await sandbox.kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'llsd-a', namespace: 'llama-k' });
    expect(ownersOf(deployment)[0]).toMatchObject({ kind: 'LlamaStackDistribution', name: 'llsd-a', controller: true });
    expect(deployment?.status).toMatchObject({ readyReplicas: 1, availableReplicas: 1 });

    const [custom] = await pods('llama-k', 'app.kubernetes.io/instance=llsd-custom');
    const spec = custom!.spec as { containers: { name: string; volumeMounts: unknown[] }[]; volumes: unknown[] };
    expect(spec.containers.map((c) => c.name)).toEqual(['server']);
    expect(spec.containers[0]!.volumeMounts).toEqual([{ name: 'lls-storage', mountPath: '/data/llama/' }]);
    expect(spec.volumes).toEqual([{ name: 'lls-storage', persistentVolumeClaim: { claimName: 'llsd-custom-pvc' } }]);
  });

  it('runs the TrustyAIService pod with its PVC volume "volume" at the storage folder', async () => {
    const [pod] = await pods('trusty-k', 'app=tas-a');
    const spec = pod!.spec as { containers: { name: string; volumeMounts?: unknown[] }[]; volumes: unknown[] };
    expect(spec.containers.map((c) => c.name)).toEqual(['trustyai-service', 'oauth-proxy']);
    expect(spec.containers[0]!.volumeMounts).toEqual([{ name: 'volume', mountPath: '/inputs' }]);
    expect(spec.volumes).toEqual([{ name: 'volume', persistentVolumeClaim: { claimName: 'tas-a-pvc' } }]);
    expect(pod!.metadata.labels).toMatchObject({ app: 'tas-a', 'app.kubernetes.io/name': 'tas-a', 'app.kubernetes.io/part-of': 'trustyai' });
  });

  it('exec: stdout, stderr and exit codes through the API server', async () => {
    const [pod] = await pods('llama-k', 'app.kubernetes.io/instance=llsd-a');
    const name = pod!.metadata.name!;
    const ls = await exec('llama-k', name, 'llama-stack', ['ls', DATA]);
    expect(ls).toMatchObject({ code: 0, stderr: '' });
    expect(ls.stdout.toString()).toBe('files\nkvstore.db\nsql_store.db\n');
    expect((await exec('llama-k', name, 'llama-stack', ['cat', `${DATA}/kvstore.db`])).stdout.subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
    const missing = await exec('llama-k', name, 'llama-stack', ['cat', '/nope']);
    expect(missing).toMatchObject({ code: 1, stderr: 'cat: /nope: No such file or directory\n' });
    expect(missing.status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode' });
    expect(await exec('llama-k', name, 'llama-stack', ['bash', '-c', 'true'])).toMatchObject({ code: 127, stderr: 'bash: command not found\n' });
    expect((await exec('llama-k', name, 'llama-stack', ['test', '-d', DATA])).code).toBe(0);
  });

  it('exec: tar out, and tar in through stdin', async () => {
    const [pod] = await pods('trusty-k', 'app=tas-a');
    const name = pod!.metadata.name!;
    const out = await exec('trusty-k', name, 'trustyai-service', ['tar', '--warning=no-file-changed', '--ignore-failed-read', '-czf', '-', '-C', '/inputs', '.']);
    expect(out.code).toBe(0);
    const names: string[] = [];
    const parser = new Parser({ onReadEntry: (e) => (names.push(e.path), e.resume()) });
    await new Promise<void>((resolve) => parser.on('end', () => resolve()).end(out.stdout));
    expect(names.sort()).toEqual(['./', './fraud-model-data.csv', './fraud-model-internal_data.csv', './fraud-model-metadata.json']);

    await exec('trusty-k', name, 'trustyai-service', ['mkdir', '-p', '/restored']);
    const back = await exec('trusty-k', name, 'trustyai-service', ['tar', 'xzf', '-', '-C', '/restored'], out.stdout);
    expect(back).toMatchObject({ code: 0, stderr: '' });
    const csv = await exec('trusty-k', name, 'trustyai-service', ['cat', '/restored/fraud-model-data.csv']);
    expect(csv.stdout.toString()).toBe('age,income,outcome\n34,52000,0\n51,81000,1\n');
    // The other container of the pod has a filesystem of its own.
    expect((await exec('trusty-k', name, 'oauth-proxy', ['test', '-e', '/inputs'])).code).toBe(1);
  });

  it('kubectl exec works too, in and out', async () => {
    const [pod] = await pods('llama-k', 'app.kubernetes.io/instance=llsd-a');
    const name = pod!.metadata.name!;
    expect(await kubectlRun(['exec', '-n', 'llama-k', name, '--', 'cat', `${DATA}/files/file-5f0c2a.txt`])).toMatchObject({ code: 0, stdout: 'a document uploaded to llsd-a\n' });
    expect(await kubectlRun(['exec', '-n', 'llama-k', name, '--', 'test', '-d', '/nope'])).toMatchObject({ code: 1 });
    expect(await kubectlRun(['exec', '-i', '-n', 'llama-k', name, '--', 'cat'], Buffer.from('through stdin\n'))).toMatchObject({ code: 0, stdout: 'through stdin\n' });
  });

  it('removes the pods and their filesystems with their owner', async () => {
    const [pod] = await pods('llama-k', 'app.kubernetes.io/instance=llsd-a');
    const node = await sandbox.kube.get({ apiVersion: 'v1', kind: 'Node', name: 'sandbox-node' });
    const podsDir = node!.metadata.annotations![PODS_DIR_ANNOTATION]!;
    const folder = join(podsDir, 'llama-k', pod!.metadata.name!);
    expect((await stat(join(folder, 'llama-stack', DATA, 'kvstore.db'))).isFile()).toBe(true);
    await sandbox.kube.delete({ apiVersion: 'llamastack.io/v1alpha1', kind: 'LlamaStackDistribution', name: 'llsd-a', namespace: 'llama-k' });
    await eventually('the pod of llsd-a to be gone', async () => (await pods('llama-k', 'app.kubernetes.io/instance=llsd-a')).length === 0, { timeoutMs: 60_000 });
    await eventually('its filesystem to be gone', async () => (await stat(folder).catch(() => undefined)) === undefined, { timeoutMs: 10_000 });
    expect(await sandbox.kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'llsd-a', namespace: 'llama-k' })).toBeNull();
    // The other distribution's pod is untouched.
    expect(await pods('llama-k', 'app.kubernetes.io/instance=llsd-custom')).toHaveLength(1);
    expect(await readdir(join(podsDir, 'llama-k'))).toHaveLength(1);
    expect(await readFile(join(podsDir, 'llama-k', (await pods('llama-k', 'app.kubernetes.io/instance=llsd-custom'))[0]!.metadata.name!, 'server', 'data/llama/kvstore.db'))).toBeTruthy();
  });
});
