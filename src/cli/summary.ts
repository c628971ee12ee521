// The lines printed at the end of a run: outcome, counts, findings, where the report is, and what
// to do next.
import { formatMs } from '../engine/attempt.js';
import type { RunSummary } from '../engine/events.js';
import type { RunState } from '../engine/state.js';
import { approveEveryItemFlags, approveFlags, waitingGates } from './approve.js';

export function printSummary(
  summary: RunSummary,
  state: RunState,
  reportPath: string,
  json: boolean,
  calls?: { reads: number; writes: number; watches: number },
): void {
  const c = summary.counts;
  const f = summary.findings;
  const findings = (['prohibited', 'critical', 'warning', 'info'] as const).filter((s) => f[s] > 0).map((s) => `${f[s]} ${s}`);
  const next = nextStep(summary, state);
  if (json) {
    process.stdout.write(`${JSON.stringify({ type: 'summary', runId: state.runId, ...summary, ...(calls ? { apiCalls: calls } : {}), report: reportPath, next })}\n`);
    return;
  }
  const lines = [
    '',
    `Run ${state.runId}: ${summary.status.toUpperCase()} in ${formatMs(summary.durationMs)}${state.dryRun !== 'none' ? ` (dry run: ${state.dryRun}, nothing changed)` : ''}`,
    `  steps: ${c.changed} changed, ${c.ok} ok, ${c.skipped} skipped, ${c.failed} failed`,
    ...(findings.length ? [`  findings: ${findings.join(', ')}`] : []),
    ...(calls ? [`  api calls: ${calls.reads} reads, ${calls.writes} writes`] : []),
    ...(state.message && summary.status !== 'succeeded' ? [`  ${state.message}`] : []),
    `  report: ${reportPath}`,
    ...(next ? [`  next: ${next}`] : []),
    '',
  ];
  process.stderr.write(lines.join('\n'));
}

function nextStep(summary: RunSummary, state: RunState): string | undefined {
  switch (summary.status) {
    case 'failed':
      return `fix the cause, then: runbook resume ${state.runId}`;
    case 'aborted':
      return `runbook resume ${state.runId}`;
    case 'waiting-approval': {
      const waiting = waitingGates(state);
      const every = approveEveryItemFlags(waiting);
      const each = `runbook resume ${state.runId} ${waiting.length ? approveFlags(waiting) : '--approve STEP-ID'}`;
      return every ? `${each}\n        or, for every item of the loop: runbook resume ${state.runId} ${every}` : each;
    }
    case 'blocked':
      return 'resolve the findings above (see the report), then run again';
    default:
      return undefined;
  }
}
