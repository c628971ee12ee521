// Every kill point of the upgrade: an uninterrupted run first (how many changes, which end state),
// then for each change boundary a fresh sandbox, a SIGKILL right after that change, and resumes
// until done. Prints one line per point and the counts; exits non-zero when the uninterrupted run
// fails, when no kill point ran, or when one fails (not killed there, a resume that does not
// finish, a change applied twice, or an end state unlike the uninterrupted run's). The CI test
// runs a seeded sample of them.
//   npm run crash-matrix:upgrade [-- FIRST LAST]            points FIRST..LAST (default: all)
//   npm run crash-matrix:upgrade -- --sample 3 [--seed N]   a seeded sample (CI's: 3, the default seed)
//   npm run crash-matrix:upgrade -- --points 3,36           exactly these
//   [--runbook FILE]                                        another runbook (relative to the package root)
import { parseArgs } from 'node:util';
import { CRASH_SEED, UPGRADE_RUNBOOK, baselineProblem, endStateDiff, sampleKillPoints, upgradeWithCrash } from '../test/integration/support/upgrade-crash.js';
import { builtCli, fail, runBench, tally, wholeNumber } from './support/outcome.js';

await runBench('crash-matrix:upgrade', async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      sample: { type: 'string' },
      seed: { type: 'string', default: String(CRASH_SEED) },
      points: { type: 'string' },
      runbook: { type: 'string', default: UPGRADE_RUNBOOK },
    },
  });
  builtCli();

  const baselineStarted = Date.now();
  const baseline = await upgradeWithCrash(undefined, values.runbook);
  const total = baseline.changesBeforeKill;
  console.log(`uninterrupted: exit ${baseline.finalCode} in ${baseline.invocations} invocation(s), ${total} changes (${seconds(baselineStarted)})`);
  const problem = baselineProblem(baseline);
  if (problem) fail(`baseline: ${problem}`);

  const points = choosePoints(total, positionals, values);
  console.log(`kill points: ${points.length} of ${total} (${points.join(', ')})`);
  let passed = 0;
  for (const point of points) {
    const started = Date.now();
    const o = await upgradeWithCrash(point, values.runbook);
    const diff = endStateDiff(baseline.endState, o.endState);
    const killed = o.killedAfter === point;
    const ok = killed && o.invocations > 1 && o.finalCode === 0 && o.reapplied.length === 0 && diff.length === 0;
    if (ok) passed++;
    console.log(
      `kill after change ${String(point).padStart(3)}: ${ok ? 'ok  ' : 'FAIL'} ${killed ? 'killed' : `NOT KILLED (the run made ${o.changesBeforeKill} changes)`}, ` +
        `${o.invocations} invocations, exit ${o.finalCode}, reapplied [${o.reapplied.join(', ')}], end state ${diff.length ? 'DIFFERENT' : 'same'} (${seconds(started)})`,
    );
    if (o.failure) console.log(`       ${o.failure}`);
    for (const d of diff) console.log(`       ${d}`);
  }
  tally('upgrade crash matrix', { unit: 'kill points', tried: points.length, passed, promise: 'killed and resumed to the same end state' });
});

function choosePoints(total: number, positionals: string[], values: { sample?: string; seed?: string; points?: string }): number[] {
  if (values.points !== undefined) {
    const points = values.points.split(',').map((p) => wholeNumber('--points', p));
    const beyond = points.filter((p) => p > total);
    if (beyond.length) fail(`--points ${beyond.join(',')}: the uninterrupted run has only ${total} changes`);
    return points;
  }
  if (values.sample !== undefined) return sampleKillPoints(total, wholeNumber('--sample', values.sample), wholeNumber('--seed', values.seed, 0));
  const first = positionals[0] === undefined ? 1 : wholeNumber('FIRST', positionals[0]);
  const last = positionals[1] === undefined ? total : wholeNumber('LAST', positionals[1]);
  if (last > total) fail(`LAST ${last}: the uninterrupted run has only ${total} changes`);
  if (first > last) fail(`FIRST ${first} is after LAST ${last}: no kill point to try`);
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(0)} s`;
}
