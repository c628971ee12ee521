// One run of a runbook on a cluster at a time, as a user meets it: while a `run` waits on the
// cluster, a second `run`, a `run --fresh` and a `resume` of the same runbook on the same cluster
// are refused with exit 5, naming the run, pid, host and start time that hold it; nothing of theirs
// touches the cluster. Once the first ends, the next run proceeds. `status` shows a run whose
// executor was killed as interrupted.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { adminKubeconfigPath } from './support/cluster.js';
import { runCli, type CliRun } from './support/cli-run.js';
import { createNamespace, deleteNamespace } from './support/objects.js';
import { scratchDir } from './support/processes.js';
import { adminKube } from './support/run-step.js';

let kube: KubeClient;
let ns: string;

beforeAll(async () => {
  kube = adminKube();
  ns = await createNamespace(kube, 'cli-lock');
});

afterAll(async () => {
  await deleteNamespace(kube, ns);
});

function runbook(dir: string): string {
  const file = join(dir, 'slow.yaml');
  writeFileSync(
    file,
    [
      'apiVersion: runbook.dev/v1',
      'kind: Runbook',
      'metadata: { name: slow }',
      'sections:',
      '  - name: main',
      '    steps:',
      '      - name: Wait for the go signal',
      '        id: main/wait',
      '        wait:',
      '          apiVersion: v1',
      '          kind: ConfigMap',
      `          namespace: ${ns}`,
      '          name: go',
      '          for: { exists: true }',
      '          timeout: 90s',
      '',
    ].join('\n'),
  );
  return file;
}

describe('one run per runbook and cluster', () => {
  it('refuses a second run, a fresh run and a resume while the first waits, naming the holder', { timeout: 180_000 }, async () => {
    const dir = scratchDir('runbook-lock-');
    const file = runbook(dir);
    const common = ['--kubeconfig', adminKubeconfigPath(), '--state-dir', join(dir, 'state'), '-o', 'json'];
    let started!: () => void;
    const waiting = new Promise<void>((r) => (started = r));
    const first = runCli(['run', file, ...common], {
      onEvent: (e) => {
        if (e.type === 'step:log' || (e.type === 'node:start' && (e.node as { id: string }).id === 'main/wait')) started();
      },
    });
    await waiting;
    const refused = async (args: string[]): Promise<CliRun> => {
      const run = await runCli([...args, ...common]);
      expect(run.code, run.stderr).toBe(5);
      return run;
    };
    const second = await refused(['run', file]);
    expect(second.stderr).toMatch(new RegExp(`^error: run slow-[0-9-]+-[0-9a-f]+ of this runbook is being executed by pid \\d+ on host \\S+ \\(since `));
    const fresh = await refused(['run', file, '--fresh']);
    expect(fresh.stderr).toMatch(/^error: runbook .*slow\.yaml on https:\/\/127\.0\.0\.1:\d+ is being executed by run slow-[0-9-]+-[0-9a-f]+, pid \d+ on host \S+ \(since /);
    expect(fresh.stderr).toContain('hint: wait for it to finish');
    await refused(['resume']);

    await kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'go', namespace: ns } });
    const done = await first;
    expect(done.code, done.stderr).toBe(0);
    const next = await runCli(['run', file, ...common, '--fresh']);
    expect(next.code, next.stderr).toBe(0);
  });

  it('status shows a run whose executor was killed as interrupted, and resume continues it', { timeout: 180_000 }, async () => {
    const dir = scratchDir('runbook-lock-');
    const file = runbook(dir);
    await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', name: 'go', namespace: ns });
    const common = ['--kubeconfig', adminKubeconfigPath(), '--state-dir', join(dir, 'state')];
    const killed = await runCli(['run', file, ...common, '-o', 'json'], {
      onEvent: (e, kill) => {
        if (e.type === 'node:start' && (e.node as { id: string }).id === 'main/wait') kill('SIGKILL');
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    const status = await runCli(['status', '--state-dir', join(dir, 'state')]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^slow-\S+ +interrupted /m);
    await kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'go', namespace: ns } });
    const resumed = await runCli(['resume', ...common, '-o', 'json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('note: took over the lock of pid');
  });
});
