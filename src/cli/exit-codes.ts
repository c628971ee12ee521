// Exit codes of every command, documented in docs/cli.md.
import type { RunStatus } from '../engine/events.js';

export const EXIT = {
  /** Done: the run succeeded, the file is valid. */
  ok: 0,
  /** A step failed; the run is checkpointed and can be resumed. */
  stepFailed: 1,
  /** Bad input (runbook, vars, flags): nothing was done. */
  invalidInput: 2,
  /** A prohibited or critical finding stopped the run. */
  blocked: 3,
  /** A manual gate is waiting for approval; resume with --approve. */
  waitingApproval: 4,
  /** The run was stopped (Ctrl-C, SIGTERM); resume continues it. */
  interrupted: 130,
} as const;

export function exitCodeFor(status: RunStatus): number {
  switch (status) {
    case 'succeeded':
      return EXIT.ok;
    case 'blocked':
      return EXIT.blocked;
    case 'waiting-approval':
      return EXIT.waitingApproval;
    case 'aborted':
      return EXIT.interrupted;
    default:
      return EXIT.stepFailed;
  }
}
