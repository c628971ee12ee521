// The CLI as the deploy/ Job runs it: no kubeconfig, only the in-cluster configuration a pod gets
// (KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount's token, CA and namespace files under
// /var/run/secrets/kubernetes.io/serviceaccount), with the RBAC `runbook rbac --state kubernetes`
// prints and the state kept in the pod's namespace. The token folder is made in a private mount
// namespace (unshare), so nothing is written to the machine's /run.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { adminKubeconfigPath, loadKubeConfig } from './support/cluster.js';
import { CLI, runCli } from './support/cli-run.js';
import { createNamespace, deleteNamespace } from './support/objects.js';
import { adminKube } from './support/run-step.js';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
let kube: KubeClient;
let jobNs: string;
let targetNs: string;
let dir: string;

beforeAll(async () => {
  kube = adminKube();
  jobNs = await createNamespace(kube, 'in-cluster-job');
  targetNs = await createNamespace(kube, 'in-cluster-target');
  await kube.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'runbook', namespace: jobNs } });
  dir = mkdtempSync(join(tmpdir(), 'runbook-in-cluster-'));
});

afterAll(async () => {
  await deleteNamespace(kube, jobNs);
  await deleteNamespace(kube, targetNs);
  for (const kind of ['ClusterRoleBinding', 'ClusterRole']) await kube.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, name: 'in-cluster-test' }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI with only what a pod has: its service account files and the service env. */
function runInPod(args: string[], files: { token: string; ca: string; namespace: string }, server: URL): Promise<{ code: number | null; stdout: string; stderr: string }> {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name === 'ca' ? 'ca.crt' : name), text);
  const script = `mount -t tmpfs tmpfs /run && mkdir -p ${SA_DIR} && cp "$0"/token "$0"/ca.crt "$0"/namespace ${SA_DIR}/ && exec node "$@"`;
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, dir, CLI, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir, KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port, XDG_CACHE_HOME: join(dir, 'cache') },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('runbook in a pod', () => {
  it('runs with the in-cluster configuration, the printed RBAC and the state in its namespace', { timeout: 180_000 }, async () => {
    const file = join(dir, 'rb.yaml');
    writeFileSync(
      file,
      `apiVersion: runbook.dev/v1
kind: Runbook
metadata: { name: in-pod }
vars:
  target: { default: ${targetNs} }
sections:
  - name: main
    steps:
      - name: Record the run
        apply:
          manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: ran-in-pod, namespace: "{{ target }}" } }
`,
    );
    const printed = await runCli(['rbac', file, '--kubeconfig', adminKubeconfigPath(), '--service-account', `${jobNs}/runbook`, '--state', 'kubernetes', '--name', 'in-cluster-test']);
    expect(printed.code, printed.stderr).toBe(0);
    for (const doc of parseAllDocuments(printed.stdout)) {
      const o = doc.toJS() as KubeObject | null;
      if (o) await kube.create(o);
    }
    const kc = loadKubeConfig(adminKubeconfigPath());
    const { status } = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({ name: 'runbook', namespace: jobNs, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
    const cluster = kc.getCurrentCluster()!;
    const result = await runInPod(
      ['run', file, '--state', 'kubernetes', '-o', 'plain'],
      { token: status!.token!, ca: Buffer.from(cluster.caData!, 'base64').toString('utf8'), namespace: jobNs },
      new URL(cluster.server),
    );
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'ran-in-pod', namespace: targetNs })).not.toBeNull();
    // The state went to the pod's namespace (the in-cluster default), as the Job's resume needs.
    const stateObjects = (await kube.list({ apiVersion: 'v1', kind: 'Secret', namespace: jobNs }, { labelSelector: 'runbook.dev/state=run' })).items;
    expect(stateObjects.map((s) => s.metadata.annotations?.['runbook.dev/status'])).toEqual(['succeeded']);
  });
});
