// The upgrade killed (SIGKILL) right after a change is checkpointed, then resumed until it
// finishes: the cluster ends exactly as an uninterrupted run leaves it, and no step whose change
// had completed runs its apply again. CI runs a seeded sample of kill points, one in each third of
// the run (CRASH_SEED picks another sample); `npm run crash-matrix:upgrade` runs every one, or
// `-- --sample N --seed S` the same sample as here.
import { beforeAll, describe, expect, it } from 'vitest';
import { CRASH_SEED as SEED, baselineProblem, endStateDiff, sampleKillPoints, upgradeWithCrash, type CrashOutcome } from './support/upgrade-crash.js';

const SAMPLE = 3;

/** What an upgraded cluster ends with (upgrade-full.test.ts checks each in detail). */
function expectUpgraded(s: Record<string, string>): void {
  expect(s.dsc).toBe('Ready 3.3.2');
  expect(s.kueue).toBe('Unmanaged');
  expect(s['csv redhat-ods-operator/rhods-operator.3.3.2']).toBe('Succeeded');
  expect(Object.keys(s).filter((k) => k.startsWith('csv redhat-ods-operator/rhods-operator.2.'))).toEqual([]);
  expect(s['subscription redhat-ods-operator/rhods-operator']).toBe('support-required-upgrade');
  for (const [k, v] of Object.entries(s).filter(([k]) => k.startsWith('isvc '))) expect(v, k).toBe('RawDeployment True');
  for (const [k, v] of Object.entries(s).filter(([k]) => k.startsWith('notebook '))) expect(v, k).toMatch(/^auth=true oauth-proxy=false /);
  expect(s['notebook data-science/alice-wb']).toBe('auth=true oauth-proxy=false stopped=false ready=True');
  expect(s['ray ray-team/training-cluster']).toBe('ready');
  expect(s['llama llama-team/llama-stack']).toBe('Ready');
}

describe('the upgrade killed at a step boundary and resumed', () => {
  let baseline: CrashOutcome;
  let points: number[] = [];
  const exercised: number[] = [];

  // The kill points are drawn among the changes the uninterrupted run makes, known once it ran.
  beforeAll(async () => {
    baseline = await upgradeWithCrash(undefined);
    if (baselineProblem(baseline)) return;
    points = sampleKillPoints(baseline.changesBeforeKill, SAMPLE, SEED);
    // The same points again: npm run crash-matrix:upgrade -- --points <these>
    console.log(`kill points ${points.join(', ')} of ${baseline.changesBeforeKill} changes (seed ${SEED})`);
  }, 900_000);

  it('the uninterrupted run upgrades in one invocation', () => {
    expect(baselineProblem(baseline)).toBeUndefined();
    expect(baseline.changesBeforeKill).toBeGreaterThan(SAMPLE);
    expect(baseline.reapplied).toEqual([]);
    expectUpgraded(baseline.endState);
  });

  for (let i = 0; i < SAMPLE; i++) {
    it(`seeded kill point ${i + 1} of ${SAMPLE} (seed ${SEED})`, { timeout: 900_000 }, async () => {
      expect(baselineProblem(baseline), 'no baseline to judge a kill point against').toBeUndefined();
      const point = points[i];
      expect(point, `the sample has ${points.length} points, fewer than ${SAMPLE}`).toBeDefined();
      const outcome = await upgradeWithCrash(point);
      expect(outcome.killedAfter, `not killed after change ${point}: the run made ${outcome.changesBeforeKill} changes`).toBe(point);
      expect(outcome.invocations, `after change ${point}`).toBeGreaterThan(1);
      expect(outcome.finalCode, `after change ${point}`).toBe(0);
      expect(outcome.reapplied, `after change ${point}`).toEqual([]);
      expect(endStateDiff(baseline.endState, outcome.endState), `end state after change ${point} vs uninterrupted`).toEqual([]);
      expectUpgraded(outcome.endState);
      exercised.push(point!);
    });
  }

  // A sample that shrank, or kill points that were never reached, tested less than intended.
  it(`killed and resumed at all ${SAMPLE} sampled kill points`, () => {
    expect(points).toHaveLength(SAMPLE);
    expect(exercised).toEqual(points);
  });
});
