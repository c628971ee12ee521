// How a run's status becomes the process's exit code (the README table is checked against EXIT by
// test/unit/cli/exit-codes-documented.test.ts).
import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor } from '../../../src/cli/exit-codes.js';
import type { RunStatus } from '../../../src/engine/events.js';

describe('exitCodeFor', () => {
  it('gives each way a run ends its own code', () => {
    const codes: Record<RunStatus, number> = {
      succeeded: EXIT.ok,
      failed: EXIT.stepFailed,
      blocked: EXIT.blocked,
      'waiting-approval': EXIT.waitingApproval,
      aborted: EXIT.interrupted,
      // A run that ended while still marked running (a crash mid-write) did not succeed.
      running: EXIT.stepFailed,
    };
    for (const [status, code] of Object.entries(codes)) expect(exitCodeFor(status as RunStatus), status).toBe(code);
  });

  it('no two meanings share a code, and 0 means only success', () => {
    const values = Object.values(EXIT);
    expect(new Set(values).size).toBe(values.length);
    expect(Object.entries(EXIT).filter(([, v]) => v === 0)).toEqual([['ok', 0]]);
  });
});
