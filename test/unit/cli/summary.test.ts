// The lines printed when a run ends: its outcome and counts, findings, API calls, where the report
// is, and the command that goes on from here; one JSON object with --output json.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { printSummary } from '../../../src/cli/summary.js';
import type { RunSummary } from '../../../src/engine/events.js';
import { STATE_VERSION, type RunState } from '../../../src/engine/state.js';

const summary = (status: RunSummary['status'], findings: Partial<RunSummary['findings']> = {}): RunSummary => ({
  status,
  counts: { ok: 3, changed: 2, skipped: 1, failed: status === 'failed' ? 1 : 0 },
  durationMs: 95_000,
  findings: { prohibited: 0, critical: 0, warning: 0, info: 0, ...findings },
});

const state = (extra: Partial<RunState> = {}): RunState => ({
  version: STATE_VERSION,
  runId: 'up-20260302-093000-ab12',
  runbook: { name: 'up', file: 'up.yaml', digest: 'd' },
  stepDigests: {},
  status: 'running',
  dryRun: 'none',
  startedAt: 't',
  updatedAt: 't',
  vars: {},
  options: { only: [], skip: [] },
  steps: {},
  registered: {},
  findings: [],
  approved: [],
  ...extra,
});

function capture(): { stdout: string[]; stderr: string[] } {
  const out = { stdout: [] as string[], stderr: [] as string[] };
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => out.stdout.push(String(s)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => out.stderr.push(String(s)) > 0);
  return out;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('printSummary', () => {
  it('a failed run: outcome, counts, findings by severity, API calls, the message, the report and how to resume', () => {
    const out = capture();
    printSummary(summary('failed', { critical: 1, warning: 2 }), state({ message: 'step wait failed' }), '/s/runs/r/report.md', false, { reads: 40, writes: 3, watches: 1 });
    expect(out.stdout).toEqual([]);
    expect(out.stderr.join('')).toBe(
      [
        '',
        'Run up-20260302-093000-ab12: FAILED in 1m35s',
        '  steps: 2 changed, 3 ok, 1 skipped, 1 failed',
        '  findings: 1 critical, 2 warning',
        '  api calls: 40 reads, 3 writes',
        '  step wait failed',
        '  report: /s/runs/r/report.md',
        '  next: fix the cause, then: runbook resume up-20260302-093000-ab12',
        '',
      ].join('\n'),
    );
  });

  it('a succeeded dry run says nothing changed, and no next step or message', () => {
    const out = capture();
    printSummary(summary('succeeded'), state({ dryRun: 'client', message: 'ignored when it succeeded' }), 'r.md', false);
    const text = out.stderr.join('');
    expect(text).toContain('Run up-20260302-093000-ab12: SUCCEEDED in 1m35s (dry run: client, nothing changed)\n');
    expect(text).not.toMatch(/next:|findings:|api calls:|ignored/);
  });

  it('waiting for approval: the resume command names the gates waiting, quoted', () => {
    const out = capture();
    printSummary(summary('waiting-approval'), state({ steps: { 'replace[a]': { state: 'waiting' }, notify: { state: 'waiting' } } }), 'r.md', false);
    expect(out.stderr.join('')).toContain("  next: runbook resume up-20260302-093000-ab12 --approve 'replace[a]' --approve notify\n");
    const loop = capture();
    printSummary(summary('waiting-approval'), state({ steps: { 'replace[a]': { state: 'waiting' }, 'replace[b]': { state: 'waiting' } } }), 'r.md', false);
    expect(loop.stderr.join('')).toContain("        or, for every item of the loop: runbook resume up-20260302-093000-ab12 --approve 'replace[*]'\n");
    const none = capture();
    printSummary(summary('waiting-approval'), state(), 'r.md', false);
    expect(none.stderr.join('')).toContain('--approve STEP-ID');
  });

  it('blocked and interrupted runs say what to do next', () => {
    const out = capture();
    printSummary(summary('blocked', { prohibited: 1 }), state(), 'r.md', false);
    printSummary(summary('aborted'), state(), 'r.md', false);
    const text = out.stderr.join('');
    expect(text).toContain('  next: resolve the findings above (see the report), then run again\n');
    expect(text).toContain('  next: runbook resume up-20260302-093000-ab12\n');
  });

  it('with JSON output: one summary line on stdout, nothing on stderr', () => {
    const out = capture();
    printSummary(summary('failed'), state(), 'r.md', true, { reads: 1, writes: 2, watches: 3 });
    expect(out.stderr).toEqual([]);
    expect(out.stdout).toHaveLength(1);
    expect(JSON.parse(out.stdout[0]!)).toEqual({
      type: 'summary',
      runId: 'up-20260302-093000-ab12',
      ...summary('failed'),
      apiCalls: { reads: 1, writes: 2, watches: 3 },
      report: 'r.md',
      next: 'fix the cause, then: runbook resume up-20260302-093000-ab12',
    });
  });
});
