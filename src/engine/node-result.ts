// The result of a node in the shapes the executor records and reports: a group's or loop's status
// from its children's, a recorded state read back as a result, an error as data (redacted), and a
// diff rendered only when read.
import { RunbookError } from '../contract/errors.js';
import type { Redactor } from '../contract/redact.js';
import type { StepResult, StepStatus } from './events.js';
import type { StepState } from './state.js';

/** A group's or loop's status: changed if anything changed, skipped if everything was. */
export function aggregate(results: readonly StepResult[]): StepStatus {
  if (results.some((r) => r.status === 'changed')) return 'changed';
  if (results.length > 0 && results.every((r) => r.status === 'skipped')) return 'skipped';
  return 'ok';
}

/** The result of a node that failed because its child `failedKey` did. */
export function childFailed(failedKey: string, durationMs: number): StepResult {
  return { status: 'failed', attempts: 1, durationMs, error: { message: `step ${failedKey} failed`, transient: false } };
}

/** A node completed in an earlier run, as the result it had then. */
export function toResult(s: StepState): StepResult {
  return {
    status: s.status!,
    attempts: s.attempts ?? 0,
    durationMs: s.durationMs ?? 0,
    reason: s.reason,
    summary: s.summary,
  };
}

export function toStepError(err: unknown, redactor: Redactor): StepResult['error'] {
  if (err instanceof RunbookError) {
    return {
      message: redactor.redact(err.message),
      hint: err.hint && redactor.redact(err.hint),
      transient: err.transient,
      data: err.data && redactor.redactValue(err.data),
    };
  }
  return { message: redactor.redact(errorMessage(err)), transient: false };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Gives a result its diff as a getter that renders and redacts it once, when first read. */
export function diffWhenRead(result: StepResult, diff: string | (() => string), redactor: Redactor): void {
  let text: string | undefined;
  Object.defineProperty(result, 'diff', {
    enumerable: true,
    configurable: true,
    get: () => (text ??= redactor.redact(typeof diff === 'function' ? diff() : diff)),
  });
}
