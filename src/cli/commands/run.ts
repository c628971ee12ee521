// `runbook run FILE` and `runbook resume [RUN-ID]`: validate, find or create the run, lock it,
// execute with progress, checkpoint, write the report, print the summary and exit with the
// documented code.
import { setMaxListeners } from 'node:events';
import { resolve } from 'node:path';
import { closest } from 'fastest-levenshtein';
import { InputError, RunbookError, StateDamaged } from '../../contract/errors.js';
import { Executor } from '../../engine/executor.js';
import { LockHeld, acquireRunLock, acquireTargetLock, liveRunHolder, type HeldLock } from '../../engine/lock.js';
import { REDACTED, Redactor } from '../../contract/redact.js';
import type { StepRegistry } from '../../contract/registry.js';
import { allIds, allTags } from '../../engine/selection.js';
import { STATE_VERSION, StateStore, newRunId, type RunState } from '../../engine/state.js';
import type { DryRunMode } from '../../contract/step-type.js';
import { buildReport } from '../../report/model.js';
import { writeReport } from '../../report/write.js';
import type { Plan, PlanNode, StepNode } from '../../runbook/types.js';
import { approveProblems } from '../approve.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { CliExit } from '../fail.js';
import type { RunFlags } from '../global-options.js';
import { prepare, type Prepared } from '../prepare.js';
import { chooseRenderer } from '../render/choose.js';
import { askYesNo } from '../render/prompt.js';
import { clusterServer, createServices, openClusterState } from '../services.js';
import { parseStateFlag, type ClusterState } from '../cluster-state.js';
import type { HeldLease } from '../../kube/lease-lock.js';
import { printSummary } from '../summary.js';

export interface RunRequest {
  /** The runbook file (run), or undefined to take it from the run being resumed. */
  file?: string;
  /** The run to resume; with `run`, found automatically when an unfinished one exists. */
  runId?: string;
  flags: RunFlags;
  registry: StepRegistry;
  mode: 'run' | 'resume';
  /** Set with --state kubernetes: the cluster holds the state (flags.stateDir is its local cache) and the lock. */
  cluster?: ClusterState;
}

export async function runCommand(request: RunRequest): Promise<number> {
  const req = request.cluster || parseStateFlag(request.flags.state).kind === 'file' ? request : await withClusterState(request);
  const { flags } = req;
  const store0 = new StateStore(resolve(flags.stateDir), new Redactor());
  let existing = await findRunToResume(req, store0);

  const file = existing?.runbook.file ?? resolve(req.file!);
  const stored = existing ? storedValues(existing) : {};
  const prepared = await prepare(file, flags, req.registry, stored);
  const redactor = new Redactor(prepared.vars.secrets);
  const store = new StateStore(resolve(flags.stateDir), redactor);
  checkSelectors(prepared.plan, flags);

  const dryRun: DryRunMode = flags.dryRun ?? 'none';
  if (existing) {
    if (existing.dryRun !== 'none') throw new RunbookError(`run ${existing.runId} was a dry run; there is nothing to resume`);
    checkUnchanged(existing, prepared.plan, flags.allowChanged === true);
    checkSecretsGiven(existing, prepared);
    if (dryRun !== 'none') existing = undefined;
  }

  const state: RunState = existing ?? newState(prepared, dryRun, flags);
  const needsCluster = usesKubernetes(prepared.plan, req.registry);
  // One run of this runbook on this cluster at a time, from before the preflight until exit: a
  // second `run`, `resume` or `--fresh` is refused, naming the run that holds it. A dry run
  // changes nothing and takes no lock.
  const targetLock: HeldLock | undefined =
    dryRun === 'none' ? await acquireTargetLock(store.root, { cluster: needsCluster ? await clusterServer(flags) : '', runbook: file }, state.runId) : undefined;
  if (targetLock?.takenOver) process.stderr.write(`note: ${targetLock.takenOver}\n`);
  // With the state in the cluster, the cluster holds the lock too: a run elsewhere is refused.
  let lease: HeldLease | undefined;
  try {
    lease = dryRun === 'none' ? await req.cluster?.lease(prepared.plan.name, state.runId) : undefined;
  } catch (err) {
    await targetLock?.release();
    throw err;
  }
  if (lease?.takenOver) process.stderr.write(`note: ${lease.takenOver}\n`);
  const pushing = dryRun === 'none' ? req.cluster?.follow(state.runId) : undefined;
  try {
    return await runLocked(req, prepared, state, existing, store, redactor, dryRun, needsCluster);
  } finally {
    await pushing?.stop();
    await lease?.release();
    await targetLock?.release();
  }
}

/** --state kubernetes: the runs the cluster holds are pulled into a local cache the run writes to. */
async function withClusterState(req: RunRequest): Promise<RunRequest> {
  const backend = parseStateFlag(req.flags.state);
  if (backend.kind !== 'kubernetes') return req;
  const cluster = await openClusterState(req.flags, backend.namespace);
  return { ...req, cluster, flags: { ...req.flags, stateDir: cluster.localRoot } };
}

async function runLocked(
  req: RunRequest,
  prepared: Prepared,
  state: RunState,
  existing: RunState | undefined,
  store: StateStore,
  redactor: Redactor,
  dryRun: DryRunMode,
  needsCluster: boolean,
): Promise<number> {
  const { flags } = req;
  // Before anything is recorded or changed: may this user do all the runbook will do? One
  // message lists every missing permission (a client dry run sends no writes, so it is not asked).
  if (dryRun !== 'client' && needsCluster) {
    const preflight = await createServices(prepared.plan, flags, {
      onResend: (r) => process.stderr.write(`note: API ${r.method} ${r.path}: ${redactor.redact(r.error)}; sending again (retry ${r.retry})\n`),
    });
    const { assertPlanPermissions } = await import('../../steps/preflight.js');
    try {
      await assertPlanPermissions(prepared.plan, req.registry, preflight.services.kube!, { vars: prepared.vars });
    } finally {
      await preflight.close();
    }
  }

  if (existing) state.vars = recordedVars(prepared, existing.vars);
  state.stepDigests = stepDigests(prepared.plan);
  state.runbook.digest = prepared.plan.digest;
  const runDir = await store.prepare(state.runId);
  const lock = await acquireRunLock(runDir, state.runId);
  // Said at once: whatever happens next, the user learns that an earlier executor died.
  if (lock.takenOver) process.stderr.write(`note: ${lock.takenOver}\n`);

  const controller = new AbortController();
  // Every step attempt and wait of a concurrent forEach listens on this one signal.
  setMaxListeners(0, controller.signal);
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) {
      // The state on disk is already consistent: every transition was checkpointed.
      process.stderr.write(`\nstopped at once; resume with: runbook resume ${state.runId}\n`);
      process.exit(EXIT.interrupted);
    }
    process.stderr.write(`\n${signal}: stopping after the current operation (again to stop at once)…\n`);
    controller.abort(new Error(`received ${signal}`));
  };
  // A step that waits on a promise nothing will settle leaves Node with no work: it would exit 0
  // mid-run. Say so and fail instead; the step is still recorded as running, so resume re-enters it.
  const onStall = (): void => {
    process.stderr.write(`\nerror: the run stalled: a step waited on something that can never happen (a bug in its step type)\n  resume with: runbook resume ${state.runId}\n`);
    process.exitCode = EXIT.stepFailed;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.once('beforeExit', onStall);

  let services: Awaited<ReturnType<typeof createServices>> | undefined;
  try {
    const renderer = chooseRenderer(flags.output, prepared.plan);
    services = await createServices(prepared.plan, flags, {
      onResend: (r) => renderer.onEvent({ type: 'api:resend', ...r, error: redactor.redact(r.error) }),
    });
    const executor = new Executor({
      plan: prepared.plan,
      registry: req.registry,
      vars: prepared.vars,
      state,
      store: dryRun === 'none' ? store : undefined,
      runDir,
      dryRun,
      services: services.services,
      signal: controller.signal,
      approvals: { all: flags.yes === true, ids: new Set(flags.approve), ask: renderer.ask },
      selection: { only: flags.only, skip: flags.skip, from: flags.from },
      redactor,
      onEvent: (e) => renderer.onEvent(e),
    });
    const summary = await executor.run();
    await renderer.end();
    const report = buildReport(prepared.plan, state, services.cluster, services.calls);
    const dirs = [runDir, ...(flags.report ? [resolve(flags.report)] : [])];
    const written = await writeReport(report, dirs, redactor);
    printSummary(summary, state, written[0]!, flags.output === 'json', services.calls);
    return exitCodeFor(summary.status);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('beforeExit', onStall);
    await services?.close();
    await store.close();
    await lock.release();
  }
}

/** Decides which existing run (if any) this invocation continues. */
async function findRunToResume(req: RunRequest, store: StateStore): Promise<RunState | undefined> {
  const { flags } = req;
  if (req.mode === 'resume') {
    if (flags.repair) return repairRun(req, store);
    const { runs, damaged } = await store.scan();
    const state = req.runId ? await store.load(req.runId) : runs.find((s) => s.status !== 'succeeded' && s.dryRun === 'none');
    // Without an id, a damaged run is never passed over silently for an older intact one.
    if (!req.runId && damaged.length) throw damaged[0]!;
    if (!state) {
      const runs = (await store.list()).map((s) => s.runId);
      throw new RunbookError(req.runId ? `no run ${req.runId} in ${store.root}` : `no unfinished run in ${store.root}`, {
        hint: req.runId && runs.length ? `did you mean ${closest(req.runId, runs)}? (runbook status lists the runs)` : 'runbook status lists the runs; --state-dir picks another folder',
      });
    }
    if (state.status === 'succeeded') throw new RunbookError(`run ${state.runId} already succeeded; there is nothing to resume`);
    return state;
  }
  if (flags.dryRun) return undefined;
  // A damaged run of this runbook (or of one the damage hides) is never started over silently.
  const file = resolve(req.file!);
  const damaged = (await store.scan()).damaged.filter((d) => d.data?.runbook === undefined || d.data.runbook === file);
  if (damaged.length && !flags.fresh) {
    throw new StateDamaged(`${damaged.map((d) => d.message).join('\n')}`, {
      hint: `${damaged[0]!.hint}; --fresh starts a new run beside it`,
      data: damaged[0]!.data,
    });
  }
  for (const d of damaged) process.stderr.write(`note: left as it is: ${d.message}\n`);
  if (flags.fresh) return undefined;
  const unfinished = await store.findUnfinished(file);
  if (!unfinished) return undefined;
  // Held here (a local executor), or anywhere (the holder of the cluster's Lease, with --state kubernetes).
  const running = unfinished.status === 'running' ? ((await liveRunHolder(store.runDir(unfinished.runId))) ?? (await req.cluster?.liveHolder(unfinished))) : undefined;
  if (running) {
    throw new LockHeld(`run ${unfinished.runId} of this runbook is being executed by ${running}`, {
      hint: 'wait for it to finish, or stop it; runbook status shows where it is',
    });
  }
  if (flags.resume) return unfinished;
  const where = `run ${unfinished.runId} of this runbook did not finish (${unfinished.status}${unfinished.message ? `: ${unfinished.message}` : ''})`;
  if (process.stdin.isTTY && process.stderr.isTTY && flags.output !== 'json') {
    if (await askYesNo(`${where}.\nResume it? (no starts a fresh run)`)) return unfinished;
    return undefined;
  }
  throw new RunbookError(where, {
    hint: 'pass --resume to continue it, or --fresh to start a new run; runbook status shows where it stopped',
  });
}

/** `resume RUN-ID --repair`: the run as far as its files prove it, the damaged files set aside. */
async function repairRun(req: RunRequest, store: StateStore): Promise<RunState> {
  if (!req.runId) throw new RunbookError('--repair needs the run id', { hint: 'runbook status lists the runs, damaged ones included' });
  const repaired = await store.repair(req.runId);
  if (!repaired.damage && repaired.state) {
    process.stderr.write(`note: the state of run ${req.runId} is intact; resuming it as it is\n`);
    return repaired.state;
  }
  const aside = repaired.setAside.length ? `; set aside: ${repaired.setAside.join(', ')}` : '';
  if (!repaired.state) {
    throw new StateDamaged(`run ${req.runId} cannot be repaired: ${repaired.damage?.message ?? 'it has no state'}${aside}`, {
      hint: 'nothing of the run can be proven; start a fresh run (runbook run FILE --fresh): every step checks first, so work already done is not done again',
    });
  }
  const done = Object.values(repaired.state.steps).filter((s) => s.state === 'done').length;
  process.stderr.write(`note: repaired run ${req.runId}: ${done} steps proven done are kept, every other step is checked again${aside}\n`);
  return repaired.state;
}

function newState(p: Prepared, dryRun: DryRunMode, flags: RunFlags): RunState {
  const now = new Date().toISOString();
  return {
    version: STATE_VERSION,
    runId: newRunId(p.plan.name),
    runbook: { name: p.plan.name, file: p.plan.file, digest: p.plan.digest },
    stepDigests: {},
    status: 'running',
    dryRun,
    startedAt: now,
    updatedAt: now,
    vars: recordedVars(p, {}),
    options: { only: flags.only, skip: flags.skip, from: flags.from, context: flags.context, namespace: flags.namespace },
    steps: {},
    registered: {},
    findings: [],
    approved: [],
  };
}

/** The values a run records: those given, never a secret's. */
function recordedVars(p: Prepared, previous: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...previous };
  for (const [k, v] of Object.entries(p.given)) out[k] = p.vars.secretNames.includes(k) ? REDACTED : v;
  return out;
}

function storedValues(state: RunState): Record<string, unknown> {
  return Object.fromEntries(Object.entries(state.vars).filter(([, v]) => v !== REDACTED));
}

function checkSecretsGiven(state: RunState, p: Prepared): void {
  const missing = Object.entries(state.vars)
    // A secret of an imported file has no root value to look at: it must be given again by name.
    .filter(([k, v]) => v === REDACTED && p.given[k] === undefined && (p.vars.scopes['']![k] === undefined || p.vars.scopes['']![k] === null))
    .map(([k]) => k);
  if (missing.length) {
    throw new RunbookError(`secret var${missing.length > 1 ? 's' : ''} ${missing.join(', ')} must be given again to resume`, {
      hint: `secrets are never stored; pass them with --var, --vars-file or RUNBOOK_VAR_${missing[0]}`,
    });
  }
}

function stepDigests(plan: Plan): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (n: Plan['sections'][number]['nodes'][number]): void => {
    out[n.id] = n.digest;
    if (n.kind !== 'step') n.children.forEach(walk);
  };
  plan.sections.forEach((s) => s.nodes.forEach(walk));
  return out;
}

function checkUnchanged(state: RunState, plan: Plan, allowChanged: boolean): void {
  if (state.runbook.digest === plan.digest) return;
  const now = stepDigests(plan);
  const before = state.stepDigests;
  const changed = Object.keys(now).filter((id) => before[id] !== undefined && before[id] !== now[id]);
  const added = Object.keys(now).filter((id) => before[id] === undefined);
  const removed = Object.keys(before).filter((id) => now[id] === undefined);
  const lines = [
    ...changed.map((id) => `  changed: ${id}${state.steps[id]?.state === 'done' ? ' (already done in this run)' : ''}`),
    ...added.map((id) => `  added:   ${id}`),
    ...removed.map((id) => `  removed: ${id}`),
  ];
  if (allowChanged) {
    process.stderr.write(`note: the runbook changed since run ${state.runId} started:\n${lines.join('\n')}\n`);
    return;
  }
  throw new RunbookError(`the runbook changed since run ${state.runId} started:\n${lines.join('\n')}`, {
    hint: 'steps already done are not run again; pass --allow-changed to resume anyway, or --fresh to start over',
  });
}

function checkSelectors(plan: Plan, flags: RunFlags): void {
  const ids = allIds(plan.sections);
  const tags = allTags(plan.sections);
  const problems = [];
  const known = (s: string): boolean => tags.has(s) || ids.some((id) => id === s || id.startsWith(`${s}/`));
  for (const [flag, values] of [['--only', flags.only], ['--skip', flags.skip]] as const) {
    for (const v of values) if (!known(v)) problems.push({ message: `${flag} ${v}: no step id or tag matches`, hint: `did you mean ${closest(v, [...ids, ...tags])}?` });
  }
  problems.push(...approveProblems(plan, flags.approve));
  if (flags.from && !ids.includes(flags.from)) problems.push({ message: `--from ${flags.from}: no step has this id`, hint: `did you mean ${closest(flags.from, ids)}?` });
  if (problems.length) throw new InputError(problems);
}

export { CliExit };

/**
 * Whether any step of the plan talks to Kubernetes: its type says what it needs for its input (an
 * `assert` over values needs nothing, one over objects reads them). A runbook that needs no
 * cluster runs without a kubeconfig.
 */
function usesKubernetes(plan: Plan, registry: StepRegistry): boolean {
  const needs = (n: StepNode): boolean => {
    const permissions = registry.get(n.type)?.permissions;
    if (!permissions) return false;
    try {
      return permissions(n.input).length > 0;
    } catch {
      return true; // A templated input that cannot be read yet: assume it does.
    }
  };
  const walk = (nodes: readonly PlanNode[]): boolean => nodes.some((n) => (n.kind === 'step' ? needs(n) : walk(n.children)));
  return plan.sections.some((s) => walk(s.nodes));
}
