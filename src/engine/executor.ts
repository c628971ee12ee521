// Runs a plan: every node goes through when → gate → check → apply → verify, with its result
// checkpointed after each transition, so a run stopped at any instant resumes where it stopped
// and never repeats a step that completed. The parts: gates.ts (manual gates), blocking-findings.ts
// (findings that stop a run), foreach-pool.ts (loop items), checkpoint-writer.ts, node-result.ts,
// node-context.ts (what a node sees), attempt.ts (a step's attempts and retries), and run keys
// (contract/run-key.ts).
import { evaluateBoolean } from '../runbook/expressions.js';
import { countSteps } from '../runbook/plan-walk.js';
import { checkRendered } from '../runbook/schema-check.js';
import { renderDeep } from '../runbook/template.js';
import type { ForEachNode, Plan, PlanNode, StepNode } from '../runbook/types.js';
import type { ResolvedVars } from '../runbook/vars.js';
import { AttemptsFailed, runWithRetries } from './attempt.js';
import { BlockingFindings, countFindings } from './blocking-findings.js';
import { UnmadeChanges } from './unmade-changes.js';
import { CheckpointWriter } from './checkpoint-writer.js';
import { RunAborted, StepFailure } from '../contract/errors.js';
import type { EventListener, NodeInfo, RunStatus, RunSummary, StepOutcome, StepResult, StepStatus } from './events.js';
import type { Severity } from '../contract/findings.js';
import { itemKey, loopItems, runItemPool } from './foreach-pool.js';
import { gateQuestion, passGate, type ApprovalPolicy } from './gates.js';
import { nodeValues, registersAtStart, stepContext } from './node-context.js';
import { aggregate, childFailed, diffWhenRead, errorMessage, stripUndefined, toResult, toStepError } from './node-result.js';
import type { Redactor } from '../contract/redact.js';
import type { StepRegistry } from '../contract/registry.js';
import { withItemKey } from '../contract/run-key.js';
import { containsId, decide, type Selection } from './selection.js';
import type { RunState, StateStore, StepState } from './state.js';
import type { DryRunMode, StepServices } from '../contract/step-type.js';
import { StopRun } from './stop-run.js';

export type { ApprovalPolicy } from './gates.js';

export interface ExecutorOptions {
  plan: Plan;
  registry: StepRegistry;
  vars: ResolvedVars;
  state: RunState;
  /** Where checkpoints go; absent for `plan`, which records nothing. */
  store?: StateStore;
  runDir: string;
  dryRun: DryRunMode;
  services: Partial<StepServices>;
  signal: AbortSignal;
  approvals: ApprovalPolicy;
  selection: Selection;
  stopOn?: readonly Severity[];
  redactor: Redactor;
  onEvent: EventListener;
}

interface Frame {
  scope: string;
  loopVars: Record<string, unknown>;
  /** Appended to ids inside loops: `[item-key]` per enclosing loop. */
  suffix: string;
  depth: number;
  parent?: string;
  /** An ancestor was selected by --only: the whole subtree runs. */
  selected: boolean;
}

const COMPLETED: readonly StepStatus[] = ['ok', 'changed', 'skipped'];

export class Executor {
  private readonly counts: Record<StepStatus, number> = { ok: 0, changed: 0, skipped: 0, failed: 0 };
  private readonly findings: BlockingFindings;
  /** In a dry run: the changes passed over, which make later findings provisional. */
  private readonly unmadeChanges = new UnmadeChanges();
  private readonly checkpoints: CheckpointWriter;
  /** Before the --from step: nodes are skipped until it is reached. */
  private beforeFrom: boolean;

  /** The registers steps read (see registersAtStart); a step outside a loop sets its own here. */
  private readonly registers: Record<string, unknown>;

  constructor(private readonly o: ExecutorOptions) {
    this.registers = registersAtStart(o.plan, o.state.registered);
    this.findings = new BlockingFindings(o.state, o.stopOn, o.redactor, o.onEvent);
    this.checkpoints = new CheckpointWriter(o.store, o.state);
    this.beforeFrom = o.selection.from !== undefined;
  }

  /**
   * Whether a node finished in an earlier run and must not run again. A failure tolerated by
   * continueOnError counts as finished; a node holding a blocking finding does not, so a resume
   * evaluates the finding again instead of walking past it.
   */
  private completed(previous: StepState, node: PlanNode, key: string): boolean {
    if (previous.state !== 'done' || !previous.status) return false;
    const finished = COMPLETED.includes(previous.status) || (previous.status === 'failed' && node.continueOnError);
    return finished && !this.findings.mustRecheck(key);
  }

  async run(): Promise<RunSummary> {
    const started = Date.now();
    const { state, plan } = this.o;
    const resumed = Object.keys(state.steps).length > 0;
    state.status = 'running';
    delete state.message;
    await this.checkpoint(false);
    this.emit({
      type: 'run:start',
      runId: state.runId,
      runbook: plan.name,
      resumed,
      dryRun: this.o.dryRun,
      stepCount: countSteps(plan.sections.flatMap((s) => s.nodes)),
    });
    let status: RunStatus = 'succeeded';
    let message: string | undefined;
    try {
      for (const section of plan.sections) {
        this.emit({ type: 'section:start', name: section.name, description: section.description });
        const { failed } = await this.runChildren(section.nodes, { scope: '', loopVars: {}, suffix: '', depth: 0, selected: false });
        if (failed) {
          status = 'failed';
          message = `step ${failed} failed`;
          break;
        }
        if (this.findings.blocked) throw this.findings.stop();
      }
    } catch (err) {
      if (err instanceof StopRun) {
        status = err.status;
        message = err.message;
      } else if (err instanceof RunAborted || this.o.signal.aborted) {
        status = 'aborted';
        message = 'the run was stopped before it finished';
      } else {
        throw err;
      }
    }
    state.status = status;
    if (message) state.message = this.o.redactor.redact(message);
    await this.checkpoint();
    const summary: RunSummary = {
      status,
      counts: { ...this.counts },
      durationMs: Date.now() - started,
      findings: countFindings(state.findings),
    };
    this.emit({ type: 'run:end', runId: state.runId, summary, message: state.message });
    return summary;
  }

  /**
   * Runs nodes in order (a section, a group, a loop item); stops at the first failure that stops
   * its parent and returns its run key with the results so far.
   */
  private async runChildren(nodes: readonly PlanNode[], frame: Frame): Promise<{ results: StepResult[]; failed?: string }> {
    const results: StepResult[] = [];
    for (const node of nodes) {
      // Each node in the vars of the file it is written in: a section or a loop body can hold nodes
      // of several files (a top-level import, a site overlay's steps among ours).
      const result = await this.runNode(node, node.scope === frame.scope ? frame : { ...frame, scope: node.scope });
      results.push(result);
      if (result.status === 'failed' && !node.continueOnError) return { results, failed: node.id + frame.suffix };
    }
    return { results };
  }

  private async runNode(node: PlanNode, frame: Frame): Promise<StepResult> {
    const key = node.id + frame.suffix;
    const info: NodeInfo = {
      id: key,
      name: node.name,
      kind: node.kind,
      type: node.kind === 'step' ? node.type : undefined,
      depth: frame.depth,
      parent: frame.parent,
    };
    const previous = this.o.state.steps[key];
    if (previous && this.completed(previous, node, key)) {
      // A value a completed step registered inside a loop item is back for its later siblings.
      if (node.kind === 'step' && node.register && frame.suffix) {
        frame.loopVars[node.register] = this.o.state.registered[node.register + frame.suffix] ?? null;
      }
      return this.finish(info, { ...toResult(previous), resumed: true }, false);
    }

    // --from: skip whatever comes before the named step, but enter the groups that hold it.
    if (this.beforeFrom) {
      if (node.id === this.o.selection.from) this.beforeFrom = false;
      else if (!containsId(node, this.o.selection.from!)) return this.skip(info, 'before --from');
    }
    const selected = decide(node, this.o.selection, frame.selected);
    if (!selected.run) return this.skip(info, selected.reason);

    const context = nodeValues(this.o, this.registers, frame.scope, frame.loopVars);
    if (node.when !== undefined) {
      let run: boolean;
      try {
        run = evaluateBoolean(node.when, context);
      } catch (err) {
        return this.fail(info, new StepFailure(`when: ${(err as Error).message}`, { hint: `check the expression: ${node.when}` }));
      }
      if (!run) return this.skip(info, `when: ${node.when}`);
    }

    // After a blocking finding only read-only steps run; groups and loops are entered, since
    // they change nothing themselves and may hold more checks.
    if (this.findings.blocked && node.kind === 'step' && !this.o.registry.get(node.type)?.readOnly) throw this.findings.stop();

    this.emit({ type: 'node:start', node: info });
    const gate = gateQuestion(node, context, this.o.registry);
    if (gate !== undefined) {
      await passGate({ ...this.o, checkpoint: () => this.checkpoint(), mark: (id, record) => this.mark(id, record) }, info, gate);
    }

    const childFrame: Frame = { ...frame, depth: frame.depth + 1, parent: key, selected: selected.all };
    if (node.kind === 'group') return this.runGroup(info, node.children, childFrame);
    if (node.kind === 'forEach') return this.runForEach(info, node, childFrame, context);
    return this.runStep(info, node, frame, context);
  }

  private async runGroup(info: NodeInfo, children: readonly PlanNode[], frame: Frame): Promise<StepResult> {
    const started = Date.now();
    await this.mark(info.id, { state: 'running', startedAt: new Date().toISOString() }, false);
    const { results, failed } = await this.runChildren(children, frame);
    const durationMs = Date.now() - started;
    return this.finish(info, failed ? childFailed(failed, durationMs) : { status: aggregate(results), attempts: 1, durationMs }, false);
  }

  private async runForEach(info: NodeInfo, node: ForEachNode, frame: Frame, context: Record<string, unknown>): Promise<StepResult> {
    const started = Date.now();
    const items = loopItems(node, context);
    if (items instanceof StepFailure) return this.fail(info, items);
    const previous = this.o.state.steps[info.id];
    const done = new Set(previous?.itemsDone ?? []);
    // One list, appended to as items finish: copying it for every item cost O(n²) at 10,000 items.
    // The journal logs what was appended since its last line.
    const doneInOrder = [...done];
    await this.mark(info.id, { state: 'running', startedAt: previous?.startedAt ?? new Date().toISOString(), itemsDone: doneInOrder }, false);

    const keyed = items.map((item, index) => ({ item, key: itemKey(node, item, index, context) }));
    const results: StepResult[] = [];
    const failure = await runItemPool(keyed, node.concurrency, this.o.signal, async ({ item, key }, failed) => {
      const itemInfo: NodeInfo = { id: withItemKey(info.id, key), name: `${node.name}: ${key}`, kind: 'item', depth: frame.depth, parent: info.id };
      if (done.has(key) && !this.findings.mustRecheck(itemInfo.id)) {
        results.push(this.finishItem(itemInfo, { status: 'ok', attempts: 1, durationMs: 0, resumed: true }));
        return;
      }
      this.emit({ type: 'node:start', node: itemInfo });
      const itemStarted = Date.now();
      const itemFrame: Frame = {
        ...frame,
        loopVars: { ...frame.loopVars, [node.as]: item },
        suffix: withItemKey(frame.suffix, key),
        depth: frame.depth + 1,
        parent: itemInfo.id,
      };
      const child = await this.runChildren(node.children, itemFrame);
      if (child.failed) failed(child.failed);
      else {
        done.add(key);
        doneInOrder.push(key);
        // Written while the next item starts, not forced to the disk: a resume that lost it enters
        // the item again, where each step finds its own record or checks its effect.
        this.o.state.steps[info.id] = { ...this.o.state.steps[info.id]!, itemsDone: doneInOrder };
        this.checkpoints.saveInBackground();
      }
      const status = child.failed ? 'failed' : aggregate(child.results);
      results.push(this.finishItem(itemInfo, { status, attempts: 1, durationMs: Date.now() - itemStarted }));
    });
    const durationMs = Date.now() - started;
    const result: StepResult = failure
      ? childFailed(failure, durationMs)
      : { status: aggregate(results), attempts: 1, durationMs, summary: `${keyed.length} item${keyed.length === 1 ? '' : 's'}` };
    return this.finish(info, result, false);
  }

  private async runStep(info: NodeInfo, node: StepNode, frame: Frame, context: Record<string, unknown>): Promise<StepResult> {
    const type = this.o.registry.get(node.type)!;
    const started = Date.now();
    const startedAt = new Date().toISOString();
    const priorAttempts = this.o.state.steps[info.id]?.attempts ?? 0;
    // Findings of an earlier run of this step are replaced by what this run finds.
    this.findings.drop(info.id);

    let input: unknown;
    try {
      input = renderDeep(node.input, context, [...(type.expressionFields ?? []), ...(type.rawFields ?? [])]);
    } catch (err) {
      return this.fail(info, new StepFailure(`template: ${(err as Error).message}`, { hint: 'declare the variable or register it in an earlier step' }), started, priorAttempts);
    }
    const wrong = checkRendered(input, type.input, `step ${info.id} (${node.type}), after its templates were rendered`);
    if (wrong.length) {
      const more = wrong.length > 1 ? ` (and ${wrong.length - 1} more: ${wrong.slice(1).map((p) => p.message.replace(/^[^:]*: /, '')).join('; ')})` : '';
      return this.fail(info, new StepFailure(this.o.redactor.redact(`${wrong[0]!.message}${more}`), { hint: wrong[0]!.hint ?? 'check the values the templates of this step read' }), started, priorAttempts);
    }
    let attempts = 0;
    const rechecking = this.inItemRechecking(info, frame);
    try {
      const { outcome } = await runWithRetries(node, type, input, {
        dryRun: this.o.dryRun,
        runSignal: this.o.signal,
        contextFor: (signal) => stepContext(this.o, info.id, node, context, signal),
        untilContext: (output) => ({ ...context, result: output }),
        // The attempt is on disk before it starts: a resume counts it and re-enters at the check
        // (inside a loop item, a step that checks first is not waited for: inItemRechecking).
        onAttempt: (attempt) => {
          attempts = attempt;
          this.emit({ type: 'step:attempt', id: info.id, attempt });
          return this.mark(info.id, { state: 'running', startedAt, attempts: priorAttempts + attempt }, rechecking ? 'background' : false);
        },
        onRetry: (attempt, error, delayMs) =>
          this.emit({ type: 'step:retry', id: info.id, attempt, error: this.o.redactor.redact(errorMessage(error)), delayMs }),
      });
      if (node.register) {
        if (frame.suffix) {
          // Inside a loop item the value belongs to the item: items running at once never see
          // each other's, and it is checkpointed under the item's key for a resume.
          frame.loopVars[node.register] = outcome.output ?? null;
          this.o.state.registered[node.register + frame.suffix] = outcome.output ?? null;
        } else {
          this.o.state.registered[node.register] = this.registers[node.register] = outcome.output ?? null;
        }
      }
      this.findings.record(outcome.findings, info.id, this.unmadeChanges.said());
      if (this.o.dryRun !== 'none' && outcome.result.status === 'changed') this.unmadeChanges.add(info.id);
      return this.finish(info, { ...outcome.result, attempts: priorAttempts + attempts, durationMs: Date.now() - started }, rechecking ? 'background' : true);
    } catch (err) {
      if (err instanceof RunAborted || this.o.signal.aborted) {
        // The step stays `running`: a resume re-enters it at its check.
        this.emit({ type: 'step:log', id: info.id, message: 'interrupted; a resume re-enters this step at its check' });
        throw err instanceof RunAborted ? err : new RunAborted('the run was stopped', { cause: err });
      }
      const cause = err instanceof AttemptsFailed ? err.error : err;
      return this.fail(info, cause, started, priorAttempts + Math.max(1, attempts), rechecking ? 'background' : true);
    }
  }

  private async skip(info: NodeInfo, reason: string): Promise<StepResult> {
    this.findings.drop(info.id);
    this.emit({ type: 'node:start', node: info });
    return this.finish(info, { status: 'skipped', attempts: 0, durationMs: 0, reason }, true);
  }

  private async fail(info: NodeInfo, err: unknown, started = Date.now(), attempts = 1, persist: true | 'background' = true): Promise<StepResult> {
    const error = toStepError(err, this.o.redactor);
    return this.finish(info, { status: 'failed', attempts, durationMs: Date.now() - started, error }, persist);
  }

  /** `persist: 'background'`: written while the run goes on (see `inItemRechecking`). */
  private async finish(info: NodeInfo, raw: StepOutcome, persist: boolean | 'background'): Promise<StepResult> {
    // Summaries, reasons and diffs come from step code: they may quote a secret. The diff is left
    // out of the checkpoint (nothing reads it back) and rendered and redacted only when read.
    const { diff, ...rest } = raw;
    const result: StepResult = rest.resumed ? rest : this.o.redactor.redactValue(rest);
    if (info.kind === 'step') this.counts[result.status]++;
    if (!result.resumed) {
      const previous = this.o.state.steps[info.id];
      const record: StepState = {
        ...previous,
        ...stripUndefined(result),
        // A failed step is done too; a resume runs it again because its status is not complete.
        state: 'done',
        endedAt: new Date().toISOString(),
      };
      this.o.state.steps[info.id] = record;
      if (diff !== undefined) diffWhenRead(result, diff, this.o.redactor);
      if (persist === 'background') this.checkpoints.saveInBackground();
      else if (persist || info.kind !== 'step') await this.checkpoint();
    }
    this.emit({ type: 'node:end', node: info, result });
    return result;
  }

  /**
   * Whether this step runs in a loop item and a resume that finds no record of it would still do
   * nothing twice: its type checks its effect first. Its records (attempt, end) are then written
   * while the item goes on, not forced to the disk; a resume that lost them re-checks. What follows
   * (the loop's end, a step without a check) is waited for and forced to the disk with them. Items
   * waiting their turn for these writes were most of such a run's time.
   */
  private inItemRechecking(info: NodeInfo, frame: Frame): boolean {
    return frame.suffix !== '' && info.kind === 'step' && info.type !== undefined && this.o.registry.get(info.type)?.check !== undefined;
  }

  private finishItem(info: NodeInfo, result: StepResult): StepResult {
    this.emit({ type: 'node:end', node: info, result });
    return result;
  }

  /** `durable: false` for marks a crash may lose harmlessly; 'background': not waited for (see CheckpointWriter). */
  private async mark(id: string, record: StepState, durable: boolean | 'background' = true): Promise<void> {
    this.o.state.steps[id] = record;
    if (durable === 'background') this.checkpoints.saveInBackground();
    else await this.checkpoint(durable);
  }

  private checkpoint(durable = true): Promise<void> {
    return this.checkpoints.save(durable);
  }

  private emit(event: Parameters<EventListener>[0]): void {
    this.o.onEvent(event);
  }
}
