// Launch-to-ready time of the sandbox control plane with warm (already built) binaries. Prints
// figures, never asserts them; exits non-zero when a start or stop fails or nothing was run.
// Usage: npm run bench:controlplane [-- <runs>]   (default 5 runs)
import { ensureControlPlaneBinaries } from '../src/sandbox/controlplane/build.js';
import { startControlPlane } from '../src/sandbox/controlplane/launcher.js';
import { Cases, median, runBench, wholeNumber } from './support/outcome.js';

await runBench('bench:controlplane', async () => {
  const runs = wholeNumber('runs', process.argv[2] ?? '5');

  const { binDir, version } = await ensureControlPlaneBinaries({ onProgress: (m) => console.log(`[controlplane] ${m}`) });
  console.log(`control plane ${version} from ${binDir}; ${runs} runs`);

  const variants: Array<{ label: string; controllers: string[] | false }> = [
    { label: 'etcd + apiserver + controller-manager', controllers: ['namespace', 'garbagecollector'] },
    { label: 'etcd + apiserver only', controllers: false },
  ];
  const cases = new Cases('starts', 'ready and stopped');
  for (const variant of variants) {
    const startMs: number[] = [];
    const stopMs: number[] = [];
    for (let run = 1; run <= runs; run++) {
      await cases.run(`${variant.label} run ${run}`, async () => {
        const t0 = performance.now();
        const controlPlane = await startControlPlane({ binDir, controllers: variant.controllers });
        const t1 = performance.now();
        await controlPlane.stop();
        const t2 = performance.now();
        startMs.push(t1 - t0);
        stopMs.push(t2 - t1);
        console.log(`  ${variant.label} run ${run}: ready in ${ms(t1 - t0)}, stopped in ${ms(t2 - t1)}`);
      });
    }
    if (startMs.length) {
      console.log(`${variant.label}: ready min ${ms(min(startMs))} median ${ms(median(startMs))} max ${ms(max(startMs))}; ` +
        `stop median ${ms(median(stopMs))}`);
    }
  }
  cases.tally('control-plane bench');
});

function min(values: number[]): number {
  return Math.min(...values);
}
function max(values: number[]): number {
  return Math.max(...values);
}
function ms(value: number): string {
  return `${Math.round(value)} ms`;
}
