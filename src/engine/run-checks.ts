// What must hold before a recorded run is continued, and what a run records of its vars and steps:
// the runbook unchanged since the run started (or the change allowed), every secret given again,
// the values recorded without a secret's.
import { RunbookError } from '../contract/errors.js';
import { REDACTED } from '../contract/redact.js';
import { walkPlan } from '../runbook/plan-walk.js';
import type { Plan } from '../runbook/types.js';
import type { ResolvedVars } from '../runbook/vars.js';
import type { RunState } from './state.js';

/** A runbook loaded with its var values, ready to run. */
export interface PreparedRun {
  plan: Plan;
  vars: ResolvedVars;
  /** Root var values as given (not defaults), to record in the run state. */
  given: Record<string, unknown>;
}

/** The values a run records: those given, never a secret's. */
export function recordedVars(p: PreparedRun, previous: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...previous };
  for (const [k, v] of Object.entries(p.given)) out[k] = p.vars.secretNames.includes(k) ? REDACTED : v;
  return out;
}

/** The values a run recorded, to load its runbook with again (a secret's must be given again). */
export function storedValues(state: RunState): Record<string, unknown> {
  return Object.fromEntries(Object.entries(state.vars).filter(([, v]) => v !== REDACTED));
}

export function checkSecretsGiven(state: RunState, p: PreparedRun): void {
  const missing = Object.entries(state.vars)
    // A secret of an imported file has no root value to look at: it must be given again by name.
    .filter(([k, v]) => v === REDACTED && p.given[k] === undefined && (p.vars.scopes['']![k] === undefined || p.vars.scopes['']![k] === null))
    .map(([k]) => k);
  if (missing.length) {
    throw new RunbookError(`secret var${missing.length > 1 ? 's' : ''} ${missing.join(', ')} must be given again to resume`, {
      hint: `secrets are never stored; pass them with --var, --vars-file or RUNBOOK_VAR_${missing[0]}`,
    });
  }
}

/** The digest of every node of the plan, by id: what a resume compares to list what changed. */
export function stepDigests(plan: Plan): Record<string, string> {
  return Object.fromEntries(walkPlan(plan.sections).map(({ node }) => [node.id, node.digest]));
}

/**
 * Refuses to continue a run whose runbook changed since it started, listing what changed; with
 * `allowChanged` the list is only told through `notice`.
 */
export function checkUnchanged(state: RunState, plan: Plan, allowChanged: boolean, notice: (message: string) => void): void {
  if (state.runbook.digest === plan.digest) return;
  const now = stepDigests(plan);
  const before = state.stepDigests;
  const changed = Object.keys(now).filter((id) => before[id] !== undefined && before[id] !== now[id]);
  const added = Object.keys(now).filter((id) => before[id] === undefined);
  const removed = Object.keys(before).filter((id) => now[id] === undefined);
  const lines = [
    ...changed.map((id) => `  changed: ${id}${state.steps[id]?.state === 'done' ? ' (already done in this run)' : ''}`),
    ...added.map((id) => `  added:   ${id}`),
    ...removed.map((id) => `  removed: ${id}`),
  ];
  if (allowChanged) {
    notice(`the runbook changed since run ${state.runId} started:\n${lines.join('\n')}`);
    return;
  }
  throw new RunbookError(`the runbook changed since run ${state.runId} started:\n${lines.join('\n')}`, {
    hint: 'steps already done are not run again; pass --allow-changed to resume anyway, or --fresh to start over',
  });
}
