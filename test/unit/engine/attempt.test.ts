// One step's attempts, as the executor makes them: check → apply → verify → until, retried with
// backoff only when retrying can help, each attempt bounded by the step's timeout. Timers are
// faked: a test says exactly when each attempt starts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunAborted, RunbookError, StepFailure, StepTimeout } from '../../../src/contract/errors.js';
import type { AnyStepType, StepContext } from '../../../src/contract/step-type.js';
import { AttemptsFailed, CONNECTION_RETRIES, formatMs, runWithRetries, type AttemptHooks } from '../../../src/engine/attempt.js';
import type { DryRunMode } from '../../../src/contract/step-type.js';
import type { StepNode } from '../../../src/runbook/types.js';

// attempt.ts waits for a server's Retry-After with node:timers/promises, which fake timers do not
// reach: here it waits on the global setTimeout, which they do.
vi.mock('node:timers/promises', async (importOriginal) => ({
  ...(await importOriginal<typeof import('node:timers/promises')>()),
  setTimeout: (ms: number, value?: unknown, options?: { signal?: AbortSignal }) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(value), ms);
      options?.signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(options.signal!.reason);
        },
        { once: true },
      );
    }),
}));

function step(fields: Partial<StepNode> = {}): StepNode {
  return {
    kind: 'step',
    id: 's',
    name: 's',
    type: 't',
    input: {},
    at: { file: 'x.yaml', line: 1, column: 1 },
    scope: '',
    digest: 'd',
    retries: 0,
    backoff: { delayMs: 1000, factor: 2, maxDelayMs: 30_000 },
    tags: [],
    continueOnError: false,
    ...fields,
  };
}

interface Recorded {
  hooks: AttemptHooks;
  attempts: number[];
  retries: { attempt: number; message: string; delayMs: number }[];
  abort: AbortController;
}

function hooks(dryRun: DryRunMode = 'none', untilVars: (output: unknown) => Record<string, unknown> = (output) => ({ result: output })): Recorded {
  const abort = new AbortController();
  const rec: Recorded = { attempts: [], retries: [], abort, hooks: undefined as unknown as AttemptHooks };
  rec.hooks = {
    dryRun,
    runSignal: abort.signal,
    contextFor: (signal) => ({ signal, log: () => undefined }) as unknown as StepContext,
    untilContext: untilVars,
    onAttempt: (n) => {
      rec.attempts.push(n);
    },
    onRetry: (attempt, error, delayMs) => {
      rec.retries.push({ attempt, message: (error as Error).message, delayMs });
    },
  };
  return rec;
}

/** A step type whose apply does what `apply` says, attempt by attempt. */
function type(apply: (attempt: number, signal: AbortSignal) => Promise<{ changed: boolean; output?: unknown; summary?: string }>, extra: Partial<AnyStepType> = {}): AnyStepType & { calls: string[] } {
  const calls: string[] = [];
  let n = 0;
  return {
    calls,
    name: 't',
    summary: '',
    input: {},
    examples: [],
    dryRun: 'native',
    apply: (ctx: StepContext) => {
      calls.push('apply');
      return apply(++n, ctx.signal);
    },
    ...extra,
  } as AnyStepType & { calls: string[] };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('one attempt', () => {
  it('a check that holds ends the step ok, with its reason and output; apply does not run', async () => {
    const t = type(async () => ({ changed: true }), { check: async () => ({ holds: true, reason: 'already labelled', output: { n: 1 } }) });
    const { outcome, attempts } = await runWithRetries(step(), t, {}, hooks().hooks);
    expect(attempts).toBe(1);
    expect(outcome).toEqual({ result: { status: 'ok', reason: 'already labelled' }, output: { n: 1 }, findings: [] });
    expect(t.calls).toEqual([]);
  });

  it('check hands what it found to apply; verify sees what apply returned', async () => {
    const seen: unknown[] = [];
    const t = type(async () => ({ changed: true }), {
      check: async () => ({ holds: false, prepared: { live: 'object' } }),
      apply: async (_ctx: StepContext, _input: unknown, prepared: unknown) => {
        seen.push(prepared);
        return { changed: true, summary: 'made', diff: '+ a', output: { ok: 1 }, findings: [{ severity: 'info', check: 'c', message: 'm' }] };
      },
      verify: async (_ctx: StepContext, _input: unknown, applied: unknown) => {
        seen.push(applied);
      },
    });
    const { outcome } = await runWithRetries(step(), t, {}, hooks().hooks);
    expect(seen[0]).toEqual({ live: 'object' });
    expect(seen[1]).toMatchObject({ summary: 'made' });
    expect(outcome).toEqual({ result: { status: 'changed', summary: 'made', diff: '+ a' }, output: { ok: 1 }, findings: [{ severity: 'info', check: 'c', message: 'm' }] });
  });

  it('in a dry run, a step that cannot dry-run is skipped after its check; verify and until are not run', async () => {
    const skip = type(async () => ({ changed: true }), { dryRun: 'skip' });
    expect((await runWithRetries(step(), skip, {}, hooks('client').hooks)).outcome.result).toEqual({ status: 'skipped', reason: 'dry run: t steps are not run in a dry run' });
    expect(skip.calls).toEqual([]);
    const verify = vi.fn();
    const native = type(async () => ({ changed: false, output: { ready: false } }), { verify });
    const { outcome } = await runWithRetries(step({ until: 'result.ready' }), native, {}, hooks('server').hooks);
    expect(outcome.result.status).toBe('ok');
    expect(verify).not.toHaveBeenCalled();
  });
});

describe('retries', () => {
  it('a transient failure is retried after the backoff, doubling, as often as the step allows', async () => {
    const t = type(async (n) => {
      if (n < 3) throw new StepFailure(`not yet (${n})`, { transient: true });
      return { changed: true };
    });
    const rec = hooks();
    const done = runWithRetries(step({ retries: 2 }), t, {}, rec.hooks);
    await vi.advanceTimersByTimeAsync(999);
    expect(rec.attempts).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1);
    expect(rec.attempts).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(1999);
    expect(rec.attempts).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(1);
    const { outcome, attempts } = await done;
    expect(attempts).toBe(3);
    expect(outcome.result.status).toBe('changed');
    expect(rec.retries).toEqual([
      { attempt: 1, message: 'not yet (1)', delayMs: 1000 },
      { attempt: 2, message: 'not yet (2)', delayMs: 2000 },
    ]);
  });

  it('the backoff stops growing at its maximum', async () => {
    const t = type(async () => {
      throw new StepFailure('down', { transient: true });
    });
    const rec = hooks();
    const done = runWithRetries(step({ retries: 4, backoff: { delayMs: 1000, factor: 3, maxDelayMs: 5000 } }), t, {}, rec.hooks).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    const err = await done;
    expect(rec.retries.map((r) => r.delayMs)).toEqual([1000, 3000, 5000, 5000]);
    expect(err).toBeInstanceOf(AttemptsFailed);
    expect((err as AttemptsFailed).attempts).toBe(5);
    expect((err as AttemptsFailed).error).toBeInstanceOf(StepFailure);
    expect((err as AttemptsFailed).message).toBe('down');
  });

  it('a permanent failure is not retried, whatever the step allows', async () => {
    const t = type(async () => {
      throw new StepFailure('forbidden');
    });
    const rec = hooks();
    const err = await runWithRetries(step({ retries: 5 }), t, {}, rec.hooks).catch((e: unknown) => e);
    expect((err as AttemptsFailed).attempts).toBe(1);
    expect(rec.retries).toEqual([]);
  });

  it(`a cluster that cannot be reached is tried ${CONNECTION_RETRIES + 1} times even by a step without retries`, async () => {
    const t = type(async () => {
      throw new RunbookError('connect ECONNREFUSED', { transient: true, connection: true });
    });
    const rec = hooks();
    const done = runWithRetries(step({ retries: 0 }), t, {}, rec.hooks).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(((await done) as AttemptsFailed).attempts).toBe(CONNECTION_RETRIES + 1);
    // Its other transient failures get only its own budget.
    const other = type(async () => {
      throw new StepFailure('busy', { transient: true });
    });
    const err = await runWithRetries(step({ retries: 0 }), other, {}, hooks().hooks).catch((e: unknown) => e);
    expect((err as AttemptsFailed).attempts).toBe(1);
  });

  it("a server's Retry-After is waited for when it is longer than the backoff", async () => {
    const t = type(async (n) => {
      if (n === 1) throw new RunbookError('429 Too Many Requests', { transient: true, data: { retryAfterMs: 7000 } });
      return { changed: false };
    });
    const rec = hooks();
    const done = runWithRetries(step({ retries: 1 }), t, {}, rec.hooks);
    await vi.advanceTimersByTimeAsync(6999);
    expect(rec.attempts).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1);
    expect((await done).attempts).toBe(2);
    expect(rec.retries).toEqual([{ attempt: 1, message: '429 Too Many Requests', delayMs: 7000 }]);
  });

  it('until repeats the step until it holds', async () => {
    const t = type(async (n) => ({ changed: false, output: { ready: n >= 2 } }));
    const rec = hooks();
    const done = runWithRetries(step({ retries: 3, until: 'result.ready' }), t, {}, rec.hooks);
    await vi.runAllTimersAsync();
    expect((await done).attempts).toBe(2);
    expect(rec.retries[0]!.message).toBe('until: "result.ready" is not yet true');
  });
});

describe('timeouts and stops', () => {
  it('an attempt that outlives the timeout fails as timed out, and the next attempt gets its own time', async () => {
    // The first attempt hangs; the second takes 20s, well inside its own 30s.
    const t = type((n) => (n === 1 ? new Promise(() => undefined) : new Promise((resolve) => setTimeout(() => resolve({ changed: true }), 20_000))));
    const rec = hooks();
    const done = runWithRetries(step({ retries: 1, timeoutMs: 30_000 }), t, {}, rec.hooks);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(rec.retries).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(rec.retries).toEqual([{ attempt: 1, message: 'timed out after 30s', delayMs: 1000 }]);
    await vi.advanceTimersByTimeAsync(1000 + 20_000);
    expect((await done).outcome.result.status).toBe('changed');
  });

  it('a timeout without retries left fails the step with the timeout and a hint', async () => {
    const t = type(() => new Promise(() => undefined));
    const done = runWithRetries(step({ timeoutMs: 90_000 }), t, {}, hooks().hooks).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(90_000);
    const err = (await done) as AttemptsFailed;
    expect(err.error).toBeInstanceOf(StepTimeout);
    expect(err.message).toBe('timed out after 1m30s');
    expect((err.error as StepTimeout).hint).toBe('raise the step timeout if the operation is known to take longer');
  });

  it('a stopped run stops the attempt under way and is not retried', async () => {
    const t = type(() => new Promise(() => undefined));
    const rec = hooks();
    const done = runWithRetries(step({ retries: 5 }), t, {}, rec.hooks).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    rec.abort.abort(new Error('SIGINT'));
    const err = await done;
    expect(err).toBeInstanceOf(RunAborted);
    expect(rec.attempts).toEqual([1]);
  });
});

describe('formatMs', () => {
  it.each([
    [0, '0ms'],
    [999.4, '999ms'],
    [1000, '1.0s'],
    [9_950, '9.9s'],
    [12_345, '12s'],
    [60_000, '1m'],
    [61_000, '1m1s'],
    [3_600_000, '60m'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });
});
