// One line per event that matters, for logs and CI: no cursor movement, timestamps, step ids.
import { formatMs } from '../../engine/attempt.js';
import type { RunEvent, StepResult } from '../../engine/events.js';
import { DiffBudget } from './diff-budget.js';
import { oneQuestionAtATime } from './ask-turns.js';
import { askYesNo } from './prompt.js';
import { flushStdout, writeStdout } from './stdout-batch.js';
import type { Renderer } from './renderer.js';

const MARK: Record<StepResult['status'], string> = { ok: 'ok', changed: 'changed', skipped: 'skipped', failed: 'FAILED' };

export class PlainRenderer implements Renderer {
  ask?: Renderer['ask'];
  private readonly diffs = new DiffBudget();

  constructor(
    private readonly write: (s: string) => void = writeStdout,
    interactive = false,
  ) {
    if (interactive)
      this.ask = oneQuestionAtATime((_id, name, question) => {
        flushStdout();
        return askYesNo(`${name}: ${question}`);
      });
  }

  onEvent(e: RunEvent): void {
    const time = new Date().toISOString().slice(11, 19);
    const line = (text: string): void => this.write(`${time} ${text}\n`);
    switch (e.type) {
      case 'run:start':
        line(
          `${e.resumed ? 'resuming' : 'starting'} run ${e.runId} of ${e.runbook} (${e.stepCount} steps${e.dryRun !== 'none' ? `, dry run: ${e.dryRun}` : ''})`,
        );
        break;
      case 'section:start':
        line(`== ${e.name}${e.description ? `: ${e.description}` : ''}`);
        break;
      case 'node:start':
        if (e.node.kind !== 'step') line(`${'  '.repeat(e.node.depth)}> ${e.node.name} [${e.node.id}]`);
        break;
      case 'step:retry':
        line(`  ${e.id}: attempt ${e.attempt} failed (${e.error}); retrying in ${formatMs(e.delayMs)}`);
        break;
      case 'step:log':
        line(`  ${e.id}: ${e.message}`);
        break;
      case 'api:resend':
        line(`  API ${e.method} ${e.path}: ${e.error}; sending again in ${formatMs(e.delayMs)} (retry ${e.retry})`);
        break;
      case 'node:end': {
        const r = e.result;
        if (e.node.kind !== 'step' && r.status !== 'failed' && r.status !== 'skipped') break;
        const detail = r.error?.message ?? r.summary ?? r.reason;
        const extra = [r.resumed ? 'done in an earlier attempt' : '', r.attempts > 1 ? `${r.attempts} attempts` : '', r.durationMs >= 1 ? formatMs(r.durationMs) : '']
          .filter(Boolean)
          .join(', ');
        line(`${'  '.repeat(e.node.depth)}${MARK[r.status]} ${e.node.name} [${e.node.id}]${detail ? `: ${detail}` : ''}${extra ? ` (${extra})` : ''}`);
        if (r.error?.hint) line(`${'  '.repeat(e.node.depth)}  hint: ${r.error.hint}`);
        if ('diff' in r && this.diffs.show(e.node.id)) {
          const diff = r.diff;
          if (diff) this.write(diff.replace(/^/gm, `${'  '.repeat(e.node.depth + 2)}`) + '\n');
        } else if ('diff' in r && this.diffs.firstOmitted) {
          line(`${'  '.repeat(e.node.depth)}  (${this.diffs.notice()})`);
        }
        break;
      }
      case 'finding':
        line(
          `  ${e.finding.severity.toUpperCase()}${e.finding.provisional ? ' (provisional)' : ''} ${e.finding.check}: ${e.finding.message}${
            e.finding.remediation ? `\n           remediation: ${e.finding.remediation}` : ''
          }${e.finding.provisional ? `\n           ${e.finding.provisional}; a run checks it again` : ''}`,
        );
        break;
      case 'approval:required':
        line(`  waiting for approval of ${e.id}: ${e.message}`);
        break;
      case 'run:end': {
        const omitted = this.diffs.summary();
        if (omitted) line(omitted);
        break;
      }
    }
  }

  async end(): Promise<void> {
    flushStdout();
  }
}
