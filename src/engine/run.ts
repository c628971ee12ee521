// Starts a run of a runbook, or continues a recorded one: finds the run to continue, checks that
// it may be continued as asked, records it, takes the locks, asks whether the user may do what
// the steps need, runs the executor and hands the outcome over while the run is still locked.
// What the engine does not know (the terminal, the cluster, signals, the report) comes in as
// hooks: the CLI passes its own, tests pass theirs.
import { setMaxListeners } from 'node:events';
import { RunbookError } from '../contract/errors.js';
import { Redactor } from '../contract/redact.js';
import type { StepRegistry } from '../contract/registry.js';
import type { DryRunMode, StepServices } from '../contract/step-type.js';
import { neededAccess, planTalksToCluster, type StepNeeds } from '../runbook/permission-needs.js';
import type { Plan } from '../runbook/types.js';
import type { EventListener, RunSummary } from './events.js';
import { Executor, type ApprovalPolicy } from './executor.js';
import { acquireRunLock, acquireTargetLock, type HeldLock } from './lock.js';
import { checkSecretsGiven, checkUnchanged, recordedVars, stepDigests, storedValues, type PreparedRun } from './run-checks.js';
import { findRunToResume } from './run-resume.js';
import { StateStore, newRunId, newRunState, type RunState } from './state.js';

export type { PreparedRun } from './run-checks.js';

export interface RunOptions {
  mode: 'run' | 'resume';
  /** run: the runbook file, as an absolute path; resume takes it from the run. */
  file?: string;
  /** resume: the run to continue (default: the newest unfinished one). */
  runId?: string;
  /** Where runs are recorded, as an absolute path. */
  stateDir: string;
  registry: StepRegistry;
  dryRun: DryRunMode;
  /** run: continue the unfinished run of this runbook without asking. */
  resume?: boolean;
  /** run: start a new run even when one did not finish or is damaged. */
  fresh?: boolean;
  /** resume: continue even though the runbook changed since the run started. */
  allowChanged?: boolean;
  /** resume: rebuild a damaged run from what is intact. */
  repair?: boolean;
  selection: { only: string[]; skip: string[]; from?: string };
  /** Manual gates passed beforehand: all (--yes), or these ids (--approve). */
  approvals: { all: boolean; ids: readonly string[] };
  /** The kubeconfig context and namespace the run was started with, recorded with it. */
  target?: { context?: string; namespace?: string };
}

/** Shows a run's progress and asks at its gates. */
export interface RunProgress {
  onEvent: EventListener;
  /** Called when the run is over, before the outcome is handed over. */
  end(): Promise<void>;
  ask?: ApprovalPolicy['ask'];
}

/** The services steps use during the run, closed when it ends. */
export interface RunServices {
  services: Partial<StepServices>;
  close(): Promise<void>;
}

/** State held somewhere else as well (the cluster), with a lock of its own. */
export interface SharedState {
  /** One run of a runbook at a time, wherever it runs. */
  lease(runbookName: string, runId: string): Promise<{ takenOver?: string; release(): Promise<void> }>;
  /** Copies the run's state out while it lasts. */
  follow(runId: string): { stop(): Promise<void> };
  /** Who executes this run elsewhere, if anyone. */
  liveHolder(state: RunState): Promise<string | undefined>;
}

export interface RunOutcome {
  plan: Plan;
  summary: RunSummary;
  state: RunState;
  runDir: string;
  redactor: Redactor;
}

export interface RunHooks<S extends RunServices = RunServices> {
  /** Loads and checks the runbook; `stored` are the values the continued run recorded (lowest precedence). */
  prepare(file: string, stored: Record<string, unknown>): Promise<PreparedRun>;
  /** Something the user should know that is no error (a lock taken over, a damaged run left). */
  notice(message: string): void;
  /** Asks whether to continue an unfinished run; absent when no one can answer. */
  askResume?(question: string): Promise<boolean>;
  /** The API server the plan talks to: one run of a runbook per cluster at a time. */
  clusterServer(): Promise<string>;
  /** Asks the cluster whether the user may do everything the steps need; throws when not. */
  checkAccess(steps: StepNeeds[], redactor: Redactor): Promise<void>;
  sharedState?: SharedState;
  /** Once the run is locked: `abort` stops it after the current operation; returns what undoes this. */
  listen?(runId: string, abort: (reason: Error) => void): () => void;
  progress(plan: Plan): RunProgress | Promise<RunProgress>;
  services(plan: Plan, progress: RunProgress, redactor: Redactor): Promise<S>;
  /** The run ended: write its report, say how it went. The run is still locked. */
  finish(outcome: RunOutcome, services: S): Promise<void>;
}

/** Starts or continues a run as `options` say and runs it to its end; the state is checkpointed throughout. */
export async function startRun<S extends RunServices>(options: RunOptions, hooks: RunHooks<S>): Promise<RunOutcome> {
  const dryRun = options.dryRun;
  // Finding the run writes nothing: no secret is known yet, and none is needed.
  const shared = hooks.sharedState;
  let existing = await findRunToResume({ ...options, dryRun: dryRun !== 'none' }, new StateStore(options.stateDir, new Redactor()), {
    notice: hooks.notice,
    ...(hooks.askResume ? { askResume: hooks.askResume } : {}),
    ...(shared ? { liveHolder: (state: RunState) => shared.liveHolder(state) } : {}),
  });

  const file = existing?.runbook.file ?? options.file!;
  const prepared = await hooks.prepare(file, existing ? storedValues(existing) : {});
  const redactor = new Redactor(prepared.vars.secrets);
  const store = new StateStore(options.stateDir, redactor);

  if (existing) {
    if (existing.dryRun !== 'none') throw new RunbookError(`run ${existing.runId} was a dry run; there is nothing to resume`);
    checkUnchanged(existing, prepared.plan, options.allowChanged === true, hooks.notice);
    checkSecretsGiven(existing, prepared);
    if (dryRun !== 'none') existing = undefined;
  }

  const state: RunState =
    existing ??
    newRunState({
      runbook: prepared.plan,
      runId: newRunId(prepared.plan.name),
      dryRun,
      vars: recordedVars(prepared, {}),
      options: { ...options.selection, context: options.target?.context, namespace: options.target?.namespace },
    });
  const needsCluster = planTalksToCluster(prepared.plan, options.registry);
  // One run of this runbook on this cluster at a time, from before the preflight until exit: a
  // second `run`, `resume` or `--fresh` is refused, naming the run that holds it. A dry run
  // changes nothing and takes no lock.
  const targetLock: HeldLock | undefined =
    dryRun === 'none' ? await acquireTargetLock(store.root, { cluster: needsCluster ? await hooks.clusterServer() : '', runbook: file }, state.runId) : undefined;
  if (targetLock?.takenOver) hooks.notice(targetLock.takenOver);
  // With the state held elsewhere too, that place holds the lock too: a run elsewhere is refused.
  let lease: { takenOver?: string; release(): Promise<void> } | undefined;
  try {
    lease = dryRun === 'none' ? await shared?.lease(prepared.plan.name, state.runId) : undefined;
  } catch (err) {
    await targetLock?.release();
    throw err;
  }
  if (lease?.takenOver) hooks.notice(lease.takenOver);
  const pushing = dryRun === 'none' ? shared?.follow(state.runId) : undefined;
  try {
    return await runLocked({ options, hooks, prepared, state, existing, store, redactor, needsCluster });
  } finally {
    await pushing?.stop();
    await lease?.release();
    await targetLock?.release();
  }
}

interface LockedRun<S extends RunServices> {
  options: RunOptions;
  hooks: RunHooks<S>;
  prepared: PreparedRun;
  state: RunState;
  existing: RunState | undefined;
  store: StateStore;
  redactor: Redactor;
  needsCluster: boolean;
}

async function runLocked<S extends RunServices>(run: LockedRun<S>): Promise<RunOutcome> {
  const { options, hooks, prepared, state, existing, store, redactor } = run;
  const dryRun = options.dryRun;
  // Before anything is recorded or changed: may this user do all the runbook will do? One
  // message lists every missing permission (a client dry run sends no writes, so it is not asked).
  if (dryRun !== 'client' && run.needsCluster) await hooks.checkAccess(neededAccess(prepared.plan, options.registry, prepared.vars), redactor);

  if (existing) state.vars = recordedVars(prepared, existing.vars);
  state.stepDigests = stepDigests(prepared.plan);
  state.runbook.digest = prepared.plan.digest;
  const runDir = await store.prepare(state.runId);
  const lock = await acquireRunLock(runDir, state.runId);
  // Said at once: whatever happens next, the user learns that an earlier executor died.
  if (lock.takenOver) hooks.notice(lock.takenOver);

  const controller = new AbortController();
  // Every step attempt and wait of a concurrent forEach listens on this one signal.
  setMaxListeners(0, controller.signal);
  const stopListening = hooks.listen?.(state.runId, (reason) => controller.abort(reason));

  let services: S | undefined;
  try {
    const progress = await hooks.progress(prepared.plan);
    services = await hooks.services(prepared.plan, progress, redactor);
    const executor = new Executor({
      plan: prepared.plan,
      registry: options.registry,
      vars: prepared.vars,
      state,
      store: dryRun === 'none' ? store : undefined,
      runDir,
      dryRun,
      services: services.services,
      signal: controller.signal,
      approvals: { all: options.approvals.all, ids: new Set(options.approvals.ids), ask: progress.ask },
      selection: options.selection,
      redactor,
      onEvent: (e) => progress.onEvent(e),
    });
    const summary = await executor.run();
    await progress.end();
    const outcome = { plan: prepared.plan, summary, state, runDir, redactor };
    await hooks.finish(outcome, services);
    return outcome;
  } finally {
    stopListening?.();
    await services?.close();
    await store.close();
    await lock.release();
  }
}
