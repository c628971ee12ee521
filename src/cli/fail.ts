// Turns any error into a message and an exit code, in one place. Never a stack trace, unless
// RUNBOOK_DEBUG is set.
import { InputError, PermissionsMissing, RunbookError, StateDamaged, formatProblem } from '../contract/errors.js';
import { LockHeld } from '../engine/lock.js';
import { LeaseHeld } from '../kube/lease-lock.js';
import { EXIT } from './exit-codes.js';

export function reportError(err: unknown, write: (s: string) => void = (s) => process.stderr.write(s)): number {
  if (err instanceof InputError) {
    const n = err.problems.length;
    write(`${err.problems.map(formatProblem).join('\n')}\n`);
    write(`${n} problem${n === 1 ? '' : 's'} found; nothing was run.\n`);
    return EXIT.invalidInput;
  }
  if (err instanceof RunbookError) {
    write(`error: ${err.message}\n${err.hint ? `  hint: ${err.hint}\n` : ''}`);
    return exitCodeOf(err);
  }
  const io = ioFailure(err);
  if (io) {
    write(`error: ${io}\n`);
    return EXIT.ioFailure;
  }
  const message = err instanceof Error ? err.message : String(err);
  write(`error: ${message}\n`);
  if (process.env.RUNBOOK_DEBUG && err instanceof Error && err.stack) write(`${err.stack}\n`);
  else write('  (this is unexpected; set RUNBOOK_DEBUG=1 to see where it came from)\n');
  return EXIT.stepFailed;
}

function exitCodeOf(err: RunbookError): number {
  if (err instanceof LockHeld || err instanceof LeaseHeld) return EXIT.locked;
  if (err instanceof StateDamaged) return EXIT.stateDamaged;
  // Failing to reach the cluster, to be let in, or to be allowed what the runbook needs is not bad
  // input: it says so with its own code.
  if (err instanceof PermissionsMissing) return EXIT.clusterUnreachable;
  if (err.connection || err.data?.networkCode !== undefined || err.data?.code === 401) return EXIT.clusterUnreachable;
  return EXIT.invalidInput;
}

const OS_REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EMFILE: 'too many open files',
};

/** A failed file operation, said with its path and the operating system's reason. */
function ioFailure(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  if (!e || typeof e.code !== 'string' || !(e.code in OS_REASONS || typeof e.syscall === 'string')) return undefined;
  const reason = OS_REASONS[e.code] ?? e.code;
  const where = e.path ? ` ${e.path}` : '';
  return `cannot ${e.syscall ?? 'access'}${where}: ${reason} (${e.code})`;
}

