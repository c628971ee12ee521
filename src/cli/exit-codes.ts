// Exit codes of every command, documented in the README (one table, kept in sync by a test).
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
  /** Another run of this runbook on this cluster (or of this run) is in progress: nothing was done. */
  locked: 5,
  /** A run's state files are damaged or of an unknown format: named, never replaced. */
  stateDamaged: 6,
  /** The cluster could not be reached, refused the credentials, or the user may not do what the runbook needs. */
  clusterUnreachable: 7,
  /** A local file could not be read or written (disk full, read-only, permissions). */
  ioFailure: 8,
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
