// The findings of a run and the ones that stop it. Findings of a severity in `stopOn` block the
// run: after the first, only read-only steps run, and the run ends as blocked. A resume evaluates
// the steps that found them again rather than walking past what stopped the last run.
import { runKeyWithin } from '../contract/run-key.js';
import { DEFAULT_STOP_ON, type Finding, type Severity } from '../contract/findings.js';
import type { Redactor } from '../contract/redact.js';
import type { EventListener, RunSummary } from './events.js';
import type { RunState } from './state.js';
import { StopRun } from './stop-run.js';

export class BlockingFindings {
  readonly stopOn: readonly Severity[];
  /** The first finding of this run that blocks it. */
  private first: Finding | undefined;
  /** Steps whose recorded findings stopped an earlier run: they, and what holds them, run again. */
  private readonly recheck: string[];

  constructor(
    private readonly state: RunState,
    stopOn: readonly Severity[] | undefined,
    private readonly redactor: Redactor,
    private readonly onEvent: EventListener,
  ) {
    this.stopOn = stopOn ?? DEFAULT_STOP_ON;
    this.recheck = [...new Set(state.findings.filter((f) => this.stopOn.includes(f.severity) && f.stepId).map((f) => f.stepId!))];
  }

  /** Whether a finding of this run blocks it. */
  get blocked(): boolean {
    return this.first !== undefined;
  }

  /** Whether the node keyed `key` holds a step whose findings stopped an earlier run. */
  mustRecheck(key: string): boolean {
    return this.recheck.some((id) => runKeyWithin(key, id));
  }

  /** Findings of an earlier run of a step are replaced by what this run finds (or by none). */
  drop(stepId: string): void {
    if (this.state.findings.some((f) => f.stepId === stepId)) {
      this.state.findings = this.state.findings.filter((f) => f.stepId !== stepId);
    }
  }

  /**
   * `provisional`: in a dry run, the changes before this step that were not made; its findings
   * are recorded and shown, and block nothing (a run checks them again).
   */
  record(findings: readonly Finding[], stepId: string, provisional?: string): void {
    for (const f of findings) {
      const finding = this.redactor.redactValue({ ...f, stepId, ...(provisional ? { provisional } : {}) });
      this.state.findings.push(finding);
      this.onEvent({ type: 'finding', finding });
      if (this.stopOn.includes(f.severity) && !this.first && !provisional) this.first = finding;
    }
  }

  /** The stop of a blocked run, saying what blocked it. */
  stop(): StopRun {
    const blocking = this.state.findings.filter((f) => this.stopOn.includes(f.severity) && !f.provisional);
    // Each severity counted for itself: "1 prohibited and 1 critical finding", never "2 prohibited".
    const counts = this.stopOn.map((sev) => [sev, blocking.filter((f) => f.severity === sev).length] as const).filter(([, n]) => n > 0);
    const said = blocking.length === 1 ? `1 ${blocking[0]!.severity} finding` : `${blocking.length} findings (${counts.map(([sev, n]) => `${n} ${sev}`).join(', ')})`;
    return new StopRun('blocked', `stopped by ${said}: ${blocking.map((f) => f.check).join(', ')}`);
  }
}

export function countFindings(findings: readonly Finding[]): RunSummary['findings'] {
  const out = { prohibited: 0, critical: 0, warning: 0, info: 0 };
  for (const f of findings) out[f.severity]++;
  return out;
}
