// One step's lifecycle, as the executor runs it: check → apply → verify → until, inside retries
// with backoff and a per-attempt timeout. Steps never loop or retry on their own.
import { setTimeout as sleep } from 'node:timers/promises';
import pRetry from 'p-retry';
import { evaluateBoolean } from '../runbook/expressions.js';
import type { StepNode } from '../runbook/types.js';
import { RunAborted, RunbookError, StepFailure, StepTimeout, isTransient } from '../contract/errors.js';
import type { StepOutcome } from './events.js';
import type { Finding } from '../contract/findings.js';
import type { AnyStepType, DryRunMode, StepContext } from '../contract/step-type.js';

export interface AttemptOutcome {
  result: Omit<StepOutcome, 'attempts' | 'durationMs'>;
  output?: unknown;
  findings: Finding[];
}

export interface AttemptHooks {
  dryRun: DryRunMode;
  runSignal: AbortSignal;
  /** A step context bound to one attempt's abort signal. */
  contextFor(signal: AbortSignal): StepContext;
  /** Variables for `until`, with the attempt's output as `result`. */
  untilContext(output: unknown): Record<string, unknown>;
  /** Called before each attempt; the attempt starts once it settled (it checkpoints). */
  onAttempt(attempt: number): Promise<void> | void;
  onRetry(attempt: number, error: unknown, delayMs: number): void;
}

/**
 * Attempts a step gets when the cluster could not be reached (RunbookError.connection), whatever
 * its own `retries`: re-running a step starts at its check, so it is always safe, and a flaky API
 * server should cost a pause, not the run.
 */
export const CONNECTION_RETRIES = 4;

export async function runWithRetries(
  node: StepNode,
  type: AnyStepType,
  input: unknown,
  hooks: AttemptHooks,
): Promise<{ outcome: AttemptOutcome; attempts: number }> {
  const { delayMs, factor, maxDelayMs } = node.backoff;
  let attempts = 0;
  const outcome = await pRetry(
    async (attempt) => {
      attempts = attempt;
      await hooks.onAttempt(attempt);
      return attemptOnce(node, type, input, hooks);
    },
    {
      retries: Math.max(node.retries, CONNECTION_RETRIES),
      factor,
      minTimeout: delayMs,
      maxTimeout: maxDelayMs,
      randomize: false,
      signal: hooks.runSignal,
      shouldRetry: async ({ error, attemptNumber, retriesLeft }) => {
        // Never retry after the run was stopped, and only what retrying can fix: the step's own
        // budget for any transient failure, a budget of ours for failures to reach the cluster.
        const connection = error instanceof RunbookError && error.connection;
        const budget = connection ? Math.max(node.retries, CONNECTION_RETRIES) : node.retries;
        const retry = !hooks.runSignal.aborted && isTransient(error) && retriesLeft > 0 && attemptNumber <= budget;
        if (!retry) return false;
        const backoff = Math.min(maxDelayMs, delayMs * factor ** (attemptNumber - 1));
        // A server that said when to come back (429/503 Retry-After) gets at least that pause.
        const extra = Math.max(0, retryAfterMs(error, maxDelayMs) - backoff);
        hooks.onRetry(attemptNumber, error, backoff + extra);
        if (extra > 0) await sleep(extra, undefined, { signal: hooks.runSignal }).catch(() => undefined);
        return true;
      },
    },
  ).catch((err: unknown) => {
    if (hooks.runSignal.aborted) throw new RunAborted('the run was stopped', { cause: err });
    throw new AttemptsFailed(err, attempts);
  });
  return { outcome, attempts };
}

/** The server's Retry-After of a failed call, bounded so a bad header cannot stall the run. */
function retryAfterMs(error: unknown, maxDelayMs: number): number {
  const asked = error instanceof RunbookError ? error.data?.retryAfterMs : undefined;
  return typeof asked === 'number' && Number.isFinite(asked) ? Math.min(asked, Math.max(maxDelayMs, 60_000)) : 0;
}

/** The last error of a step whose attempts all failed, with how many attempts were made. */
export class AttemptsFailed extends Error {
  constructor(
    readonly error: unknown,
    readonly attempts: number,
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}

async function attemptOnce(node: StepNode, type: AnyStepType, input: unknown, hooks: AttemptHooks): Promise<AttemptOutcome> {
  // A timer of our own rather than AbortSignal.timeout(): that one is unref'd, so a step that
  // waits on nothing else would let the process exit mid-run instead of timing out.
  const timeout = node.timeoutMs ? new AbortController() : undefined;
  const timer = timeout && setTimeout(() => timeout.abort(new DOMException('attempt timed out', 'TimeoutError')), node.timeoutMs);
  const signal = timeout ? AbortSignal.any([hooks.runSignal, timeout.signal]) : hooks.runSignal;
  try {
    // The checkpoint before an attempt may have let a stop request in: start nothing then.
    signal.throwIfAborted();
    const ctx = hooks.contextFor(signal);
    return await raceAbort(lifecycle(node, type, input, ctx, hooks), signal);
  } catch (err) {
    if (timeout?.signal.aborted && !hooks.runSignal.aborted) {
      const last = err instanceof RunbookError ? err.data : undefined;
      // The timeout bounds one attempt: with retries, the next attempt gets its own.
      throw new StepTimeout(`timed out after ${formatMs(node.timeoutMs!)}${err instanceof StepTimeout ? `: ${err.message}` : ''}`, {
        data: last,
        transient: true,
        hint: err instanceof RunbookError ? err.hint : 'raise the step timeout if the operation is known to take longer',
      });
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function lifecycle(
  node: StepNode,
  type: AnyStepType,
  input: unknown,
  ctx: StepContext,
  hooks: AttemptHooks,
): Promise<AttemptOutcome> {
  let prepared: unknown;
  if (type.check) {
    const checked = await type.check(ctx, input);
    prepared = checked.prepared;
    if (checked.holds) {
      return { result: { status: 'ok', reason: checked.reason ?? 'already in the wanted state' }, output: checked.output, findings: [] };
    }
  }
  if (hooks.dryRun !== 'none' && type.dryRun === 'skip') {
    return { result: { status: 'skipped', reason: `dry run: ${type.name} steps are not run in a dry run` }, findings: [] };
  }
  const applied = await type.apply(ctx, input, prepared);
  if (type.verify && hooks.dryRun === 'none') await type.verify(ctx, input, applied);
  if (node.until && hooks.dryRun === 'none' && !evaluateBoolean(node.until, hooks.untilContext(applied.output))) {
    throw new StepFailure(`until: "${node.until}" is not yet true`, {
      transient: true,
      hint: 'the step is repeated until the condition holds or its retries run out; raise retries or backoff to wait longer',
    });
  }
  return {
    result: {
      status: applied.changed ? 'changed' : 'ok',
      summary: applied.summary,
      diff: applied.diff,
    },
    output: applied.output,
    findings: applied.findings ?? [],
  };
}

/** Steps should honour their signal; this makes sure a step that does not cannot hang the run. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m}m${s}s` : `${m}m`;
}
