// `runbook run FILE` and `runbook resume [RUN-ID]`: the flags made into a run (src/engine/run.ts
// holds its lifecycle), with what only a command line has: the terminal's questions and
// renderer, signals, the cluster behind --state kubernetes and the permission preflight, the
// report and summary, and the documented exit code.
import { resolve } from 'node:path';
import { closest } from 'fastest-levenshtein';
import { InputError } from '../../contract/errors.js';
import type { StepRegistry } from '../../contract/registry.js';
import { startRun, type RunHooks } from '../../engine/run.js';
import { allIds, allTags } from '../../engine/selection.js';
import { assertPermissions } from '../../kube/permission-check.js';
import { buildReport } from '../../report/model.js';
import { writeReport } from '../../report/write.js';
import type { Plan } from '../../runbook/types.js';
import { approveProblems } from '../approve.js';
import { parseStateFlag, type ClusterState } from '../cluster-state.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import type { RunFlags } from '../global-options.js';
import { prepare } from '../prepare.js';
import { chooseRenderer } from '../render/choose.js';
import type { Renderer } from '../render/renderer.js';
import { askYesNo } from '../render/prompt.js';
import { clusterServer, createServices, openClusterState, type Services } from '../services.js';
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
  const outcome = await startRun(
    {
      mode: req.mode,
      ...(req.file !== undefined ? { file: resolve(req.file) } : {}),
      ...(req.runId !== undefined ? { runId: req.runId } : {}),
      stateDir: resolve(flags.stateDir),
      registry: req.registry,
      dryRun: flags.dryRun ?? 'none',
      resume: flags.resume,
      fresh: flags.fresh,
      allowChanged: flags.allowChanged,
      repair: flags.repair,
      selection: { only: flags.only, skip: flags.skip, from: flags.from },
      approvals: { all: flags.yes === true, ids: flags.approve },
      target: { context: flags.context, namespace: flags.namespace },
    },
    runHooks(req),
  );
  return exitCodeFor(outcome.summary.status);
}

/** --state kubernetes: the runs the cluster holds are pulled into a local cache the run writes to. */
async function withClusterState(req: RunRequest): Promise<RunRequest> {
  const backend = parseStateFlag(req.flags.state);
  if (backend.kind !== 'kubernetes') return req;
  const cluster = await openClusterState(req.flags, backend.namespace);
  return { ...req, cluster, flags: { ...req.flags, stateDir: cluster.localRoot } };
}

function runHooks(req: RunRequest): RunHooks<Services> {
  const { flags } = req;
  const notice = (message: string): void => void process.stderr.write(`note: ${message}\n`);
  // A terminal renderer owns the screen: what the run says while it goes on is drawn in its frame,
  // where the next redraw cannot erase it.
  let renderer: Renderer | undefined;
  const say = (text: string): void => (renderer?.notice ? renderer.notice(text) : void process.stderr.write(`\n${text}\n`));
  return {
    prepare: async (file, stored) => {
      const prepared = await prepare(file, flags, req.registry, stored);
      checkSelectors(prepared.plan, flags);
      return prepared;
    },
    notice,
    ...(process.stdin.isTTY && process.stderr.isTTY && flags.output !== 'json' ? { askResume: askYesNo } : {}),
    clusterServer: () => clusterServer(flags),
    // The preflight has a client of its own: the run's reports its calls, and these are not the run's.
    checkAccess: async (steps, redactor) => {
      const preflight = await createServices(flags, {
        onResend: (r) => notice(`API ${r.method} ${r.path}: ${redactor.redact(r.error)}; sending again (retry ${r.retry})`),
      });
      try {
        await assertPermissions(preflight.services.kube!, steps);
      } finally {
        await preflight.close();
      }
    },
    ...(req.cluster ? { sharedState: req.cluster } : {}),
    listen: (runId, abort) => listenForStops(runId, abort, say),
    progress: async (plan) => (renderer = await chooseRenderer(flags.output, plan)),
    services: (_plan, progress, redactor) => createServices(flags, { onResend: (r) => progress.onEvent({ type: 'api:resend', ...r, error: redactor.redact(r.error) }) }),
    finish: async ({ plan, summary, state, runDir, redactor }, services) => {
      const report = buildReport(plan, state, services.cluster, services.calls);
      const dirs = [runDir, ...(flags.report ? [resolve(flags.report)] : [])];
      const written = await writeReport(report, dirs, redactor);
      printSummary(summary, state, written[0]!, flags.output === 'json', services.calls);
    },
  };
}

/**
 * Ctrl-C or SIGTERM stops the run after the current operation, a second one at once. Returns what
 * removes the listeners again.
 */
function listenForStops(runId: string, abort: (reason: Error) => void, say: (text: string) => void): () => void {
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) {
      // The state on disk is already consistent: every transition was checkpointed.
      process.stderr.write(`\nstopped at once; resume with: runbook resume ${runId}\n`);
      process.exit(EXIT.interrupted);
    }
    say(`${signal}: stopping after the current operation (again to stop at once)…`);
    abort(new Error(`received ${signal}`));
  };
  // A step that waits on a promise nothing will settle leaves Node with no work: it would exit 0
  // mid-run. Say so and fail instead; the step is still recorded as running, so resume re-enters it.
  const onStall = (): void => {
    process.stderr.write(`\nerror: the run stalled: a step waited on something that can never happen (a bug in its step type)\n  resume with: runbook resume ${runId}\n`);
    process.exitCode = EXIT.stepFailed;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.once('beforeExit', onStall);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('beforeExit', onStall);
  };
}

/** --only, --skip, --from and --approve name steps or tags of the plan. */
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
