// The small error hierarchy of the product. Code anywhere may throw these; only the CLI turns
// them into output and exit codes.

export interface ErrorDetails {
  /** Retrying may help: network failures, 5xx, 429, conflicts. */
  transient?: boolean;
  /**
   * The failure was in reaching the cluster (a refused connection, a 5xx, a 429, a conflict), not
   * in what the step asked: running the step again from its check is always safe, so the executor
   * does it within a budget of its own even for steps that set no retries.
   */
  connection?: boolean;
  /** A hint for the user on how to fix the cause. */
  hint?: string;
  /** Extra structured data for reports (e.g. the last state a wait saw). */
  data?: Record<string, unknown>;
  cause?: unknown;
}

export class RunbookError extends Error {
  readonly transient: boolean;
  readonly connection: boolean;
  readonly hint: string | undefined;
  readonly data: Record<string, unknown> | undefined;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.transient = details.transient ?? false;
    this.connection = details.connection ?? false;
    this.hint = details.hint;
    this.data = details.data;
  }
}

/** A step could not reach its effect. Permanent unless marked transient. */
export class StepFailure extends RunbookError {}

/** A step (or a wait inside it) ran out of time; `data.lastState` says what was seen last. */
export class StepTimeout extends RunbookError {}

/** The run was stopped from outside (SIGINT, SIGTERM); never retried. */
export class RunAborted extends RunbookError {}

/**
 * A run's state on disk cannot be read as written: a damaged snapshot, a damaged line in the
 * middle of the change log, a missing change, or a format this version does not know. Named with
 * its file (and line), never replaced silently; `runbook resume RUN-ID --repair` rebuilds what can
 * be proven.
 */
export class StateDamaged extends RunbookError {}

/**
 * The permission preflight found things the user may not do that the runbook needs: nothing was
 * changed. Not bad input: the runbook is fine, the credentials are not enough.
 */
export class PermissionsMissing extends RunbookError {}

/** Bad input: a runbook, a vars file, a flag. Carries every problem found, not just the first. */
export class InputError extends RunbookError {
  constructor(readonly problems: readonly Problem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export interface Problem {
  message: string;
  hint?: string;
  at?: SourcePosition;
}

export function formatProblem(p: Problem): string {
  const where = p.at ? `${p.at.file}:${p.at.line}:${p.at.column}: ` : '';
  return `${where}${p.message}${p.hint ? `\n  hint: ${p.hint}` : ''}`;
}

/** Whether retrying can help. Unknown errors (bugs, TypeErrors) are permanent. */
export function isTransient(err: unknown): boolean {
  return err instanceof RunbookError && err.transient;
}
