// The one walk over a plan's nodes: run order, the nodes above each, searches and counts.
import { describe, expect, it } from 'vitest';
import { countSteps, loopDepth, someNode, walkNodes, walkPlan } from '../../../src/runbook/plan-walk.js';
import type { PlanNode, Section } from '../../../src/runbook/types.js';

const common = { retries: 0, backoff: { delayMs: 0, factor: 1, maxDelayMs: 0 }, tags: [], continueOnError: false, scope: '', digest: '', at: { file: 'r.yaml', line: 1, column: 1 } };
const step = (id: string): PlanNode => ({ ...common, id, name: id, kind: 'step', type: 'noop', input: {} });
const group = (id: string, children: PlanNode[]): PlanNode => ({ ...common, id, name: id, kind: 'group', children });
const loop = (id: string, children: PlanNode[]): PlanNode => ({ ...common, id, name: id, kind: 'forEach', items: [], as: 'item', concurrency: 1, children });

const sections: Section[] = [
  { name: 'a', nodes: [step('a/one'), group('a/g', [step('a/g/x'), loop('a/g/l', [step('a/g/l/y'), loop('a/g/l/m', [step('a/g/l/m/z')])])])] },
  { name: 'b', nodes: [step('b/two')] },
];

describe('walking a plan', () => {
  it('visits every node in run order, a group or loop before what it holds', () => {
    expect(walkPlan(sections).map((w) => w.node.id)).toEqual(['a/one', 'a/g', 'a/g/x', 'a/g/l', 'a/g/l/y', 'a/g/l/m', 'a/g/l/m/z', 'b/two']);
  });

  it('gives each node its section and the nodes above it, outermost first', () => {
    const z = walkPlan(sections).find((w) => w.node.id === 'a/g/l/m/z')!;
    expect(z.section.name).toBe('a');
    expect(z.parents.map((p) => p.id)).toEqual(['a/g', 'a/g/l', 'a/g/l/m']);
    expect(loopDepth(z.parents)).toBe(2);
    expect(walkPlan(sections).find((w) => w.node.id === 'b/two')!.section.name).toBe('b');
  });

  it('walks a subtree below given parents', () => {
    const g = sections[0]!.nodes[1]!;
    const walked = walkNodes([g], [sections[0]!.nodes[0]!]);
    expect(walked.map((w) => [w.node.id, w.parents.length])).toEqual([
      ['a/g', 1],
      ['a/g/x', 2],
      ['a/g/l', 2],
      ['a/g/l/y', 3],
      ['a/g/l/m', 3],
      ['a/g/l/m/z', 4],
    ]);
  });

  it('searches and counts', () => {
    const nodes = sections.flatMap((s) => s.nodes);
    expect(someNode(nodes, (n) => n.id === 'a/g/l/m/z')).toBe(true);
    expect(someNode(nodes, (n) => n.id === 'nothing')).toBe(false);
    const seen: string[] = [];
    someNode(nodes, (n) => (seen.push(n.id), n.id === 'a/g/x'));
    expect(seen).toEqual(['a/one', 'a/g', 'a/g/x']);
    expect(countSteps(nodes)).toBe(5);
    expect(countSteps([])).toBe(0);
  });
});
