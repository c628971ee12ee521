// The upgrade killed (SIGKILL) right after a change is checkpointed, then resumed until it
// finishes: the cluster ends as an uninterrupted run leaves it, and no step whose change had
// completed runs its apply again. CI runs a seeded sample of kill points;
// `npm run crash-matrix:upgrade` runs every one and compares each end state with an uninterrupted
// run's exactly.
import { describe, expect, it } from 'vitest';
import { upgradeWithCrash } from './support/upgrade-crash.js';

// A seeded sample of the ~45 change boundaries of the full scenario: one early (during the Kueue
// migration) and one after the operator upgrade (the workbench migration).
const SAMPLE = [3, 36];

describe('the upgrade killed at a step boundary and resumed', () => {
  for (const point of SAMPLE) {
    it(`after change ${point}`, { timeout: 900_000 }, async () => {
      const outcome = await upgradeWithCrash(point);
      expect(outcome.killedAfter, `the run made only ${outcome.changesBeforeKill} changes`).toBe(point);
      expect(outcome.invocations).toBeGreaterThan(1);
      expect(outcome.finalCode).toBe(0);
      expect(outcome.reapplied).toEqual([]);
      // What an uninterrupted run ends with (upgrade-full.test.ts checks each in detail).
      const s = outcome.endState;
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
    });
  }
});
