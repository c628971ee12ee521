// Runs a plan: every node goes through when → gate → check → apply → verify, with its result
// checkpointed after each transition, so a run stopped at any instant resumes where it stopped
// and never repeats a step that completed.
import { evaluate, evaluateBoolean } from '../runbook/expressions.js';
import { checkRendered } from '../runbook/schema-check.js';
import { renderDeep, renderString, renderText, isTemplate } from '../runbook/template.js';
import type { ForEachNode, Plan, PlanNode, StepNode } from '../runbook/types.js';
import type { ResolvedVars } from '../runbook/vars.js';
import { approvesGate } from './approvals.js';
import { AttemptsFailed, formatMs, runWithRetries } from './attempt.js';
import { RunAborted, RunbookError, StepFailure } from '../contract/errors.js';
import type { EventListener, NodeInfo, RunStatus, RunSummary, StepOutcome, StepResult, StepStatus } from './events.js';
import { DEFAULT_STOP_ON, type Finding, type Severity } from '../contract/findings.js';
import type { Redactor } from '../contract/redact.js';
import type { StepRegistry } from '../contract/registry.js';
import { containsId, decide, type Selection } from './selection.js';
import type { RunState, StateStore, StepState } from './state.js';
import type { DryRunMode, StepContext, StepServices } from '../contract/step-type.js';

export interface ApprovalPolicy {
  /** --yes: every gate passes. */
  all: boolean;
  /** --approve: these gates pass, named as in approvals.ts (`id`, `id[key]`, `id[*]`). */
  ids: ReadonlySet<string>;
  /** Asks a person at a terminal; absent when no one can answer. */
  ask?: (id: string, name: string, question: string) => Promise<boolean>;
}

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

/** Ends the run early with a status other than failed-step. */
class StopRun extends Error {
  constructor(
    readonly status: RunStatus,
    message: string,
  ) {
    super(message);
  }
}

const COMPLETED: readonly StepStatus[] = ['ok', 'changed', 'skipped'];

export class Executor {
  private readonly counts: Record<StepStatus, number> = { ok: 0, changed: 0, skipped: 0, failed: 0 };
  private readonly stopOn: readonly Severity[];
  private blocking: Finding | undefined;
  /** Before the --from step: nodes are skipped until it is reached. */
  private beforeFrom: boolean;
  /** The last checkpoint write, and one queued behind it that has not started yet. */
  private saving: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private queuedDurable = false;

  /** Steps whose recorded findings stopped an earlier run: they, and what holds them, run again. */
  private readonly recheck: string[];

  private readonly unsetRegisters: Record<string, null>;

  constructor(private readonly o: ExecutorOptions) {
    this.unsetRegisters = Object.fromEntries(registerNames(o.plan.sections.flatMap((s) => s.nodes)).map((n) => [n, null]));
    this.stopOn = o.stopOn ?? DEFAULT_STOP_ON;
    this.beforeFrom = o.selection.from !== undefined;
    this.recheck = [...new Set(o.state.findings.filter((f) => this.stopOn.includes(f.severity) && f.stepId).map((f) => f.stepId!))];
  }

  /**
   * Whether a node finished in an earlier run and must not run again. A failure tolerated by
   * continueOnError counts as finished; a node holding a blocking finding does not, so a resume
   * evaluates the finding again instead of walking past it.
   */
  private completed(previous: StepState, node: PlanNode, key: string): boolean {
    if (previous.state !== 'done' || !previous.status) return false;
    const finished = COMPLETED.includes(previous.status) || (previous.status === 'failed' && node.continueOnError);
    return finished && !this.recheck.some((id) => within(key, id));
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
        const failed = await this.runNodes(section.nodes, { scope: '', loopVars: {}, suffix: '', depth: 0, selected: false });
        if (failed) {
          status = 'failed';
          message = `step ${failed} failed`;
          break;
        }
        if (this.blocking) throw this.blockedStop();
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

  /** Runs nodes in order; returns the id of a failed node that stops its parent, if any. */
  private async runNodes(nodes: readonly PlanNode[], frame: Frame): Promise<string | undefined> {
    for (const node of nodes) {
      // Each node in the vars of the file it is written in: a section or a loop body can hold nodes
      // of several files (a top-level import, a site overlay's steps among ours).
      const result = await this.runNode(node, node.scope === frame.scope ? frame : { ...frame, scope: node.scope });
      if (result.status === 'failed' && !node.continueOnError) return node.id + frame.suffix;
    }
    return undefined;
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

    const context = this.contextFor(frame);
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
    if (this.blocking && node.kind === 'step' && !this.o.registry.get(node.type)?.readOnly) throw this.blockedStop();

    this.emit({ type: 'node:start', node: info });
    const gate = this.gateOf(node, context);
    if (gate !== undefined) await this.passGate(info, gate);

    const childFrame: Frame = { ...frame, depth: frame.depth + 1, parent: key, selected: selected.all };
    if (node.kind === 'group') return this.runGroup(info, node.children, childFrame, node.scope);
    if (node.kind === 'forEach') return this.runForEach(info, node, childFrame, context);
    return this.runStep(info, node, frame, context);
  }

  private async runGroup(info: NodeInfo, children: readonly PlanNode[], frame: Frame, scope: string): Promise<StepResult> {
    const started = Date.now();
    await this.mark(info.id, { state: 'running', startedAt: new Date().toISOString() }, false);
    const results: StepResult[] = [];
    let failed: string | undefined;
    for (const child of children) {
      const r = await this.runNode(child, { ...frame, scope: child.scope ?? scope });
      results.push(r);
      if (r.status === 'failed' && !child.continueOnError) {
        failed = child.id + frame.suffix;
        break;
      }
    }
    const result: StepResult = failed
      ? { status: 'failed', attempts: 1, durationMs: Date.now() - started, error: { message: `step ${failed} failed`, transient: false } }
      : { status: aggregate(results), attempts: 1, durationMs: Date.now() - started };
    return this.finish(info, result, false);
  }

  private async runForEach(info: NodeInfo, node: ForEachNode, frame: Frame, context: Record<string, unknown>): Promise<StepResult> {
    const started = Date.now();
    let items: unknown;
    try {
      items = resolveItems(node.items, context);
    } catch (err) {
      return this.fail(info, new StepFailure(`forEach items: ${(err as Error).message}`));
    }
    if (!Array.isArray(items)) {
      return this.fail(info, new StepFailure(`forEach items must be a list, got ${typeName(items)}`));
    }
    const previous = this.o.state.steps[info.id];
    const done = new Set(previous?.itemsDone ?? []);
    await this.mark(info.id, { state: 'running', startedAt: previous?.startedAt ?? new Date().toISOString(), itemsDone: [...done] }, false);

    const keyed = items.map((item, index) => ({ item, key: this.itemKey(node, item, index, context) }));
    let next = 0;
    let failure: string | undefined;
    // A stop (gate, blocking finding, abort) thrown by one item: the others finish what they are
    // doing, take no new item, and only then is it passed on, so nothing runs after the run ended.
    let thrown: { error: unknown } | undefined;
    const results: StepResult[] = [];
    const worker = async (): Promise<void> => {
      while (next < keyed.length && !failure && !thrown && !this.o.signal.aborted) {
        const { item, key } = keyed[next++]!;
        const itemInfo: NodeInfo = { id: `${info.id}[${key}]`, name: `${node.name}: ${key}`, kind: 'item', depth: frame.depth, parent: info.id };
        if (done.has(key) && !this.recheck.some((id) => within(itemInfo.id, id))) {
          results.push(this.finishItem(itemInfo, { status: 'ok', attempts: 1, durationMs: 0, resumed: true }));
          continue;
        }
        this.emit({ type: 'node:start', node: itemInfo });
        const itemStarted = Date.now();
        const itemFrame: Frame = {
          ...frame,
          loopVars: { ...frame.loopVars, [node.as]: item },
          suffix: `${frame.suffix}[${key}]`,
          depth: frame.depth + 1,
          parent: itemInfo.id,
        };
        const childResults: StepResult[] = [];
        let failedChild: string | undefined;
        for (const child of node.children) {
          const r = await this.runNode(child, itemFrame);
          childResults.push(r);
          if (r.status === 'failed' && !child.continueOnError) {
            failedChild = child.id + itemFrame.suffix;
            break;
          }
        }
        if (failedChild) failure ??= failedChild;
        else {
          done.add(key);
          await this.mark(info.id, { ...this.o.state.steps[info.id]!, itemsDone: [...done] });
        }
        const status = failedChild ? 'failed' : aggregate(childResults);
        results.push(this.finishItem(itemInfo, { status, attempts: 1, durationMs: Date.now() - itemStarted }));
      }
    };
    const guarded = (): Promise<void> =>
      worker().catch((error: unknown) => {
        thrown ??= { error };
      });
    await Promise.all(Array.from({ length: Math.min(node.concurrency, Math.max(1, keyed.length)) }, guarded));
    if (thrown) throw thrown.error;
    if (this.o.signal.aborted) throw new RunAborted('the run was stopped');
    const result: StepResult = failure
      ? { status: 'failed', attempts: 1, durationMs: Date.now() - started, error: { message: `step ${failure} failed`, transient: false } }
      : {
          status: aggregate(results),
          attempts: 1,
          durationMs: Date.now() - started,
          summary: `${keyed.length} item${keyed.length === 1 ? '' : 's'}`,
        };
    return this.finish(info, result, false);
  }

  private async runStep(info: NodeInfo, node: StepNode, frame: Frame, context: Record<string, unknown>): Promise<StepResult> {
    const type = this.o.registry.get(node.type)!;
    const started = Date.now();
    const startedAt = new Date().toISOString();
    const priorAttempts = this.o.state.steps[info.id]?.attempts ?? 0;
    // Findings of an earlier run of this step are replaced by what this run finds.
    this.dropFindings(info.id);

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
    try {
      const { outcome } = await runWithRetries(node, type, input, {
        dryRun: this.o.dryRun,
        runSignal: this.o.signal,
        contextFor: (signal) => this.stepContext(info, node, frame, context, signal),
        untilContext: (output) => ({ ...context, result: output }),
        // The attempt is on disk before it starts: a resume counts it and re-enters at the check.
        onAttempt: (attempt) => {
          attempts = attempt;
          this.emit({ type: 'step:attempt', id: info.id, attempt });
          return this.mark(info.id, { state: 'running', startedAt, attempts: priorAttempts + attempt }, false);
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
          this.o.state.registered[node.register] = outcome.output ?? null;
        }
      }
      this.recordFindings(outcome.findings, info.id);
      return this.finish(info, { ...outcome.result, attempts: priorAttempts + attempts, durationMs: Date.now() - started }, true);
    } catch (err) {
      if (err instanceof RunAborted || this.o.signal.aborted) {
        // The step stays `running`: a resume re-enters it at its check.
        this.emit({ type: 'step:log', id: info.id, message: 'interrupted; a resume re-enters this step at its check' });
        throw err instanceof RunAborted ? err : new RunAborted('the run was stopped', { cause: err });
      }
      const cause = err instanceof AttemptsFailed ? err.error : err;
      return this.fail(info, cause, started, priorAttempts + Math.max(1, attempts));
    }
  }

  private stepContext(info: NodeInfo, node: StepNode, frame: Frame, context: Record<string, unknown>, signal: AbortSignal): StepContext {
    return {
      runId: this.o.state.runId,
      stepId: info.id,
      stepName: node.name,
      vars: context,
      dryRun: this.o.dryRun,
      signal,
      runDir: this.o.runDir,
      baseDir: this.baseDirOf(node),
      log: (message) => this.emit({ type: 'step:log', id: info.id, message: this.o.redactor.redact(message) }),
      evaluate: (expression, extra) => evaluate(expression, { ...context, ...extra }),
      render: (template, extra) => renderText(template, { ...context, ...extra }),
      redact: (text) => this.o.redactor.redact(text),
      services: this.o.services,
    };
  }

  private baseDirOf(node: PlanNode): string {
    const file = node.at.file;
    return file.slice(0, Math.max(0, file.lastIndexOf('/'))) || '.';
  }

  private gateOf(node: PlanNode, context: Record<string, unknown>): string | undefined {
    if (node.confirm !== undefined) return isTemplate(node.confirm) ? renderText(node.confirm, context) : node.confirm;
    if (node.kind === 'step') {
      const type = this.o.registry.get(node.type)!;
      if (type.gate) return type.gate(renderDeep(node.input, context));
    }
    return undefined;
  }

  private async passGate(info: NodeInfo, question: string): Promise<void> {
    const { approvals, state } = this.o;
    const id = info.id;
    if (state.approved.includes(id) || this.o.dryRun !== 'none') return;
    if (approvals.all || approvesGate(approvals.ids, id)) {
      // Recorded like an answer, under the gate's own key even when a pattern passed it: the
      // report says which gates were passed, and a resume without the flag does not stop here again.
      state.approved.push(id);
      await this.checkpoint();
      return;
    }
    // The question may quote a secret: the terminal sees what the logs see.
    const shown = this.o.redactor.redact(question);
    this.emit({ type: 'approval:required', id, name: info.name, message: shown });
    if (approvals.ask) {
      if (await approvals.ask(id, info.name, shown)) {
        state.approved.push(id);
        await this.checkpoint();
        return;
      }
      await this.mark(id, { state: 'waiting' });
      throw new StopRun('waiting-approval', `not approved: ${info.name} (${id})`);
    }
    await this.mark(id, { state: 'waiting' });
    throw new StopRun('waiting-approval', `waiting for approval of step ${id}: ${shown}`);
  }

  private dropFindings(stepId: string): void {
    if (this.o.state.findings.some((f) => f.stepId === stepId)) {
      this.o.state.findings = this.o.state.findings.filter((f) => f.stepId !== stepId);
    }
  }

  private recordFindings(findings: readonly Finding[], stepId: string): void {
    for (const f of findings) {
      const finding = this.o.redactor.redactValue({ ...f, stepId });
      this.o.state.findings.push(finding);
      this.emit({ type: 'finding', finding });
      if (this.stopOn.includes(f.severity) && !this.blocking) this.blocking = finding;
    }
  }

  private blockedStop(): StopRun {
    const blocking = this.o.state.findings.filter((f) => this.stopOn.includes(f.severity));
    // Each severity counted for itself: "1 prohibited and 1 critical finding", never "2 prohibited".
    const counts = this.stopOn.map((sev) => [sev, blocking.filter((f) => f.severity === sev).length] as const).filter(([, n]) => n > 0);
    const said = blocking.length === 1 ? `1 ${blocking[0]!.severity} finding` : `${blocking.length} findings (${counts.map(([sev, n]) => `${n} ${sev}`).join(', ')})`;
    return new StopRun('blocked', `stopped by ${said}: ${blocking.map((f) => f.check).join(', ')}`);
  }

  private itemKey(node: ForEachNode, item: unknown, index: number, context: Record<string, unknown>): string {
    if (node.key) return String(evaluate(node.key, { ...context, [node.as]: item }));
    const meta = (item as { metadata?: { name?: string; namespace?: string } } | null)?.metadata;
    if (meta?.name) return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
    if (typeof item === 'string' || typeof item === 'number') return String(item);
    const name = (item as { name?: unknown } | null)?.name;
    if (typeof name === 'string') return name;
    return String(index);
  }

  private contextFor(frame: Frame): Record<string, unknown> {
    const values = this.o.vars.scopes[frame.scope] ?? {};
    return {
      ...values,
      // A register no step has set yet (skipped by when, --only or --skip) reads as null, not as
      // an unknown variable.
      ...this.unsetRegisters,
      ...this.o.state.registered,
      vars: values,
      // run.now: when the step starts, for annotations and time-window guards (timestamp(run.now)).
      run: { id: this.o.state.runId, dryRun: this.o.dryRun !== 'none', now: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
      ...frame.loopVars,
    };
  }

  private async skip(info: NodeInfo, reason: string): Promise<StepResult> {
    this.dropFindings(info.id);
    this.emit({ type: 'node:start', node: info });
    return this.finish(info, { status: 'skipped', attempts: 0, durationMs: 0, reason }, true);
  }

  private async fail(info: NodeInfo, err: unknown, started = Date.now(), attempts = 1): Promise<StepResult> {
    const error = toStepError(err, this.o.redactor);
    return this.finish(info, { status: 'failed', attempts, durationMs: Date.now() - started, error }, true);
  }

  private async finish(info: NodeInfo, raw: StepOutcome, persist: boolean): Promise<StepResult> {
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
      if (persist || info.kind !== 'step') await this.checkpoint();
    }
    this.emit({ type: 'node:end', node: info, result });
    return result;
  }

  private finishItem(info: NodeInfo, result: StepResult): StepResult {
    this.emit({ type: 'node:end', node: info, result });
    return result;
  }

  /** `durable: false` for marks a crash may lose harmlessly (see checkpoint). */
  private async mark(id: string, record: StepState, durable = true): Promise<void> {
    this.o.state.steps[id] = record;
    await this.checkpoint(durable);
  }

  /**
   * Writes are serialised: two transitions never race on the state file. Transitions that come
   * while a write is under way (concurrent loop items) share the next one, which records them all
   * since it reads the state when it starts.
   *
   * Every write survives the process being killed. Only writes that record something finished are
   * also forced to the disk (fsync), against a machine crash: losing a `running` mark there costs
   * nothing, since a step without a record is entered at its check just the same.
   */
  private checkpoint(durable = true): Promise<void> {
    const store = this.o.store;
    if (!store) return Promise.resolve();
    this.queuedDurable ||= durable;
    if (this.queued) return this.queued;
    const next = this.saving
      .catch(() => undefined)
      .then(() => {
        const options = { durable: this.queuedDurable };
        this.queued = undefined;
        this.queuedDurable = false;
        return store.save(this.o.state, options);
      });
    this.queued = next;
    this.saving = next;
    return next;
  }

  private emit(event: Parameters<EventListener>[0]): void {
    this.o.onEvent(event);
  }
}

/** Gives a result its diff as a getter that renders and redacts it once, when first read. */
function diffWhenRead(result: StepResult, diff: string | (() => string), redactor: Redactor): void {
  let text: string | undefined;
  Object.defineProperty(result, 'diff', {
    enumerable: true,
    configurable: true,
    get: () => (text ??= redactor.redact(typeof diff === 'function' ? diff() : diff)),
  });
}

function resolveItems(items: unknown, context: Record<string, unknown>): unknown {
  if (typeof items === 'string') return isTemplate(items) ? renderString(items, context) : evaluate(items, context);
  return renderDeep(items, context);
}

function aggregate(results: readonly StepResult[]): StepStatus {
  if (results.some((r) => r.status === 'changed')) return 'changed';
  if (results.length > 0 && results.every((r) => r.status === 'skipped')) return 'skipped';
  return 'ok';
}

function toResult(s: StepState): StepResult {
  return {
    status: s.status!,
    attempts: s.attempts ?? 0,
    durationMs: s.durationMs ?? 0,
    reason: s.reason,
    summary: s.summary,
  };
}

function toStepError(err: unknown, redactor: Redactor): StepResult['error'] {
  if (err instanceof RunbookError) {
    return {
      message: redactor.redact(err.message),
      hint: err.hint && redactor.redact(err.hint),
      transient: err.transient,
      data: err.data && redactor.redactValue(err.data),
    };
  }
  return { message: redactor.redact(errorMessage(err)), transient: false };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function countSteps(nodes: readonly PlanNode[]): number {
  return nodes.reduce((n, node) => n + (node.kind === 'step' ? 1 : countSteps(node.children)), 0);
}

function countFindings(findings: readonly Finding[]): RunSummary['findings'] {
  const out = { prohibited: 0, critical: 0, warning: 0, info: 0 };
  for (const f of findings) out[f.severity]++;
  return out;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v;
}

export { formatMs };

/**
 * Whether the step `stepKey` is `key` itself or lies inside it. Keys are an id plus one `[item]`
 * per enclosing loop: `main/loop/g[a]` holds `main/loop/g/x[a]` and `main/loop` holds both.
 */
function within(key: string, stepKey: string): boolean {
  const [base, suffix] = splitKey(key);
  const [stepBase, stepSuffix] = splitKey(stepKey);
  return (stepBase === base || stepBase.startsWith(`${base}/`)) && stepSuffix.startsWith(suffix);
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('[');
  return i < 0 ? [key, ''] : [key.slice(0, i), key.slice(i)];
}

function registerNames(nodes: readonly PlanNode[]): string[] {
  return nodes.flatMap((n) => [...(n.register ? [n.register] : []), ...(n.kind === 'step' ? [] : registerNames(n.children))]);
}
