// What `--output json` prints for a fixed run, compared with a file: one JSON object per event,
// each with its time, in the order the executor sent them.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JsonLinesRenderer } from '../../../../src/cli/render/json-lines.js';
import { NOW, sampleEvents } from './fixtures/sample-run.js';

function print(which: 'failed' | 'gate'): string {
  let out = '';
  const renderer = new JsonLinesRenderer((s) => {
    out += s;
  });
  for (const e of sampleEvents(which)) {
    renderer.onEvent(e);
    vi.advanceTimersByTime(250);
  }
  return out;
}

describe('JSON-lines renderer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('prints every event of a failed run as one line, with its time', async () => {
    const out = print('failed');
    await expect(out).toMatchFileSnapshot('__snapshots__/json-lines-failed.jsonl');
    const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(sampleEvents('failed').length);
    expect(lines.map((l) => l.type)).toEqual(sampleEvents('failed').map((e) => e.type));
    expect(lines[0]).toMatchObject({ time: '2026-03-02T09:30:00.000Z', type: 'run:start', runId: 'test-run' });
    expect(lines.at(-1)).toMatchObject({ type: 'run:end', summary: { status: 'failed' } });
  });

  it('prints a run that stops at a gate, approval:required before run:end', async () => {
    const out = print('gate');
    await expect(out).toMatchFileSnapshot('__snapshots__/json-lines-gate.jsonl');
    const types = out.trimEnd().split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types.slice(-2)).toEqual(['approval:required', 'run:end']);
  });
});
