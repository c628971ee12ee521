// The whole upgrade on the sandbox `full` scenario in instant mode, through the real CLI: wall time,
// API calls and writes, then the idempotent re-run. Goals printed beside the figures: the upgrade
// under 30 s, the re-run under 5 s; figures, never assertions. Fails (exit 1) when a run does not
// succeed, when the upgrade changes nothing (it measured nothing), or when the re-run changes
// something (it is not idempotent).
//   npm run bench:upgrade [-- --runbook FILE]   (relative to the package root)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSandbox } from '../src/sandbox/sandbox.js';
import { failureOf, runCli } from '../test/integration/support/cli-run.js';
import { UPGRADE_RUNBOOK } from '../test/integration/support/upgrade-crash.js';
import { builtCli, runBench, tally } from './support/outcome.js';

await runBench('bench:upgrade', async () => {
  const { values } = parseArgs({ options: { runbook: { type: 'string', default: UPGRADE_RUNBOOK } } });
  builtCli();
  const stateDir = mkdtempSync(join(tmpdir(), 'runbook-bench-upgrade-'));
  const sandbox = await startSandbox({ scenario: 'full', speed: 0 });
  let passed = 0;
  try {
    const args = [
      'run', values.runbook,
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
      const changed = counts.changed ?? 0;
      console.log(
        `${label.padEnd(8)} exit ${run.code}  ${seconds.toFixed(1).padStart(6)} s (goal < ${goal} s)  ` +
          `api ${calls?.reads ?? '?'} reads, ${calls?.writes ?? '?'} writes, ${calls?.watches ?? '?'} watches  ` +
          `steps ${changed} changed, ${counts.ok ?? 0} ok, ${counts.skipped ?? 0} skipped, ${counts.failed ?? 0} failed`,
      );
      const problem =
        run.code !== 0 || run.summary?.status !== 'succeeded'
          ? `exit ${run.code}: ${failureOf(run)}`
          : label === 'upgrade' && changed === 0
            ? 'changed nothing: the sandbox was not upgraded, so nothing was measured'
            : label === 're-run' && changed > 0
              ? `changed ${changed} steps: the upgrade is not idempotent`
              : undefined;
      if (problem) {
        console.log(`         FAIL ${label} ${problem}`);
        // The re-run means nothing after a failed upgrade: it counts as failed too.
        if (label === 'upgrade') break;
      } else passed++;
    }
  } finally {
    await sandbox.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  tally('upgrade bench', { unit: 'runs', tried: 2, passed, promise: 'succeeded as expected' });
});
