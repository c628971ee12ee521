// Progress on a terminal with listr2: the plan as a task tree (sections, groups, steps) whose
// tasks settle as the executor's events arrive. The executor drives; listr2 only draws.
import { Listr, type ListrTask, type ListrTaskWrapper } from 'listr2';
import { formatMs } from '../../engine/attempt.js';
import type { RunEvent, StepResult } from '../../engine/events.js';
import type { Plan, PlanNode } from '../../runbook/types.js';
import { readAnswer } from './prompt.js';
import type { Renderer } from './renderer.js';

type Outcome = StepResult | { status: 'not-run'; reason: string };

interface Slot {
  node: PlanNode;
  settle(o: Outcome): void;
  outcome: Promise<Outcome>;
  task?: ListrTaskWrapper<unknown, any, any>;
  settled: boolean;
}

export class ListrRenderer implements Renderer {
  private readonly slots = new Map<string, Slot>();
  private readonly running: Promise<unknown>;

  constructor(plan: Plan) {
    // Every slot exists before the executor starts: a step that ends before listr2 reaches its
    // section must still find its slot, or its task would spin forever.
    const tasks = plan.sections.map<ListrTask>((section) => {
      const children = section.nodes.map((n) => this.taskFor(n));
      return {
        title: section.name + (section.description ? ` — ${section.description}` : ''),
        task: (_ctx, task) => task.newListr(children, { concurrent: false, exitOnError: false }),
      };
    });
    const listr = new Listr(tasks, {
      concurrent: false,
      exitOnError: false,
      renderer: 'default',
      rendererOptions: { collapseSubtasks: false, collapseSkips: false, showErrorMessage: true, formatOutput: 'wrap' },
    });
    this.running = listr.run().catch(() => undefined);
  }

  private taskFor(node: PlanNode): ListrTask {
    let settle!: (o: Outcome) => void;
    const outcome = new Promise<Outcome>((r) => (settle = r));
    const slot: Slot = { node, settle: (o) => ((slot.settled = true), settle(o)), outcome, settled: false };
    this.slots.set(node.id, slot);
    const children = node.kind === 'group' ? node.children.map((c) => this.taskFor(c)) : [];
    return {
      title: node.name,
      task: async (_ctx, task) => {
        slot.task = task;
        if (children.length) {
          // A group skipped or done in an earlier attempt shows as one line; others show children.
          const early = slot.settled ? await outcome : undefined;
          if (early && (early.status === 'not-run' || early.status === 'skipped' || early.resumed)) {
            return this.settleTask(task, node, early);
          }
          return task.newListr(children, { concurrent: false, exitOnError: false });
        }
        return this.settleTask(task, node, await outcome);
      },
    };
  }

  private settleTask(task: ListrTaskWrapper<unknown, any, any>, node: PlanNode, o: Outcome): void {
    if (o.status === 'not-run' || o.status === 'skipped') {
      task.skip(`${node.name} (${o.status === 'not-run' ? o.reason : o.resumed ? 'done earlier' : o.reason ?? 'skipped'})`);
      return;
    }
    const r = o as StepResult;
    const detail = r.resumed ? 'done earlier' : [r.summary ?? r.reason, r.attempts > 1 ? `${r.attempts} attempts` : '', formatMs(r.durationMs)].filter(Boolean).join(', ');
    task.title = `${node.name} — ${r.status}${detail ? ` (${detail})` : ''}`;
    if (r.status === 'failed') throw new Error(`${r.error?.message ?? 'failed'}${r.error?.hint ? `\n  hint: ${r.error.hint}` : ''}`);
  }

  onEvent(e: RunEvent): void {
    switch (e.type) {
      case 'step:retry': {
        const t = this.slots.get(e.id)?.task;
        if (t) t.output = `attempt ${e.attempt} failed: ${e.error}; retrying in ${formatMs(e.delayMs)}`;
        break;
      }
      case 'step:log': {
        const base = e.id.replace(/\[.*$/, '');
        const t = this.slots.get(e.id)?.task ?? this.slots.get(base)?.task;
        if (t) t.output = e.message;
        break;
      }
      case 'finding': {
        const t = e.finding.stepId ? this.slots.get(e.finding.stepId)?.task : undefined;
        if (t) t.output = `${e.finding.severity.toUpperCase()}: ${e.finding.message}`;
        break;
      }
      case 'node:end': {
        const slot = this.slots.get(e.node.id);
        if (e.node.kind === 'item') {
          const parent = this.slots.get(e.node.parent ?? '')?.task;
          if (parent) parent.output = `${e.node.name}: ${e.result.status}`;
          break;
        }
        if (!slot) break;
        if (slot.node.kind !== 'step') this.settleDescendants(slot.node, e.result);
        slot.settle(e.result);
        break;
      }
      default:
        break;
    }
  }

  ask = async (id: string, _name: string, question: string): Promise<boolean> => {
    const t = this.slots.get(id)?.task;
    if (t) t.output = `${question} — type yes and press Enter to continue, anything else to stop`;
    const answer = await readAnswer();
    return /^y(es)?$/i.test(answer.trim());
  };

  private settleDescendants(node: PlanNode, result: StepResult): void {
    if (node.kind === 'step') return;
    const reason = result.status === 'skipped' ? `parent skipped: ${result.reason ?? ''}` : result.resumed ? 'done earlier' : 'not run';
    for (const child of node.children) {
      const slot = this.slots.get(child.id);
      if (slot && !slot.settled) slot.settle({ status: 'not-run', reason });
      this.settleDescendants(child, result);
    }
  }

  async end(): Promise<void> {
    for (const slot of this.slots.values()) if (!slot.settled) slot.settle({ status: 'not-run', reason: 'not run' });
    await this.running;
  }
}
