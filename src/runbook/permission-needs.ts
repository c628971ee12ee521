// What a plan's steps need from the cluster, worked out from the plan alone: each step type says
// it with `permissions(input)`. The raw material of the run's permission preflight (checked
// against the cluster by src/kube/permission-check.ts), of `runbook rbac` and of
// `runbook sandbox export`. Nothing here asks a cluster.
//
// Inputs with templates are rendered with the vars when they are given; a template that needs a
// value only known at run time (a registered output, a loop item) makes the step's needs unknown,
// and it is listed with the reason.
import type { StepRegistry } from '../contract/registry.js';
import type { PermissionNeed } from '../contract/step-type.js';
import { walkPlan } from './plan-walk.js';
import { renderDeep } from './template.js';
import type { Plan, StepNode } from './types.js';
import type { ResolvedVars } from './vars.js';

/** What one step needs, as its type states it; or why that cannot be known before the run. */
export type StepNeeds =
  | {
      stepId: string;
      needs: PermissionNeed[];
      /** Some templates of its input could not be rendered and stand as `unresolved` (only when that option is given). */
      unresolved?: boolean;
    }
  | { stepId: string; reason: string };

export interface NeededAccessOptions {
  /**
   * Instead of giving up on a step whose input has a template that cannot be rendered now, put
   * this text in its place and work the needs out anyway (what depends on it carries the text).
   */
  unresolved?: string;
}

/** The needs of every step of the plan that talks to the cluster, in plan order. */
export function neededAccess(plan: Plan, registry: StepRegistry, vars?: ResolvedVars, options: NeededAccessOptions = {}): StepNeeds[] {
  const out: StepNeeds[] = [];
  for (const { step, inLoop } of planSteps(plan)) {
    const type = registry.get(step.type);
    if (!type?.permissions) continue;
    const skipKeys = [...(type.expressionFields ?? []), ...(type.rawFields ?? [])];
    const input = options.unresolved === undefined ? staticInput(step, inLoop, skipKeys, vars) : lenientInput(step, skipKeys, vars, options.unresolved);
    if ('reason' in input) {
      out.push({ stepId: step.id, reason: input.reason });
      continue;
    }
    try {
      out.push({ stepId: step.id, needs: type.permissions(input.value), ...('unresolved' in input && input.unresolved ? { unresolved: true } : {}) });
    } catch (err) {
      out.push({ stepId: step.id, reason: `its needs could not be worked out: ${(err as Error).message}` });
    }
  }
  return out;
}

/**
 * Whether any step of the plan talks to Kubernetes: its type says what it needs for its input (an
 * `assert` over values needs nothing, one over objects reads them). A runbook that needs no
 * cluster runs without a kubeconfig.
 */
export function planTalksToCluster(plan: Plan, registry: StepRegistry): boolean {
  return planSteps(plan).some(({ step }) => {
    const permissions = registry.get(step.type)?.permissions;
    if (!permissions) return false;
    try {
      return permissions(step.input).length > 0;
    } catch {
      return true; // A templated input that cannot be read yet: assume it does.
    }
  });
}

/** Each (step, reason) note once: a step inside a loop is met once per item. */
export function dedupeNotes<T extends { stepId: string; reason: string }>(list: readonly T[]): T[] {
  const seen = new Set<string>();
  return list.filter((s) => {
    const key = `${s.stepId}\n${s.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function planSteps(plan: Plan): { step: StepNode; inLoop: boolean }[] {
  return walkPlan(plan.sections).flatMap(({ node, parents }) => (node.kind === 'step' ? [{ step: node, inLoop: parents.some((p) => p.kind === 'forEach') }] : []));
}

function staticInput(node: StepNode, inLoop: boolean, skipKeys: readonly string[], vars: ResolvedVars | undefined): { value: unknown } | { reason: string } {
  if (!hasTemplate(node.input, skipKeys)) return { value: node.input };
  if (!vars) return { reason: 'its input has templates' };
  try {
    // Loop items and registered outputs are unknown now: rendering without them fails.
    return { value: renderDeep(node.input, { ...vars.scopes[node.scope], vars: vars.scopes[node.scope] ?? {} }, skipKeys) };
  } catch (err) {
    return { reason: `its input depends on ${inLoop ? 'the loop item or ' : ''}values known only at run time (${(err as Error).message})` };
  }
}

/** Renders every template it can; each one that fails is replaced by `unresolved`. */
function lenientInput(node: StepNode, skipKeys: readonly string[], vars: ResolvedVars | undefined, unresolved: string): { value: unknown; unresolved: boolean } {
  const context = vars ? { ...vars.scopes[node.scope], vars: vars.scopes[node.scope] ?? {} } : { vars: {} };
  let failed = false;
  const render = (value: unknown, skip: readonly string[]): unknown => {
    if (typeof value === 'string' && value.includes('{{')) {
      try {
        return renderDeep(value, context);
      } catch {
        failed = true;
        return unresolved;
      }
    }
    if (Array.isArray(value)) return value.map((v) => render(v, []));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, skip.includes(k) ? v : render(v, [])]));
    return value;
  };
  const value = render(node.input, skipKeys);
  return { value, unresolved: failed };
}

function hasTemplate(value: unknown, skipKeys: readonly string[] = []): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (Array.isArray(value)) return value.some((v) => hasTemplate(v));
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => !skipKeys.includes(k) && hasTemplate(v));
  return false;
}
