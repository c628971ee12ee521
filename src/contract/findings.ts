// Findings: what assessments and assertions report, with the four severities of the readiness
// assessment. Prohibited and critical stop a run; warning and info are recorded.

export const SEVERITIES = ['prohibited', 'critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Finding {
  severity: Severity;
  /** Short id of the check, e.g. `openshift-version`. */
  check: string;
  message: string;
  remediation?: string;
  /** Objects the finding is about, as `Kind namespace/name`. */
  objects?: string[];
  /** Filled by the executor. */
  stepId?: string;
  /**
   * Filled by the executor in a dry run, for a finding made after steps that would have changed
   * the cluster and did not: what it read may be what those changes remedy, so it does not stop
   * the dry run, and a run checks it again. Says which change came first.
   */
  provisional?: string;
}

export function stopsRun(severity: Severity, stopOn: readonly Severity[]): boolean {
  return stopOn.includes(severity);
}

export const DEFAULT_STOP_ON: readonly Severity[] = ['prohibited', 'critical'];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}
