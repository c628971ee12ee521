// The whole upgrade on the sandbox `full` scenario in instant mode, through the real CLI: wall time,
// API calls and writes, then the idempotent re-run. Goals printed beside the figures: the upgrade
// under 30 s, the re-run under 5 s. Figures, never assertions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '../src/sandbox/sandbox.js';
import { runCli } from '../test/integration/support/cli-run.js';

const stateDir = mkdtempSync(join(tmpdir(), 'runbook-bench-upgrade-'));
const sandbox = await startSandbox({ scenario: 'full', speed: 0 });
try {
  const args = [
    'run', 'runbooks/upgrade-2.25-to-3.3.yaml',
    '--kubeconfig', sandbox.controlPlane.kubeconfigPath,
    '--vars-file', 'runbooks/upgrade-2.25-to-3.3.sandbox-vars.yaml',
    '--var', `backupDir=${stateDir}/backup`,
    '--state-dir', stateDir, '--yes', '-o', 'json',
  ];
  for (const [label, extra, goal] of [['upgrade', [], 30], ['re-run', ['--fresh'], 5]] as const) {
    const started = Date.now();
    const run = await runCli([...args, ...extra]);
    const seconds = (Date.now() - started) / 1000;
    const calls = run.summary?.apiCalls;
    const counts = run.summary?.counts ?? {};
    console.log(
      `${label.padEnd(8)} exit ${run.code}  ${seconds.toFixed(1).padStart(6)} s (goal < ${goal} s)  ` +
        `api ${calls?.reads ?? '?'} reads, ${calls?.writes ?? '?'} writes, ${calls?.watches ?? '?'} watches  ` +
        `steps ${counts.changed ?? 0} changed, ${counts.ok ?? 0} ok, ${counts.skipped ?? 0} skipped`,
    );
  }
} finally {
  await sandbox.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
