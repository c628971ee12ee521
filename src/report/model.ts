// The run report as data: built from the plan and the checkpointed state, so a report can be
// written for any run, finished or not, and again later (`runbook report`).
import type { RunStatus, StepStatus } from '../engine/events.js';
import type { Finding } from '../contract/findings.js';
import { severityRank } from '../contract/findings.js';
import { isInLoopItem, itemKeysAt, withItemKey } from '../contract/run-key.js';
import type { RunState } from '../engine/state.js';
import { basename } from 'node:path';
import type { AppliedOverlay, Plan, PlanNode } from '../runbook/types.js';

export interface ReportStep {
  id: string;
  name: string;
  depth: number;
  section: string;
  status: StepStatus | 'pending' | 'running' | 'waiting';
  attempts: number;
  durationMs: number;
  note?: string;
  /** How the runbook that was run changed this step: added before/after or in place of an id, or skipped. */
  overlay?: string;
}

export interface RunReport {
  runId: string;
  runbook: { name: string; description?: string; file: string; digest: string };
  status: RunStatus;
  dryRun: string;
  message?: string;
  startedAt: string;
  updatedAt: string;
  cluster?: { server?: string; context?: string; user?: string };
  /** API calls of this invocation (a resumed run counts only its own). */
  apiCalls?: { reads: number; writes: number; watches: number };
  vars: Record<string, unknown>;
  counts: Record<StepStatus, number>;
  findings: Finding[];
  steps: ReportStep[];
  followUps: ReportNote[];
  /** What a person confirms before the change is closed: a checklist. */
  signOffs: ReportNote[];
}

/** A follow-up or sign-off with the guide items it answers. */
export interface ReportNote {
  text: string;
  source: string[];
}

/** A site step's origin in a few words: "site step, before during/x (site.yaml:12)". */
export function overlayText(o: AppliedOverlay): string {
  const where = `${basename(o.at.file)}:${o.at.line}`;
  return o.op === 'replace' ? `site step, in place of ${o.target} (${where})` : `site step, ${o.op} ${o.target} (${where})`;
}

export function buildReport(plan: Plan, state: RunState, cluster?: RunReport['cluster'], apiCalls?: RunReport['apiCalls']): RunReport {
  const steps: ReportStep[] = [];
  const counts: Record<StepStatus, number> = { ok: 0, changed: 0, skipped: 0, failed: 0 };
  const loopItems = Object.keys(state.steps).filter(isInLoopItem);
  const visit = (node: PlanNode, depth: number, section: string, suffix: string): void => {
    const id = node.id + suffix;
    const s = state.steps[id];
    const status: ReportStep['status'] = !s ? 'pending' : s.state === 'done' ? s.status ?? 'pending' : s.state;
    if (node.kind === 'step' && s?.state === 'done' && s.status) counts[s.status]++;
    steps.push({
      id,
      name: node.name,
      depth,
      section,
      status,
      attempts: s?.attempts ?? 0,
      durationMs: s?.durationMs ?? 0,
      note: s?.error?.message ?? s?.summary ?? s?.reason,
      ...(node.overlay ? { overlay: overlayText(node.overlay) } : node.skipReason ? { overlay: node.skipReason } : {}),
    });
    if (node.kind === 'group') node.children.forEach((c) => visit(c, depth + 1, section, suffix));
    if (node.kind === 'forEach') {
      // Items are known from the state: each child id with an item suffix under this loop.
      for (const key of itemKeysAt(loopItems, `${node.children[0]?.id ?? ''}${suffix}`)) {
        node.children.forEach((c) => visit(c, depth + 1, section, withItemKey(suffix, key)));
      }
    }
  };
  for (const section of plan.sections) section.nodes.forEach((n) => visit(n, 0, section.name, ''));
  return {
    runId: state.runId,
    runbook: { name: plan.name, description: plan.description, file: plan.file, digest: plan.digest },
    status: state.status,
    dryRun: state.dryRun,
    message: state.message,
    startedAt: state.startedAt,
    updatedAt: state.updatedAt,
    cluster,
    ...(apiCalls ? { apiCalls } : {}),
    vars: state.vars,
    counts,
    findings: [...state.findings].sort((a, b) => severityRank(a.severity) - severityRank(b.severity)),
    steps,
    followUps: plan.followUps.map(({ text, source }) => ({ text, source })),
    signOffs: plan.signOffs.map(({ text, source }) => ({ text, source })),
  };
}
