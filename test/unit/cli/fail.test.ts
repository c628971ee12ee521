// How an error becomes a message and an exit code: a permission preflight that finds the user may
// not do what the runbook needs is not bad input (2) but the cluster's answer (7); damaged state
// is 6; neither says "unexpected".
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { reportError } from '../../../src/cli/fail.js';
import { PermissionsMissing, RunbookError, StateDamaged } from '../../../src/contract/errors.js';

function report(err: unknown): { code: number; text: string } {
  const out: string[] = [];
  const code = reportError(err, (s) => out.push(s));
  return { code, text: out.join('') };
}

describe('reportError', () => {
  it('a missing permission exits 7 with the list and the hint', () => {
    const err = new PermissionsMissing('user "viewer" lacks 1 permission this runbook needs:\n  - get configmaps "settings" in namespace demo (step main/read)', {
      hint: 'ask a cluster administrator for these permissions, or use a kubeconfig context that has them',
    });
    expect(report(err)).toEqual({
      code: EXIT.clusterUnreachable,
      text: 'error: user "viewer" lacks 1 permission this runbook needs:\n  - get configmaps "settings" in namespace demo (step main/read)\n  hint: ask a cluster administrator for these permissions, or use a kubeconfig context that has them\n',
    });
  });

  it('damaged or unknown state exits 6; any other RunbookError is bad input', () => {
    expect(report(new StateDamaged('/s/runs/r/state.json: state format 99 is not supported (this runbook reads format 1)', { hint: 'start a fresh run' })).code).toBe(EXIT.stateDamaged);
    expect(report(new RunbookError('the runbook changed since run r started')).code).toBe(EXIT.invalidInput);
  });
});
