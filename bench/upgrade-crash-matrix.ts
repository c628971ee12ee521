// Every kill point of the upgrade: an uninterrupted run first (how many changes, which end state),
// then for each change boundary a fresh sandbox, a SIGKILL right after that change, and resumes
// until done. Prints one line per point; the CI test runs a seeded sample of them.
//   npm run crash-matrix:upgrade [-- FIRST LAST]
import { upgradeWithCrash } from '../test/integration/support/upgrade-crash.js';

const baseline = await upgradeWithCrash(undefined);
const total = baseline.changesBeforeKill;
console.log(`uninterrupted: exit ${baseline.finalCode}, ${total} changes`);
const first = Number(process.argv[2] ?? 1);
const last = Number(process.argv[3] ?? total);
let failures = 0;
for (let point = first; point <= last; point++) {
  const started = Date.now();
  const o = await upgradeWithCrash(point);
  const same = JSON.stringify(o.endState) === JSON.stringify(baseline.endState);
  const ok = o.finalCode === 0 && o.reapplied.length === 0 && same;
  if (!ok) failures++;
  console.log(
    `kill after change ${String(point).padStart(3)}: ${ok ? 'ok  ' : 'FAIL'} ${o.invocations} invocations, exit ${o.finalCode}, ` +
      `reapplied [${o.reapplied.join(', ')}], end state ${same ? 'same' : 'DIFFERENT'} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
}
console.log(`${last - first + 1 - failures} passed, ${failures} failed`);
process.exitCode = failures ? 1 : 0;
