// Turns any error into a message and an exit code, in one place. Never a stack trace, unless
// RUNBOOK_DEBUG is set.
import { InputError, RunbookError, formatProblem } from '../engine/errors.js';
import { EXIT } from './exit-codes.js';

export class CliExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export function reportError(err: unknown, write: (s: string) => void = (s) => process.stderr.write(s)): number {
  if (err instanceof CliExit) return err.code;
  if (err instanceof InputError) {
    const n = err.problems.length;
    write(`${err.problems.map(formatProblem).join('\n')}\n`);
    write(`${n} problem${n === 1 ? '' : 's'} found; nothing was run.\n`);
    return EXIT.invalidInput;
  }
  if (err instanceof RunbookError) {
    write(`error: ${err.message}\n${err.hint ? `  hint: ${err.hint}\n` : ''}`);
    return EXIT.invalidInput;
  }
  const message = err instanceof Error ? err.message : String(err);
  write(`error: ${message}\n`);
  if (process.env.RUNBOOK_DEBUG && err instanceof Error && err.stack) write(`${err.stack}\n`);
  else write('  (this is unexpected; set RUNBOOK_DEBUG=1 to see where it came from)\n');
  return EXIT.stepFailed;
}
