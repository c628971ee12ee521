// The one walk over a plan's nodes: every node, in run order (a group or loop before what it holds),
// with the nodes above it. Code that needs every node, a count or a search uses these rather than
// a recursion of its own.
import type { PlanNode, Section } from './types.js';

export interface WalkedNode {
  node: PlanNode;
  /** Nodes above it, outermost first. */
  parents: readonly PlanNode[];
}

export interface WalkedPlanNode extends WalkedNode {
  section: Section;
}

/** Every node of `nodes` and below them, in run order. `parents` are those above `nodes`. */
export function walkNodes(nodes: readonly PlanNode[], parents: readonly PlanNode[] = []): WalkedNode[] {
  const out: WalkedNode[] = [];
  const walk = (node: PlanNode, above: readonly PlanNode[]): void => {
    out.push({ node, parents: above });
    if (node.kind !== 'step') for (const child of node.children) walk(child, [...above, node]);
  };
  for (const node of nodes) walk(node, parents);
  return out;
}

/** Every node of the plan, in run order, with the section it sits in. */
export function walkPlan(sections: readonly Section[]): WalkedPlanNode[] {
  return sections.flatMap((section) => walkNodes(section.nodes).map((w) => ({ ...w, section })));
}

/** Whether any node of `nodes` or below them passes `test`; stops at the first that does. */
export function someNode(nodes: readonly PlanNode[], test: (node: PlanNode) => boolean): boolean {
  return nodes.some((n) => test(n) || (n.kind !== 'step' && someNode(n.children, test)));
}

/** The steps among `nodes` and below them (groups and loops not counted). */
export function countSteps(nodes: readonly PlanNode[]): number {
  return walkNodes(nodes).filter((w) => w.node.kind === 'step').length;
}

/** How many loops hold a node, given the nodes above it. */
export function loopDepth(parents: readonly PlanNode[]): number {
  return parents.filter((p) => p.kind === 'forEach').length;
}
