// One walk over a plan's nodes, in run order, with the section each sits in.
import type { PlanNode, Section } from './types.js';

export interface WalkedNode {
  node: PlanNode;
  section: Section;
  /** Nodes above it, outermost first. */
  parents: readonly PlanNode[];
}

export function walkPlan(sections: readonly Section[]): WalkedNode[] {
  const out: WalkedNode[] = [];
  const walk = (node: PlanNode, section: Section, parents: readonly PlanNode[]): void => {
    out.push({ node, section, parents });
    if (node.kind !== 'step') for (const child of node.children) walk(child, section, [...parents, node]);
  };
  for (const section of sections) for (const node of section.nodes) walk(node, section, []);
  return out;
}
