// Checkpoints: serialised writes, the ones that come during a write sharing the next, and durable
// when any of them asked to be.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CheckpointWriter } from '../../../src/engine/checkpoint-writer.js';
import type { RunState, StateStore } from '../../../src/engine/state.js';

/** A store that records each write (what the state said, and whether it was durable) and holds it until released. */
function recordingStore(): { store: StateStore; writes: { marks: string[]; durable: boolean }[]; release: () => void } {
  const writes: { marks: string[]; durable: boolean }[] = [];
  const waiting: (() => void)[] = [];
  const store = {
    save: (state: RunState, options: { durable?: boolean }) => {
      writes.push({ marks: Object.keys(state.steps), durable: options.durable === true });
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
  } as unknown as StateStore;
  return { store, writes, release: () => waiting.splice(0).forEach((r) => r()) };
}

/** A store whose first write fails with "disk full" (and the first after `again()`); counts writes. */
function failsFirstWrite(): { store: StateStore; calls: () => number; again: () => void } {
  let calls = 0;
  const store = {
    save: async () => {
      calls++;
      if (calls === 1) throw new Error('disk full');
    },
  } as unknown as StateStore;
  return { store, calls: () => calls, again: () => (calls = 0) };
}

const state = (): RunState => ({ steps: {} }) as unknown as RunState;

describe('the checkpoint writer', () => {
  it('writes nothing and waits for nothing without a store', async () => {
    await expect(new CheckpointWriter(undefined, state()).save()).resolves.toBeUndefined();
  });

  it('never starts a write while one is under way; those that come meanwhile share the next', async () => {
    const s = state();
    const { store, writes, release } = recordingStore();
    const writer = new CheckpointWriter(store, s);
    s.steps.a = { state: 'running' };
    const first = writer.save(false);
    await Promise.resolve();
    await Promise.resolve();
    expect(writes).toHaveLength(1);
    s.steps.b = { state: 'running' };
    const second = writer.save(false);
    s.steps.c = { state: 'done', status: 'ok' };
    const third = writer.save(true);
    expect(writes).toHaveLength(1);
    release();
    await first;
    await Promise.resolve();
    await Promise.resolve();
    // One write for both, reading the state when it starts, durable because one of them asked.
    expect(writes).toEqual([
      { marks: ['a'], durable: false },
      { marks: ['a', 'b', 'c'], durable: true },
    ]);
    release();
    await Promise.all([second, third]);
  });

  it('goes on writing after a write failed', async () => {
    const { store, calls } = failsFirstWrite();
    const writer = new CheckpointWriter(store, state());
    await expect(writer.save()).rejects.toThrow('disk full');
    await expect(writer.save()).resolves.toBeUndefined();
    expect(calls()).toBe(2);
  });

  it('a write not waited for that fails is thrown by the next save waited for, once', async () => {
    const { store, calls, again } = failsFirstWrite();
    const writer = new CheckpointWriter(store, state(), 1);
    writer.saveInBackground();
    await sleep(10);
    expect(calls()).toBe(1);
    await expect(writer.save()).rejects.toThrow('disk full');
    await expect(writer.save()).resolves.toBeUndefined();
    expect(calls()).toBe(3);
    // A save waited for that takes a waiting background write along fails once, and only it.
    again();
    writer.saveInBackground();
    await expect(writer.save()).rejects.toThrow('disk full');
    await expect(writer.save()).resolves.toBeUndefined();
    await sleep(10);
    expect(calls()).toBe(2);
  });

  it('writes in the background without being waited for, in order with the saves waited for', async () => {
    const s = state();
    const { store, writes, release } = recordingStore();
    const writer = new CheckpointWriter(store, s, 1);
    s.steps.a = { state: 'done', status: 'ok' };
    writer.saveInBackground();
    await sleep(10);
    expect(writes).toEqual([{ marks: ['a'], durable: false }]);
    s.steps.b = { state: 'done', status: 'ok' };
    const after = writer.save(true);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual([{ marks: ['a'], durable: false }, { marks: ['a', 'b'], durable: true }]);
    release();
    await after;
  });

  it('writes a background record at once after a quiet spell, and makes those within the delay share one write', async () => {
    const s = state();
    const { store, writes, release } = recordingStore();
    const writer = new CheckpointWriter(store, s, 100);
    s.steps.a = { state: 'done', status: 'ok' };
    writer.saveInBackground();
    await sleep(1);
    // The first record is not held back: a run killed right after it resumes past it.
    expect(writes).toEqual([{ marks: ['a'], durable: false }]);
    release();
    for (const id of ['b', 'c', 'd']) {
      s.steps[id] = { state: 'done', status: 'ok' };
      writer.saveInBackground();
      await sleep(1);
    }
    expect(writes).toHaveLength(1);
    await sleep(150);
    expect(writes).toEqual([
      { marks: ['a'], durable: false },
      { marks: ['a', 'b', 'c', 'd'], durable: false },
    ]);
    release();
    // A quiet spell longer than the delay: the next record is written at once again.
    await sleep(150);
    s.steps.e = { state: 'done', status: 'ok' };
    writer.saveInBackground();
    await sleep(1);
    expect(writes).toHaveLength(3);
    release();
  });

  it('lets a save waited for take the waiting background records along, with no write after it', async () => {
    const s = state();
    const { store, writes, release } = recordingStore();
    const writer = new CheckpointWriter(store, s, 100);
    // A first background write opens the delay the next records wait in.
    writer.saveInBackground();
    await sleep(1);
    release();
    expect(writes).toHaveLength(1);
    s.steps.a = { state: 'done', status: 'ok' };
    writer.saveInBackground();
    s.steps.b = { state: 'done', status: 'ok' };
    await sleep(1);
    expect(writes).toHaveLength(1);
    const saved = writer.save(true);
    await Promise.resolve();
    await Promise.resolve();
    expect(writes).toEqual([
      { marks: [], durable: false },
      { marks: ['a', 'b'], durable: true },
    ]);
    release();
    await saved;
    await sleep(150);
    expect(writes).toHaveLength(2);
  });
});
