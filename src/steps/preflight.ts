// Permission preflight for a whole plan: before anything changes, ask the API server whether the
// user may do everything the Kubernetes steps will do, and report every missing permission in
// one message — not one 403 per run, discovered a step at a time halfway through an upgrade.
//
// A step's needs come from its type's `permissions(input)`. Inputs with templates are rendered
// with the vars when they are given; a template that needs a value only known at run time (a
// registered output, a loop item) makes the step's needs unknown, and it is listed as skipped.
import { StepFailure } from '../contract/errors.js';
import type { StepRegistry } from '../contract/registry.js';
import type { PermissionNeed } from '../contract/step-type.js';
import { describeAccess, findMissingAccess, type AccessCheck, type DeniedAccess } from '../kube/access.js';
import type { KubeClient } from '../kube/client.js';
import { renderDeep } from '../runbook/template.js';
import type { Plan, PlanNode, StepNode } from '../runbook/types.js';
import type { ResolvedVars } from '../runbook/vars.js';

export interface PreflightOptions {
  /** Var values per scope: templated inputs that use only vars are rendered and checked too. */
  vars?: ResolvedVars;
  signal?: AbortSignal;
}

export interface NeededAccess extends AccessCheck {
  /** Ids of the steps that need it. */
  steps: string[];
}

export interface MissingAccess extends NeededAccess {
  reason?: string;
}

export interface PreflightReport {
  /** Every distinct permission asked about. */
  checked: NeededAccess[];
  missing: MissingAccess[];
  /** Steps whose needs could not be known before the run, and why. */
  skipped: { stepId: string; reason: string }[];
}

/** Asks about every permission the plan's steps need; never throws for a missing one. */
export async function preflightPermissions(plan: Plan, registry: StepRegistry, kube: KubeClient, options: PreflightOptions = {}): Promise<PreflightReport> {
  const skipped: PreflightReport['skipped'] = [];
  const needed = new Map<string, NeededAccess>();

  for (const step of neededAccess(plan, registry, options.vars)) {
    if ('reason' in step) {
      skipped.push({ stepId: step.stepId, reason: step.reason });
      continue;
    }
    for (const need of step.needs) {
      const check = await toCheck(kube, need);
      if (typeof check === 'string') {
        // A kind that is not served yet is usually installed by an earlier step (a CRD, an operator).
        skipped.push({ stepId: step.stepId, reason: check });
        continue;
      }
      const key = JSON.stringify([check.verb, check.group, check.resource, check.subresource, check.namespace, check.name]);
      const entry = needed.get(key) ?? { ...check, steps: [] };
      if (!entry.steps.includes(step.stepId)) entry.steps.push(step.stepId);
      needed.set(key, entry);
    }
  }

  const checked = [...needed.values()];
  const denied = await findMissingAccess(kube, checked, options.signal);
  const missing = denied.map((d: DeniedAccess) => ({ ...(d as MissingAccess) }));
  return { checked, missing, skipped: dedupeNotes(skipped) };
}

/**
 * The preflight as a gate: resolves with the report when everything is allowed, else throws one
 * StepFailure listing every missing permission with the steps that need it.
 */
export async function assertPlanPermissions(plan: Plan, registry: StepRegistry, kube: KubeClient, options: PreflightOptions = {}): Promise<PreflightReport> {
  const report = await preflightPermissions(plan, registry, kube, options);
  if (report.missing.length === 0) return report;
  throw new StepFailure(formatPreflight(report, kube.userName), {
    hint: 'ask a cluster administrator for these permissions, or use a kubeconfig context that has them',
    data: { missing: report.missing, skipped: report.skipped },
  });
}

/** One line per missing permission, naming the steps that need it. */
export function formatPreflight(report: Pick<PreflightReport, 'missing'>, userName?: string): string {
  const who = userName ? `user "${userName}"` : 'the current user';
  const n = report.missing.length;
  const lines = report.missing.map((m) => `  - ${describeAccess(m)} (${m.steps.length === 1 ? 'step' : 'steps'} ${m.steps.join(', ')})`);
  return `${who} lacks ${n} permission${n === 1 ? '' : 's'} this runbook needs:\n${lines.join('\n')}`;
}

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

/**
 * The needs of every step of the plan that talks to the cluster, in plan order, without asking
 * the cluster anything: the raw material of the preflight, and of `runbook sandbox export`.
 */
export function neededAccess(plan: Plan, registry: StepRegistry, vars?: ResolvedVars, options: NeededAccessOptions = {}): StepNeeds[] {
  const out: StepNeeds[] = [];
  for (const node of steps(plan.sections.flatMap((s) => s.nodes), false)) {
    const type = registry.get(node.step.type);
    if (!type?.permissions) continue;
    const skipKeys = [...(type.expressionFields ?? []), ...(type.rawFields ?? [])];
    const input =
      options.unresolved === undefined ? staticInput(node.step, node.inLoop, type.expressionFields ?? [], type.rawFields ?? [], vars) : lenientInput(node.step, skipKeys, vars, options.unresolved);
    if ('reason' in input) {
      out.push({ stepId: node.step.id, reason: input.reason });
      continue;
    }
    try {
      out.push({ stepId: node.step.id, needs: type.permissions(input.value), ...('unresolved' in input && input.unresolved ? { unresolved: true } : {}) });
    } catch (err) {
      out.push({ stepId: node.step.id, reason: `its needs could not be worked out: ${(err as Error).message}` });
    }
  }
  return out;
}

/** Whether any step of the plan talks to the cluster: without one, no client need be made. */
export function planUsesCluster(plan: Plan, registry: StepRegistry): boolean {
  for (const { step } of steps(plan.sections.flatMap((s) => s.nodes), false)) if (registry.get(step.type)?.permissions) return true;
  return false;
}

function* steps(nodes: readonly PlanNode[], inLoop: boolean): Generator<{ step: StepNode; inLoop: boolean }> {
  for (const node of nodes) {
    if (node.kind === 'step') yield { step: node, inLoop };
    else yield* steps(node.children, inLoop || node.kind === 'forEach');
  }
}

function staticInput(
  node: StepNode,
  inLoop: boolean,
  expressionFields: readonly string[],
  rawFields: readonly string[],
  vars: ResolvedVars | undefined,
): { value: unknown } | { reason: string } {
  const skip = [...expressionFields, ...rawFields];
  if (!hasTemplate(node.input, skip)) return { value: node.input };
  if (!vars) return { reason: 'its input has templates' };
  try {
    // Loop items and registered outputs are unknown now: rendering without them fails.
    return { value: renderDeep(node.input, { ...vars.scopes[node.scope], vars: vars.scopes[node.scope] ?? {} }, skip) };
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

/** Maps a kind to its resource and scope through discovery; a string says why it cannot. */
async function toCheck(kube: KubeClient, need: PermissionNeed): Promise<AccessCheck | string> {
  let group = need.group;
  let resource = need.resource;
  let namespaced = need.namespace !== undefined || need.allNamespaces === true;
  if (need.kind && need.apiVersion) {
    const mapping = await kube.mapper.tryMap(need.apiVersion, need.kind);
    if (!mapping) return `${need.kind} (${need.apiVersion}) is not served by the cluster yet`;
    group = mapping.group;
    resource = mapping.resource;
    namespaced = mapping.namespaced;
  }
  if (!resource) return `a permission need names neither a resource nor a kind (verb ${need.verb})`;
  const namespace = namespaced && !need.allNamespaces ? (need.namespace ?? kube.defaultNamespace) : undefined;
  return {
    verb: need.verb,
    group,
    resource,
    ...(need.subresource ? { subresource: need.subresource } : {}),
    ...(namespace ? { namespace } : {}),
    ...(need.name ? { name: need.name } : {}),
  };
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
