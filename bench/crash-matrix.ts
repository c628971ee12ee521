// Every kill point of the crash-and-resume runbook (after each progress line, in the middle of
// each apply) plus seeded chains of kills, against the built CLI. The unit test runs a seeded
// sample of these; this runs them all, prints one line per scenario and the counts, and exits
// non-zero when the uninterrupted run fails or does nothing, when no scenario ran, or when one
// fails (a broken promise, or a scenario whose process was never killed: it tested nothing).
//
//   npm run crash-matrix [-- --chains N] [--seed N] [--jobs N] [--only TEXT] [--cli dist/cli/main.js]
import { parseArgs } from 'node:util';
import { CrashDriver, allScenarios, type ScenarioResult } from '../test/fixtures/engine/crash.js';
import { builtCli, fail, runBench, tally, wholeNumber } from './support/outcome.js';

await runBench('crash-matrix', async () => {
  const { values } = parseArgs({
    options: {
      chains: { type: 'string', default: '12' },
      seed: { type: 'string', default: '1' },
      jobs: { type: 'string', default: '2' },
      only: { type: 'string' },
      cli: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const chains = wholeNumber('--chains', values.chains, 0);
  const seed = wholeNumber('--seed', values.seed, 0);
  const jobs = wholeNumber('--jobs', values.jobs);

  const driver = new CrashDriver(builtCli(values.cli), values.keep);
  const started = performance.now();
  const reference = await driver.reference().catch((error: unknown) => fail(`baseline: ${error instanceof Error ? error.message : String(error)}`));
  console.log(`uninterrupted run: ${reference.lines} progress lines, ${reference.applies} applies, ${reference.markers.length} markers`);
  if (reference.lines === 0 || reference.applies === 0) fail('baseline: the uninterrupted run printed or applied nothing: there is no kill point to try');

  const scenarios = allScenarios(reference, chains, seed).filter((s) => !values.only || s.name.includes(values.only));
  const results: ScenarioResult[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < scenarios.length) {
      const scenario = scenarios[next++]!;
      const r = await driver.run(scenario, reference);
      // A scenario whose process ended before any kill landed exercised no kill point.
      if (r.kills === 0) r.violations.push('never killed: every invocation finished before its kill point');
      results.push(r);
      const verdict = r.violations.length ? 'FAIL' : 'ok  ';
      console.log(`${verdict} ${scenario.name.padEnd(60)} ${r.kills} kill${r.kills === 1 ? '' : 's'}, ${r.invocations} invocations`);
      for (const v of r.violations) console.log(`       ${v.replace(/\n/g, '\n       ')}`);
      if (r.kept) console.log(`       kept: ${r.kept}`);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));

  const passed = results.filter((r) => r.violations.length === 0).length;
  const kills = results.reduce((n, r) => n + r.kills, 0);
  console.log(`\n${kills} kills in ${results.reduce((n, r) => n + r.invocations, 0)} invocations, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  tally('crash matrix', { unit: 'scenarios', tried: results.length, passed, promise: 'killed and resumed to the same end state' });
});
