// What the plain renderer prints for a fixed run, compared with a file: the lines a CI log shows.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PlainRenderer } from '../../../../src/cli/render/plain.js';
import { NOW, sampleEvents } from './fixtures/sample-run.js';

function print(which: 'failed' | 'gate'): string {
  let out = '';
  const renderer = new PlainRenderer((s) => {
    out += s;
  });
  for (const e of sampleEvents(which)) {
    renderer.onEvent(e);
    // Each event a second later than the one before: the timestamps move.
    vi.advanceTimersByTime(1000);
  }
  return out;
}

describe('plain renderer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('prints a run that ends with a failed step: sections, skips, a finding, loop items, a retry, a diff, the failure', async () => {
    const out = print('failed');
    await expect(out).toMatchFileSnapshot('__snapshots__/plain-failed.txt');
    expect(out).toContain('09:30:00 starting run test-run of render-sample (9 steps)');
    expect(out).toMatch(/^\d\d:\d\d:\d\d FAILED Wait for the operator \[wait-operator\]: the operator did not become ready \(3ms\)$/m);
  });

  it('prints a run that stops at a manual gate, the gate last', async () => {
    const out = print('gate');
    await expect(out).toMatchFileSnapshot('__snapshots__/plain-gate.txt');
    expect(out.trimEnd().split('\n').at(-1)).toMatch(/waiting for approval of start-upgrade: Upgrade RHOAI from 2.25 to 3.3 now\?/);
  });
});
