// Waiting through a watch, never a sleep loop: list once (an already-true condition resolves at
// once), then watch from the list's resourceVersion; list again on 410 Gone, reconnect with a
// short backoff when the connection drops. Timeouts carry the last state seen.
import { setTimeout as sleep } from 'node:timers/promises';
import { RunAborted, RunbookError, StepFailure, StepTimeout, isTransient } from '../contract/errors.js';
import type { KubeClient } from './client.js';
import { isGone } from './errors.js';
import { type Verdict, conditionsOf } from './readiness.js';
import type { KubeObject } from './types.js';
import { describeRef } from './types.js';

/** One named object, or every object matching selectors. */
export interface WaitTarget {
  apiVersion: string;
  kind: string;
  name?: string;
  namespace?: string;
  allNamespaces?: boolean;
  labelSelector?: string;
  fieldSelector?: string;
}

/** Gets the object (or null) when the target has a name, else the list of matching objects. */
export type WaitPredicate = (state: KubeObject | null | KubeObject[]) => Verdict;

export interface WaitOptions {
  target: WaitTarget;
  /**
   * Judges the object (or null) when the target has a name, else the list of matching objects.
   * Declared as a method so that both ObjectPredicate and list predicates fit.
   */
  predicate(state: KubeObject | null | KubeObject[]): Verdict;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called with each new verdict, for progress output. */
  onUpdate?: (verdict: Verdict) => void;
  /** Reconnect backoff after a dropped watch; grows ×2 up to maxMs. */
  backoff?: { initialMs: number; maxMs: number };
  /** How long the server keeps one watch open before we reconnect (seconds). */
  watchTimeoutSeconds?: number;
  /**
   * What the caller already read (e.g. the object its patch returned, with that resourceVersion):
   * judged first and watched from, which saves the initial list. A stale resourceVersion is fine:
   * the server answers 410 Gone and the wait lists afresh.
   */
  initial?: { objects: KubeObject[]; resourceVersion: string };
}

export interface WaitResult {
  verdict: Verdict;
  state: KubeObject | null | KubeObject[];
  elapsedMs: number;
  /** Lists made (1 + re-lists after 410 Gone). */
  lists: number;
  /** Watch connections opened. */
  watches: number;
}

const DEFAULT_BACKOFF = { initialMs: 100, maxMs: 2_000 };

/** Why the internal controller was aborted. */
const TIMED_OUT = Symbol('timed out');

export async function waitFor(client: KubeClient, options: WaitOptions): Promise<WaitResult> {
  const { target } = options;
  const started = Date.now();
  const label = describeRef(target);
  const objects = new Map<string, KubeObject>();
  const counters = { lists: 0, watches: 0 };
  let last: Verdict = { status: 'pending', description: 'nothing seen yet' };
  let lastState: KubeObject | null | KubeObject[] = target.name ? null : [];
  /** The transient failure since the last good answer, so a timeout can say why nothing came. */
  let lastError: unknown;
  // A request the client is still sending again has not failed yet as far as this loop knows;
  // hear of the client's failures meanwhile, so a timeout in the middle of them still says why.
  const stopHearing = client.onResend((r) => {
    lastError = new Error(r.error);
  });

  const internal = new AbortController();
  const timer = setTimeout(() => internal.abort(TIMED_OUT), options.timeoutMs);
  const onOuterAbort = (): void => internal.abort(options.signal?.reason);
  if (options.signal?.aborted) onOuterAbort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = internal.signal;

  const selector = {
    ...(target.namespace ? { namespace: target.namespace } : {}),
    ...(target.allNamespaces ? { allNamespaces: true } : {}),
    ...(target.labelSelector ? { labelSelector: target.labelSelector } : {}),
    ...(fieldSelectorOf(target) ? { fieldSelector: fieldSelectorOf(target) } : {}),
  };
  const ref = { apiVersion: target.apiVersion, kind: target.kind, ...(target.namespace ? { namespace: target.namespace } : {}) };

  /** Judge the current state; returns the result when finished, throws when failed. */
  const judge = (): WaitResult | undefined => {
    const state = target.name ? ([...objects.values()][0] ?? null) : [...objects.values()];
    const verdict = options.predicate(state);
    lastState = state;
    if (verdict.status !== last.status || verdict.description !== last.description) options.onUpdate?.(verdict);
    last = verdict;
    if (verdict.status === 'done') return { verdict, state, elapsedMs: Date.now() - started, ...counters };
    if (verdict.status === 'failed') {
      throw new StepFailure(`${label}: ${verdict.description}`, { data: { lastState: summarize(verdict, state) } });
    }
    return undefined;
  };

  let initial = options.initial;
  const replaceAll = (items: KubeObject[]): void => {
    objects.clear();
    for (const item of items) objects.set(keyOf(item), item);
  };
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  let delay = backoff.initialMs;
  const pause = async (): Promise<void> => {
    await sleep(delay, undefined, { signal });
    delay = Math.min(delay * 2, backoff.maxMs);
  };

  try {
    for (;;) {
      // List: the starting state and the resourceVersion to watch from.
      let resourceVersion: string | undefined;
      if (initial) {
        replaceAll(initial.objects);
        resourceVersion = initial.resourceVersion;
        initial = undefined;
      } else {
        try {
          counters.lists++;
          const list = await client.list(ref, { ...selector, signal });
          lastError = undefined;
          replaceAll(list.items);
          resourceVersion = list.metadata.resourceVersion;
        } catch (err) {
          if (signal.aborted || !isTransient(err)) throw err;
          lastError = err;
          await pause();
          continue;
        }
      }
      const finished = judge();
      if (finished) return finished;

      // Watch until finished, or until the resourceVersion is too old and we must list again.
      let relist = false;
      while (!relist) {
        const openedAt = Date.now();
        let events = 0;
        try {
          counters.watches++;
          for await (const event of client.watch(ref, {
            ...selector,
            ...(resourceVersion ? { resourceVersion } : {}),
            timeoutSeconds: options.watchTimeoutSeconds ?? 300,
            allowBookmarks: true,
            signal,
          })) {
            events++;
            lastError = undefined;
            delay = backoff.initialMs;
            resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
            if (event.type === 'BOOKMARK') continue;
            if (event.type === 'DELETED') objects.delete(keyOf(event.object));
            else objects.set(keyOf(event.object), event.object);
            const result = judge();
            if (result) return result;
          }
          // A clean close right after opening, with nothing received, would spin; pace it.
          if (events === 0 && Date.now() - openedAt < 1_000) await pause();
        } catch (err) {
          if (signal.aborted) throw err;
          if (isGone(err)) relist = true;
          else if (isTransient(err)) {
            lastError = err;
            await pause();
          } else throw err;
        }
      }
    }
  } catch (err) {
    if (signal.reason === TIMED_OUT) {
      const seconds = Math.round(options.timeoutMs / 100) / 10;
      const failing = lastError instanceof Error ? lastError.message : undefined;
      throw new StepTimeout(`timed out after ${seconds}s waiting for ${label}: ${last.description}${failing ? `; the last attempt failed: ${failing}` : ''}`, {
        data: { lastState: summarize(last, lastState), elapsedMs: Date.now() - started, ...(failing ? { lastError: failing } : {}) },
      });
    }
    if (options.signal?.aborted) {
      throw err instanceof RunAborted ? err : new RunAborted(`stopped waiting for ${label}`, { cause: err });
    }
    throw err instanceof RunbookError ? err : new StepFailure(`waiting for ${label}: ${String(err)}`, { cause: err });
  } finally {
    stopHearing();
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
    if (!signal.aborted) internal.abort();
  }
}

function fieldSelectorOf(target: WaitTarget): string | undefined {
  const parts = [target.name ? `metadata.name=${target.name}` : '', target.fieldSelector ?? ''].filter(Boolean);
  return parts.length ? parts.join(',') : undefined;
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

/** What a timeout or failure reports: the verdict text plus phase and conditions of what was seen. */
function summarize(verdict: Verdict, state: KubeObject | null | KubeObject[]): Record<string, unknown> {
  const one = (o: KubeObject): Record<string, unknown> => {
    const status = (o.status ?? {}) as Record<string, unknown>;
    return {
      name: o.metadata.name,
      ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
      ...(status.phase !== undefined ? { phase: status.phase } : {}),
      ...(conditionsOf(o).length ? { conditions: conditionsOf(o) } : {}),
      ...(o.metadata.deletionTimestamp ? { deletionTimestamp: o.metadata.deletionTimestamp } : {}),
    };
  };
  const seen = state === null ? { exists: false } : Array.isArray(state) ? { objects: state.map(one) } : { exists: true, ...one(state) };
  return { description: verdict.description, ...seen };
}
