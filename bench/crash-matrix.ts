// Every kill point of the crash-and-resume runbook (after each progress line, in the middle of
// each apply) plus seeded chains of kills, against the built CLI. The unit test runs a seeded
// sample of these; this runs them all and prints one line per scenario.
//
//   npm run crash-matrix [-- --chains N] [--seed N] [--jobs N] [--only TEXT] [--cli dist/cli/main.js]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CrashDriver, allScenarios, type ScenarioResult } from '../test/fixtures/engine/crash.js';

const { values } = parseArgs({
  options: {
    chains: { type: 'string', default: '12' },
    seed: { type: 'string', default: '1' },
    jobs: { type: 'string', default: '2' },
    only: { type: 'string' },
    cli: { type: 'string', default: 'dist/cli/main.js' },
    keep: { type: 'boolean', default: false },
  },
});

const driver = new CrashDriver(resolve(values.cli!), values.keep);
const started = performance.now();
const reference = await driver.reference();
console.log(`uninterrupted run: ${reference.lines} progress lines, ${reference.applies} applies, ${reference.markers.length} markers`);

const scenarios = allScenarios(reference, Number(values.chains), Number(values.seed)).filter((s) => !values.only || s.name.includes(values.only));
const results: ScenarioResult[] = [];
let next = 0;
const worker = async (): Promise<void> => {
  while (next < scenarios.length) {
    const scenario = scenarios[next++]!;
    const r = await driver.run(scenario, reference);
    results.push(r);
    const verdict = r.violations.length ? 'FAIL' : 'ok  ';
    console.log(`${verdict} ${scenario.name.padEnd(60)} ${r.kills} kill${r.kills === 1 ? '' : 's'}, ${r.invocations} invocations`);
    for (const v of r.violations) console.log(`       ${v.replace(/\n/g, '\n       ')}`);
    if (r.kept) console.log(`       kept: ${r.kept}`);
  }
};
await Promise.all(Array.from({ length: Math.max(1, Number(values.jobs)) }, worker));

const failed = results.filter((r) => r.violations.length);
const kills = results.reduce((n, r) => n + r.kills, 0);
console.log(`\n${results.length} scenarios, ${kills} kills, ${failed.length} failed, ${((performance.now() - started) / 1000).toFixed(0)}s`);
process.exitCode = failed.length ? 1 : 0;
