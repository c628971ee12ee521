// The backups the companion scripts take, taken by the upgrade runbook on the `full` sandbox, whose
// simulated pods have files (the sandbox kubelet answers exec):
// - Llama Stack (llamastack/backup-all-llamastack.sh): before the data-loss gate, each
//   distribution's YAML, its ConfigMap with run.yaml written out, its pod and Deployment YAML and
//   the SQLite folder of its pod are on disk; a run without approval stops at the gate (exit 4).
// - TrustyAI (trustyai/backup-data.sh, restore-data.sh): the PVC data of the TrustyAIService is
//   copied out before the upgrade and, after it, copied into the service's pod when its data folder
//   is empty.
// - GPU deadlock (trustyai/break-gpu-deadlock.sh): an InferenceService with a predictor pod Running
//   and one Pending is reported by the assessment, and fixed after the upgrade.
// No backup holds the value of a Secret.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/types.js';
import { containerRoot } from '../../src/sandbox/kubelet/container-fs.js';
import { PODS_DIR_ANNOTATION } from '../../src/sandbox/kubelet/node.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { runCli, type CliRun } from './support/cli-run.js';
import { eventually } from './support/cluster.js';
import { startTestSandbox } from './support/sandbox.js';

const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
const ISVC_LABEL = 'serving.kserve.io/inferenceservice';

/** Every file under `dir`, as paths relative to it (the copy steps' own markers left out). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name !== '.runbook-copy.json')
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** Why a run did not do what was expected: its failed steps, its findings, its stderr. */
function why(r: CliRun): string {
  const failed = r.events.filter((e) => e.type === 'node:end' && (e.result as { status: string }).status === 'failed').map((e) => JSON.stringify(e.result));
  return [r.stderr.slice(-2000), ...failed, ...r.findings.map((f) => JSON.stringify(f))].join('\n');
}

describe('backups of the upgrade runbook on the full scenario', () => {
  let sandbox: Sandbox;
  let work: string;
  let backup: string;
  let stateDir: string;
  let runId: string;

  beforeAll(async () => {
    sandbox = await startTestSandbox({ scenario: 'full', speed: 0 });
    // One folder for both tests: the second resumes the run the first stopped at the gate.
    work = mkdtempSync(join(tmpdir(), 'runbook-upgrade-backups-'));
    backup = join(work, 'backup');
    stateDir = join(work, 'state');
  }, 600_000);
  afterAll(async () => {
    await sandbox?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The host folder that holds a container's files on the sandbox node (the node names where pods live). */
  const containerDir = async (namespace: string, pod: string, container: string): Promise<string> => {
    const node = (await sandbox.kube.list({ apiVersion: 'v1', kind: 'Node' })).items[0]!;
    return containerRoot(node.metadata.annotations![PODS_DIR_ANNOTATION]!, namespace, pod, container);
  };

  const podsOf = async (namespace: string, labelSelector: string): Promise<KubeObject[]> =>
    (await sandbox.kube.list({ ...POD, namespace }, { labelSelector })).items.filter((p) => !p.metadata.deletionTimestamp);

  it('stops at the Llama Stack data-loss gate with every distribution backed up', { timeout: 900_000 }, async () => {
    // An InferenceService whose new predictor pod waits for the GPU its old pod holds.
    const kube = sandbox.kube;
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gpu-team' } });
    const predictor = async (name: string, status: Record<string, unknown>): Promise<void> => {
      await kube.create({
        ...POD,
        metadata: { name, namespace: 'gpu-team', labels: { component: 'predictor', [ISVC_LABEL]: 'llm' } },
        spec: { containers: [{ name: 'kserve-container', image: 'registry.redhat.io/rhaiis/vllm-cuda-rhel9:3.2.2', resources: { limits: { 'nvidia.com/gpu': '1' } } }] },
      });
      await kube.patch({ ...POD, namespace: 'gpu-team', name }, 'merge', { status }, { subresource: 'status' });
    };
    await predictor('llm-predictor-5d9c7b6f4-old01', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] });
    await predictor('llm-predictor-7f8b9c5d6-new02', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.' }] });

    const stopped = await runCli([
      'run', 'runbooks/upgrade-2.25-to-3.3.yaml',
      '--kubeconfig', sandbox.kubeconfigPath,
      '--vars-file', 'runbooks/upgrade-2.25-to-3.3.sandbox-vars.yaml',
      '--var', `backupDir=${backup}`,
      '--state-dir', stateDir, '-o', 'json',
      // The gates before it (support case, tested backup, Ray owners warned) are passed by name.
      '--approve', 'assess/strategy/support-case-gate',
      '--approve', 'assess/backup/gate',
      '--approve', 'before/ray/users-warned',
    ]);
    expect(stopped.code, why(stopped)).toBe(4);
    runId = stopped.summary!.runId;
    const asked = stopped.events.find((e) => e.type === 'approval:required') as { id: string; message: string } | undefined;
    expect(asked?.id).toBe('before/llama-stack/data-loss');
    expect(asked?.message).toContain(`${backup}/llamastack/<namespace>/<name>/`);

    // Llama Stack, as backup-all-llamastack.sh lays it out: <backup>/llamastack/<namespace>/<name>/.
    const custom = join(backup, 'llamastack', 'llama-team', 'llama-stack');
    const [pod] = await podsOf('llama-team', 'app.kubernetes.io/instance=llama-stack');
    expect(pod, 'the sandbox runs a pod for llama-stack').toBeDefined();
    const files = filesUnder(custom);
    expect(files).toEqual(expect.arrayContaining(['llamastackdistribution.yaml', 'configmap.yaml', 'run.yaml', 'pod.yaml', 'deployment.yaml']));
    const cm = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'llama-team', name: 'llama-stack-config' });
    expect(readFileSync(join(custom, 'run.yaml'), 'utf8')).toBe((cm!.data as Record<string, string>)['run.yaml']);
    expect(readFileSync(join(custom, 'pod.yaml'), 'utf8')).toContain(`name: ${pod!.metadata.name}`);
    const owners = (pod!.metadata.ownerReferences ?? []) as { kind: string; name: string }[];
    const deployment = owners.find((o) => o.kind === 'ReplicaSet')!.name.replace(/-[^-]+$/, '');
    expect(readFileSync(join(custom, 'deployment.yaml'), 'utf8')).toContain(`name: ${deployment}`);
    // The SQLite folder of the pod, file for file.
    const data = (await containerDir('llama-team', pod!.metadata.name!, 'llama-stack')) + '/opt/app-root/src/.llama/distributions/rh';
    const inPod = filesUnder(data);
    expect(inPod.length).toBeGreaterThan(0);
    expect(filesUnder(join(custom, 'pod-data'))).toEqual(inPod);
    for (const f of inPod) expect(readFileSync(join(custom, 'pod-data', f)), f).toEqual(readFileSync(join(data, f)));
    for (const f of filesUnder(custom)) expect(statSync(join(custom, f)).mode & 0o077, f).toBe(0);
    // The distribution without a ConfigMap: no configmap.yaml or run.yaml, the rest as above.
    const defaults = filesUnder(join(backup, 'llamastack', 'llama-team', 'llama-stack-defaults'));
    expect(defaults).toEqual(expect.arrayContaining(['llamastackdistribution.yaml', 'pod.yaml', 'deployment.yaml']));
    expect(defaults).not.toContain('configmap.yaml');

    // TrustyAI: the PVC data of the TrustyAIService, and what the backup holds.
    const tas = join(backup, 'trustyai', 'trusty-team', 'trustyai-service');
    const [tasPod] = await podsOf('trusty-team', 'app.kubernetes.io/instance=trustyai-service');
    expect(tasPod, 'the sandbox runs a pod for the TrustyAIService').toBeDefined();
    const tasData = (await containerDir('trusty-team', tasPod!.metadata.name!, 'trustyai-service')) + '/inputs';
    expect(filesUnder(tasData).length).toBeGreaterThan(0);
    expect(filesUnder(join(tas, 'data'))).toEqual(filesUnder(tasData));
    expect(JSON.parse(readFileSync(join(tas, 'metadata.json'), 'utf8'))).toMatchObject({
      namespace: 'trusty-team', trustyaiService: 'trustyai-service', storageFormat: 'PVC', pvcName: 'trustyai-service-pvc', mountPath: '/inputs',
    });
    // No Route in the sandbox: the scheduled metrics are skipped, and the run says so.
    expect(stopped.findings.find((f) => f.check === 'trustyai-backup-metrics-skipped')?.objects).toEqual(['TrustyAIService trusty-team/trustyai-service']);

    // The GPU deadlock, found by the assessment.
    const deadlock = stopped.findings.find((f) => f.check === 'gpu-deadlock');
    expect(deadlock?.objects).toEqual(['InferenceService gpu-team/llm']);
    expect(deadlock?.message).toContain('llm-predictor-5d9c7b6f4-old01 Running');
    expect(deadlock?.message).toContain('llm-predictor-7f8b9c5d6-new02 Pending');

    // No Secret value is in any backup file.
    const secrets = (await kube.list({ apiVersion: 'v1', kind: 'Secret' }, { allNamespaces: true })).items;
    const values = secrets.flatMap((s) => Object.values((s.data ?? {}) as Record<string, string>)).map((v) => Buffer.from(v, 'base64').toString('utf8')).filter((v) => v.length >= 8);
    for (const f of filesUnder(backup)) {
      const text = readFileSync(join(backup, f), 'utf8');
      for (const v of values) expect(text.includes(v), `${f} holds a Secret value`).toBe(false);
    }
  });

  it('after the upgrade, restores the TrustyAI data into an empty data folder and breaks the GPU deadlock', { timeout: 1_500_000 }, async () => {
    const kube = sandbox.kube;
    // The TrustyAIService comes back in a new pod whose PVC is empty (a site that lost or recreated
    // it): the old pod goes, the operator's ReplicaSet makes a new one, and its data folder is emptied.
    const [old] = await podsOf('trusty-team', 'app.kubernetes.io/instance=trustyai-service');
    await kube.delete({ ...POD, namespace: 'trusty-team', name: old!.metadata.name! });
    const fresh = await eventually('a new TrustyAI service pod runs', async () => {
      const [p] = (await podsOf('trusty-team', 'app.kubernetes.io/instance=trustyai-service')).filter((x) => x.metadata.name !== old!.metadata.name && (x.status as { phase?: string } | undefined)?.phase === 'Running');
      return p && filesUnder((await containerDir('trusty-team', p.metadata.name!, 'trustyai-service')) + '/inputs').length > 0 ? p : undefined;
    }, { timeoutMs: 120_000, intervalMs: 500 });
    const freshData = (await containerDir('trusty-team', fresh.metadata.name!, 'trustyai-service')) + '/inputs';
    for (const f of readdirSync(freshData)) rmSync(join(freshData, f), { recursive: true, force: true });
    expect(filesUnder(freshData)).toEqual([]);

    // The deadlock: once the old pod is gone, the new one gets the GPU (the scheduler's part).
    let finished = false;
    const run = runCli(['resume', runId, '--kubeconfig', sandbox.kubeconfigPath, '--state-dir', stateDir, '--yes', '-o', 'json'], { timeoutMs: 1_400_000 }).finally(() => {
      finished = true;
    });
    let oldPodDeleted = false;
    const newPodStarts = (async () => {
      await eventually('the old predictor pod is deleted, or the run ended', async () => {
        oldPodDeleted = (await kube.get({ ...POD, namespace: 'gpu-team', name: 'llm-predictor-5d9c7b6f4-old01' })) === null;
        return oldPodDeleted || finished;
      }, { timeoutMs: 1_400_000, intervalMs: 500 });
      if (oldPodDeleted) await kube.patch({ ...POD, namespace: 'gpu-team', name: 'llm-predictor-7f8b9c5d6-new02' }, 'merge', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, { subresource: 'status' });
    })();
    const [resumed] = await Promise.all([run, newPodStarts]);
    expect(resumed.code, why(resumed)).toBe(0);
    expect(oldPodDeleted).toBe(true);

    // The new pod holds the backed-up data again, file for file.
    const tas = join(backup, 'trustyai', 'trusty-team', 'trustyai-service');
    expect(filesUnder(join(tas, 'data')).length).toBeGreaterThan(0);
    expect(filesUnder(freshData)).toEqual(filesUnder(join(tas, 'data')));
    for (const f of filesUnder(freshData)) expect(readFileSync(join(freshData, f)), f).toEqual(readFileSync(join(tas, 'data', f)));
    expect(resumed.findings.find((f) => f.check === 'trustyai-restore-restart')?.objects).toEqual([`Pod trusty-team/${fresh.metadata.name}`]);
    expect(await kube.get({ ...POD, namespace: 'gpu-team', name: 'llm-predictor-7f8b9c5d6-new02' })).not.toBeNull();
  });
});
