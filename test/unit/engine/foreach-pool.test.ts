// A forEach loop's items, their keys, and the pool that runs them.
import { describe, expect, it } from 'vitest';
import { RunAborted, StepFailure } from '../../../src/contract/errors.js';
import { itemKey, loopItems, runItemPool } from '../../../src/engine/foreach-pool.js';
import type { ForEachNode } from '../../../src/runbook/types.js';

const loop = (fields: Partial<ForEachNode>): ForEachNode => ({
  id: 'a/loop',
  name: 'loop',
  kind: 'forEach',
  items: [],
  as: 'item',
  concurrency: 1,
  children: [],
  retries: 0,
  backoff: { delayMs: 0, factor: 1, maxDelayMs: 0 },
  tags: [],
  continueOnError: false,
  scope: '',
  digest: '',
  at: { file: 'r.yaml', line: 1, column: 1 },
  ...fields,
});

/** A promise settled from outside, to hold an item until the test lets it go. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('loop items', () => {
  it('reads a CEL expression, a template or a literal list', () => {
    const context = { names: ['x', 'y'], n: 2 };
    expect(loopItems(loop({ items: 'names' }), context)).toEqual(['x', 'y']);
    expect(loopItems(loop({ items: '{{ names }}' }), context)).toEqual(['x', 'y']);
    expect(loopItems(loop({ items: ['{{ n }}', 'z'] }), context)).toEqual([2, 'z']);
  });

  it('fails a loop whose items are no list, or cannot be read', () => {
    const notList = loopItems(loop({ items: 'n' }), { n: 2 });
    expect(notList).toBeInstanceOf(StepFailure);
    expect((notList as StepFailure).message).toBe('forEach items must be a list, got number');
    const unreadable = loopItems(loop({ items: 'missing.field' }), {});
    expect(unreadable).toBeInstanceOf(StepFailure);
    expect((unreadable as StepFailure).message).toMatch(/^forEach items: /);
  });

  it('keys an item by the key expression, its namespace/name, itself, its name, or its index', () => {
    expect(itemKey(loop({ key: 'item.id + "-k"' }), { id: 'a' }, 0, {})).toBe('a-k');
    expect(itemKey(loop({}), { metadata: { name: 'm', namespace: 'ns' } }, 0, {})).toBe('ns/m');
    expect(itemKey(loop({}), { metadata: { name: 'm' } }, 0, {})).toBe('m');
    expect(itemKey(loop({}), 'plain', 0, {})).toBe('plain');
    expect(itemKey(loop({}), 7, 0, {})).toBe('7');
    expect(itemKey(loop({}), { name: 'n' }, 0, {})).toBe('n');
    expect(itemKey(loop({}), { other: 1 }, 3, {})).toBe('3');
  });
});

describe('the item pool', () => {
  it('runs every item in order, no more than `concurrency` at once', async () => {
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const failure = await runItemPool([1, 2, 3, 4, 5], 2, new AbortController().signal, async (n) => {
      started.push(n);
      running++;
      most = Math.max(most, running);
      await Promise.resolve();
      running--;
    });
    expect(failure).toBeUndefined();
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(2);
  });

  it('takes no new item after a failure and returns the first one', async () => {
    const started: number[] = [];
    const failure = await runItemPool([1, 2, 3, 4], 1, new AbortController().signal, async (n, failed) => {
      started.push(n);
      if (n >= 2) failed(`item ${n}`);
    });
    expect(failure).toBe('item 2');
    expect(started).toEqual([1, 2]);
  });

  it('passes a thrown stop on only once the items under way have finished', async () => {
    const slow = gate();
    const finished: number[] = [];
    const pool = runItemPool([1, 2, 3], 2, new AbortController().signal, async (n) => {
      if (n === 1) {
        await slow.wait;
        finished.push(n);
        return;
      }
      throw new Error(`stop at ${n}`);
    });
    let settled = false;
    void pool.catch(() => (settled = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toBe(false);
    slow.open();
    await expect(pool).rejects.toThrow('stop at 2');
    // Item 3 was never taken: the stop came first.
    expect(finished).toEqual([1]);
  });

  it('stops taking items when the run is aborted, and says so', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const pool = runItemPool([1, 2, 3], 1, controller.signal, async (n) => {
      started.push(n);
      controller.abort();
    });
    await expect(pool).rejects.toBeInstanceOf(RunAborted);
    expect(started).toEqual([1]);
  });
});
