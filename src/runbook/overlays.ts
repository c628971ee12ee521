// Where an overlay lands: the node with a given id anywhere in the plan (sections, groups, loop
// bodies), the list that holds it, and the loop variables in force there, so a site's steps can be
// built as if written beside it. Like kustomize patches by name, never by position: a change
// upstream that moves a step does not move the site's step elsewhere.
import { walkPlan } from './plan-walk.js';
import type { PlanNode, Section } from './types.js';

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
  const walk = (list: PlanNode[], parentId: string, loopVars: string[]): NodeSite | undefined => {
    for (const [index, node] of list.entries()) {
      if (node.id === id) return { node, list, index, parentId, loopVars };
      if (node.kind === 'step') continue;
      const found = walk(node.children, node.id, node.kind === 'forEach' ? [...loopVars, node.as] : loopVars);
      if (found) return found;
    }
    return undefined;
  };
  for (const s of sections) {
    const found = walk(s.nodes, s.name, []);
    if (found) return found;
  }
  return undefined;
}

/** Every node id in run order: for did-you-mean suggestions, and the engine's selectors (allIds). */
export function stepIds(sections: readonly Section[]): string[] {
  return walkPlan(sections).map((w) => w.node.id);
}

/** Marks a node and everything under it as skipped, with the reason. */
export function markSkipped(node: PlanNode, reason: string): void {
  node.skipReason = reason;
  if (node.kind !== 'step') node.children.forEach((c) => markSkipped(c, reason));
}
