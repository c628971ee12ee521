// Progress lines are written to stdout together, once per turn of the event loop, and whatever is
// still queued is written when asked (at the end of a run, before a question, at exit).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushStdout, writeStdout } from '../../../../src/cli/render/stdout-batch.js';

let writes: string[];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setImmediate', 'clearImmediate'] });
  writes = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => writes.push(String(s)) > 0);
});

afterEach(() => {
  flushStdout();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('stdout batch', () => {
  it('lines written in one turn reach stdout as one write, on the next', () => {
    for (let i = 0; i < 1000; i++) writeStdout(`line ${i}\n`);
    expect(writes).toEqual([]);
    vi.runOnlyPendingTimers();
    expect(writes).toHaveLength(1);
    expect(writes[0]!.split('\n')).toHaveLength(1001);
    writeStdout('later\n');
    vi.runOnlyPendingTimers();
    expect(writes).toEqual([expect.any(String), 'later\n']);
  });

  it('a flush writes what is queued at once, and nothing when nothing is', () => {
    writeStdout('a\n');
    writeStdout('b\n');
    flushStdout();
    expect(writes).toEqual(['a\nb\n']);
    flushStdout();
    vi.runOnlyPendingTimers();
    expect(writes).toEqual(['a\nb\n']);
  });
});
