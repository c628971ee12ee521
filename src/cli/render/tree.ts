// What a run is doing, as a tree for a terminal to draw: the plan's sections and nodes, with loop
// items added as they start, each keyed as the executor keys it (`id[item]`) and updated from the
// executor's events. It knows nothing of screens; layout.ts decides what of it is shown.
import { formatMs } from '../../engine/attempt.js';
import type { RunEvent, RunStatus, StepResult, StepStatus } from '../../engine/events.js';
import { itemKeyOf } from '../../contract/run-key.js';
import { countSteps as stepsIn } from '../../runbook/plan-walk.js';
import type { Plan, PlanNode } from '../../runbook/types.js';

/** `stopped`: under way when the run ended (at a gate, a blocking finding, an interrupt). */
export type NodeState = 'pending' | 'running' | 'waiting' | 'stopped' | StepStatus;

export interface TreeNode {
  /** The executor's key: the plan id plus `[item]` per enclosing loop; sections have their name. */
  key: string;
  /** Steps, groups and loops: their name; loop items: their key. */
  name: string;
  kind: 'section' | PlanNode['kind'] | 'item';
  state: NodeState;
  /** The plan node; a loop item has its loop's. */
  plan?: PlanNode;
  description?: string;
  result?: StepResult;
  /** The last thing a running node said: a log line, a retry, a finding. */
  output?: string;
  children: TreeNode[];
  /** Loops: how many items finished. */
  itemsDone: number;
  /** Sections: what the steps in them ended with. */
  counts?: Record<StepStatus | 'earlier', number>;
  /** Sections: how the run ended while the section was under way. */
  stopped?: RunStatus;
}

export class RunTree {
  readonly sections: TreeNode[];
  private readonly byKey = new Map<string, TreeNode>();
  private current = -1;

  constructor(plan: Plan) {
    this.sections = plan.sections.map((s) => ({
      key: s.name,
      name: s.name,
      kind: 'section',
      state: 'pending',
      description: s.description,
      children: s.nodes.map((n) => this.instantiate(n, '')),
      itemsDone: 0,
      counts: { ok: 0, changed: 0, skipped: 0, failed: 0, earlier: 0 },
    }));
  }

  node(key: string): TreeNode | undefined {
    return this.byKey.get(key);
  }

  apply(e: RunEvent): void {
    switch (e.type) {
      case 'section:start': {
        this.settleSection();
        const section = this.sections[++this.current];
        if (section) section.state = 'running';
        break;
      }
      case 'node:start': {
        const node = this.node(e.node.id) ?? this.addItem(e.node.id, e.node.parent);
        if (node) node.state = 'running';
        break;
      }
      case 'node:end': {
        const node = this.node(e.node.id) ?? this.addItem(e.node.id, e.node.parent);
        if (!node) break;
        node.state = e.result.status;
        node.result = e.result;
        delete node.output;
        if (node.kind === 'item') {
          const loop = this.node(e.node.parent ?? '');
          if (loop) {
            loop.itemsDone++;
            // Only a failed item is shown once it ended: a loop over thousands of objects keeps
            // no node for the others.
            if (e.result.status !== 'failed') {
              loop.children = loop.children.filter((c) => c !== node);
              this.forget(node);
            }
          }
        }
        const counts = this.sections[this.current]?.counts;
        // Steps are counted as they end, as the run's summary counts them; a group or loop done
        // in an earlier attempt ends without its steps saying anything, so they are counted with it.
        if (counts && node.kind === 'step') counts[e.result.resumed ? 'earlier' : e.result.status]++;
        else if (counts && node.plan && node.kind !== 'item' && e.result.resumed) counts.earlier += countSteps(node.plan);
        break;
      }
      case 'step:retry':
        this.say(e.id, `attempt ${e.attempt} failed: ${e.error}; retrying in ${formatMs(e.delayMs)}`);
        break;
      case 'step:log':
        this.say(e.id, e.message);
        break;
      case 'finding':
        if (e.finding.stepId) this.say(e.finding.stepId, `${e.finding.severity.toUpperCase()}: ${e.finding.message}`);
        break;
      case 'approval:required': {
        const node = this.node(e.id);
        if (node) node.state = 'waiting';
        break;
      }
      case 'run:end': {
        const section = this.sections[this.current];
        if (section?.state === 'running' && e.summary.status !== 'succeeded') section.stopped = e.summary.status;
        this.settleSection();
        // The executor ends no node it left on its way out: they are shown as stopped, not spinning.
        for (const node of this.byKey.values()) if (node.state === 'running') node.state = 'stopped';
        break;
      }
      default:
        break;
    }
  }

  /** A gate passed: its node goes on. */
  gatePassed(key: string): void {
    const node = this.node(key);
    if (node?.state === 'waiting') node.state = 'running';
  }

  private say(key: string, message: string): void {
    const node = this.node(key);
    if (node) node.output = message;
  }

  private settleSection(): void {
    const section = this.sections[this.current];
    if (!section || section.state !== 'running') return;
    const c = section.counts!;
    if (section.stopped) section.state = c.failed ? 'failed' : 'stopped';
    else if (c.failed) section.state = 'failed';
    else if (section.children.length && section.children.every((n) => n.state === 'skipped')) section.state = 'skipped';
    else section.state = c.changed ? 'changed' : 'ok';
  }

  private forget(node: TreeNode): void {
    this.byKey.delete(node.key);
    node.children.forEach((c) => this.forget(c));
  }

  /** A node of the plan with what it holds, keys carrying the item suffix of its loop item. */
  private instantiate(plan: PlanNode, suffix: string): TreeNode {
    const node: TreeNode = {
      key: plan.id + suffix,
      name: plan.name,
      kind: plan.kind,
      state: 'pending',
      plan,
      description: plan.description,
      // A loop's children are its items, added as they start.
      children: plan.kind === 'group' ? plan.children.map((c) => this.instantiate(c, suffix)) : [],
      itemsDone: 0,
    };
    this.byKey.set(node.key, node);
    return node;
  }

  /** A loop item, keyed `loop-key[item]`, holding the loop's steps for that item. */
  private addItem(key: string, parent: string | undefined): TreeNode | undefined {
    const loop = parent === undefined ? undefined : this.node(parent);
    const itemKey = loop && itemKeyOf(key, loop.key);
    if (!loop || loop.plan?.kind !== 'forEach' || itemKey === undefined) return undefined;
    const plan = loop.plan;
    const suffix = key.slice(plan.id.length);
    const item: TreeNode = {
      key,
      name: itemKey,
      kind: 'item',
      state: 'pending',
      plan,
      children: plan.children.map((c) => this.instantiate(c, suffix)),
      itemsDone: 0,
    };
    this.byKey.set(key, item);
    loop.children.push(item);
    return item;
  }
}

export function countSteps(n: PlanNode): number {
  return stepsIn([n]);
}
