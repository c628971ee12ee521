// Where an overlay lands: the node with a given id anywhere in the plan (sections, groups, loop
// bodies), the list that holds it, and the loop variables in force there, so a site's steps can be
// built as if written beside it. Like kustomize patches by name, never by position: a change
// upstream that moves a step does not move the site's step elsewhere.
import type { Problem, SourcePosition } from '../contract/errors.js';
import { walkNodes, walkPlan } from './plan-walk.js';
import { didYouMean } from './suggest.js';
import type { AppliedOverlay, PlanNode, Section } from './types.js';

export interface NodeSite {
  node: PlanNode;
  /** The list the node is in, and its index there. */
  list: PlanNode[];
  index: number;
  /** Id of the parent group or loop (or the section name): the parent id of new siblings. */
  parentId: string;
  /** Loop variables of the enclosing forEach nodes. */
  loopVars: string[];
}

export function findNode(sections: readonly Section[], id: string): NodeSite | undefined {
  const found = walkPlan(sections).find((w) => w.node.id === id);
  if (!found) return undefined;
  const { node, parents, section } = found;
  const parent = parents.at(-1);
  const list = parent && parent.kind !== 'step' ? parent.children : section.nodes;
  const loopVars = parents.flatMap((p) => (p.kind === 'forEach' ? [p.as] : []));
  return { node, list, index: list.indexOf(node), parentId: parent?.id ?? section.name, loopVars };
}

/** Every node id in run order: for did-you-mean suggestions, and the engine's selectors (allIds). */
export function stepIds(sections: readonly Section[]): string[] {
  return walkPlan(sections).map((w) => w.node.id);
}

/** Marks a node and everything under it as skipped, with the reason. */
export function markSkipped(node: PlanNode, reason: string): void {
  for (const { node: n } of walkNodes([node])) n.skipReason = reason;
}

/** The ids of the site's nodes (put in by an overlay) and of every node under them. */
export function siteNodeIds(sections: readonly Section[]): Set<string> {
  const ids = new Set<string>();
  for (const { node, parents } of walkPlan(sections)) if (node.overlay || parents.some((p) => p.overlay)) ids.add(node.id);
  return ids;
}

/** The overlay that replaced the step with `id`, if an earlier overlay did. */
export function replacedBy(sections: readonly Section[], id: string): AppliedOverlay | undefined {
  for (const { node } of walkPlan(sections)) if (node.overlay?.op === 'replace' && node.overlay.target === id) return node.overlay;
  return undefined;
}

/**
 * An overlay whose step id is not in the plan. When an earlier overlay replaced that step, that
 * is the news, with the ids that took its place; otherwise the closest id.
 */
export function missingTarget(
  sections: readonly Section[],
  op: AppliedOverlay['op'],
  target: string,
  at: SourcePosition,
  display: (file: string) => string,
): Problem {
  const replacement = replacedBy(sections, target);
  if (replacement) {
    const added = replacement.added;
    const guess = added.length === 1 ? added[0] : didYouMean(target, added);
    return {
      message: `overlay ${op}: the step "${target}" was replaced by the overlay at ${display(replacement.at.file)}:${replacement.at.line}`,
      hint: added.length
        ? `${guess ? `did you mean "${guess}"? ` : ''}name a step that replaced it: ${added.join(', ')}`
        : 'that overlay replaced it with no steps; name the step before or after it instead',
      at,
    };
  }
  const guess = didYouMean(target, stepIds(sections));
  return {
    message: `overlay ${op}: no step has the id "${target}"`,
    hint: `${guess ? `did you mean "${guess}"? ` : ''}runbook validate FILE --list-steps prints every step id`,
    at,
  };
}
