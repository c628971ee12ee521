// Which nodes a run executes: --only and --skip by id or tag, --from a step id onwards.
import { stepIds } from '../runbook/overlays.js';
import { someNode, walkPlan } from '../runbook/plan-walk.js';
import type { PlanNode, Section } from '../runbook/types.js';

export interface Selection {
  only: readonly string[];
  skip: readonly string[];
  from?: string;
}

function matches(node: PlanNode, selectors: readonly string[]): boolean {
  return selectors.some((s) => node.id === s || node.id.startsWith(`${s}/`) || node.tags.includes(s));
}

function containsMatch(node: PlanNode, selectors: readonly string[]): boolean {
  return someNode([node], (n) => matches(n, selectors));
}

export type Decision = { run: true; all: boolean } | { run: false; reason: string };

/**
 * Decides whether a node runs. `all` says its whole subtree is selected (no need to ask again for
 * its children); otherwise children are asked one by one.
 */
export function decide(node: PlanNode, selection: Selection, ancestorSelected: boolean): Decision {
  // Skipped by the runbook itself (an overlay): no selection brings it back.
  if (node.skipReason) return { run: false, reason: node.skipReason };
  if (selection.skip.length && matches(node, selection.skip)) return { run: false, reason: 'skipped by --skip' };
  if (!selection.only.length || ancestorSelected) return { run: true, all: ancestorSelected || !selection.only.length };
  if (matches(node, selection.only)) return { run: true, all: true };
  if (containsMatch(node, selection.only)) return { run: true, all: false };
  return { run: false, reason: 'not selected by --only' };
}

/** Every node id in execution order, for --from and for validating selectors. */
export function allIds(sections: readonly Section[]): string[] {
  return stepIds(sections);
}

export function allTags(sections: readonly Section[]): Set<string> {
  return new Set(walkPlan(sections).flatMap(({ node }) => node.tags));
}

/** Whether the subtree of `node` contains the --from step (so it must be entered). */
export function containsId(node: PlanNode, id: string): boolean {
  return someNode([node], (n) => n.id === id);
}
