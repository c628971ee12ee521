// The `exec` step through the executor, running the kubectl built with the control plane against
// it: argv commands with JSON output, the `creates` and `unless` guards that make a re-run do
// nothing, failures that carry the command's own words, and dry runs that run nothing.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { ensureControlPlaneBinaries } from '../../src/sandbox/controlplane/build.js';
import { adminKubeconfigPath } from './support/cluster.js';
import { configMap, createNamespace, deleteNamespace } from './support/objects.js';
import { adminKube, runStep } from './support/run-step.js';

describe('exec step', () => {
  let kube: KubeClient;
  let ns: string;
  let kubectl: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    kube = adminKube();
    ns = await createNamespace(kube, 'steps-exec');
    kubectl = join((await ensureControlPlaneBinaries()).binDir, 'kubectl');
    // kubectl keeps a discovery cache under $HOME; give it one of its own.
    env = { KUBECONFIG: adminKubeconfigPath(), HOME: await mkdtemp(join(tmpdir(), 'runbook-exec-home-')) };
    await kube.create(configMap('present', ns, { answer: '42' }));
  });
  afterAll(() => deleteNamespace(kube, ns));

  it('runs argv (no shell) and registers parsed JSON', async () => {
    const run = await runStep('exec', { command: [kubectl, 'get', 'configmap', 'present', '-n', ns, '-o', 'json'], env, parseJson: true });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('changed');
    expect(run.result?.summary).toBe('exit 0');
    expect((run.output as { exitCode: number; json: { data: unknown } }).exitCode).toBe(0);
    expect((run.output as { json: { data: unknown } }).json.data).toEqual({ answer: '42' });
  });

  it('unless: a re-run whose guard command succeeds does nothing', async () => {
    const input = {
      command: [kubectl, 'create', 'configmap', 'made-by-exec', '-n', ns, '--from-literal=k=v'],
      unless: [kubectl, 'get', 'configmap', 'made-by-exec', '-n', ns],
      env,
    };
    const first = await runStep('exec', input);
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('changed');
    const created = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'made-by-exec', namespace: ns });
    expect(created?.data).toEqual({ k: 'v' });
    const second = await runStep('exec', input);
    expect(second.status).toBe('ok');
    expect(second.result?.reason).toBe('the unless command succeeded');
    expect((await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'made-by-exec', namespace: ns }))?.metadata.resourceVersion).toBe(created?.metadata.resourceVersion);
  });

  it('creates: skipped when the file is there (relative to the runbook)', async () => {
    const input = { command: 'echo done > marker.txt', shell: true, creates: 'marker.txt' };
    const first = await runStep('exec', input);
    expect(first.status).toBe('changed');
    // The command runs in the runbook folder.
    expect(await readFile(join(first.dir, 'marker.txt'), 'utf8')).toBe('done\n');
    // Each run gets a new runbook folder: this one starts with the marker in place.
    const second = await runStep('exec', input, { files: { 'marker.txt': 'done\n' } });
    expect(second.status).toBe('ok');
    expect(second.result?.reason).toBe('marker.txt exists');
  });

  it('a failing command fails the step with its exit code and the end of its stderr', async () => {
    const run = await runStep('exec', { command: [kubectl, 'get', 'configmap', 'absent', '-n', ns], env });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^command exited with 1: Error from server \(NotFound\): configmaps "absent" not found/);
  });

  it('successCodes widen what counts as success', async () => {
    const run = await runStep('exec', { command: ['sh', '-c', 'exit 3'], successCodes: [0, 3] });
    expect(run.status).toBe('changed');
    expect(run.result?.summary).toBe('exit 3');
  });

  it('a command that is not installed says so', async () => {
    const run = await runStep('exec', { command: ['no-such-command-here', '--version'] });
    expect(run.status).toBe('failed');
    expect(run.error).toBe('command not found: no-such-command-here');
    expect(run.result?.error?.hint).toBe('install it or put it on PATH');
  });

  it('a command string without shell: true is refused before the run, with a hint', async () => {
    await expect(runStep('exec', { command: 'kubectl get pods' })).rejects.toThrow(/\(exec\): missing required field "shell"\s+hint: "shell": A command string is a shell script/);
  });

  it('stdin is passed to the command', async () => {
    const run = await runStep('exec', { command: [kubectl, 'apply', '-f', '-', '-o', 'name'], env, stdin: JSON.stringify(configMap('from-stdin', ns, { via: 'stdin' })) });
    expect(run.error).toBeUndefined();
    expect((run.output as { stdout: string }).stdout.trim()).toBe('configmap/from-stdin');
    expect((await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'from-stdin', namespace: ns }))?.data).toEqual({ via: 'stdin' });
  });

  it('does not run in a dry run', async () => {
    const run = await runStep('exec', { command: [kubectl, 'create', 'configmap', 'dry', '-n', ns], env }, { dryRun: 'client' });
    expect(run.status).toBe('skipped');
    expect(run.result?.reason).toBe('dry run: exec steps are not run in a dry run');
    expect(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'dry', namespace: ns })).toBeNull();
  });
});
