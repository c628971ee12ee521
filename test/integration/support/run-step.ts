// Runs steps the way `runbook run` does: a runbook file on disk, the loader, the built-in registry
// and the Executor, with a real KubeClient on the shared control plane. Tests see the one result
// shape, the registered output, the step logs and the API calls the run made (client `stats`).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { formatProblem } from '../../../src/contract/errors.js';
import type { RunEvent, RunSummary, StepResult, StepStatus } from '../../../src/engine/events.js';
import { Executor, type ApprovalPolicy } from '../../../src/engine/executor.js';
import type { Finding } from '../../../src/contract/findings.js';
import { Redactor } from '../../../src/contract/redact.js';
import { StateStore, newRunState, type RunState } from '../../../src/engine/state.js';
import type { DryRunMode, StepContext } from '../../../src/contract/step-type.js';
import '../../../src/cli/services.js'; // declares StepServices.kube
import { KubeClient } from '../../../src/kube/client.js';
import type { CallStats } from '../../../src/kube/transport.js';
import { evaluate } from '../../../src/runbook/expressions.js';
import { loadRunbook } from '../../../src/runbook/loader.js';
import { renderText } from '../../../src/runbook/template.js';
import type { Plan } from '../../../src/runbook/types.js';
import { resolveVars, type ResolvedVars } from '../../../src/runbook/vars.js';
import { builtinRegistry } from '../../../src/steps/index.js';
import { adminKubeconfigPath, viewerKubeconfigPath } from './cluster.js';

let admin: KubeClient | undefined;
let viewer: KubeClient | undefined;

/** The admin client steps run with (one per test file, so its call counters are the file's own). */
export function adminKube(): KubeClient {
  return (admin ??= KubeClient.load({ kubeconfig: adminKubeconfigPath(), env: {} }));
}

/** A client of the view-only user. */
export function viewerKube(): KubeClient {
  return (viewer ??= KubeClient.load({ kubeconfig: viewerKubeconfigPath(), env: {} }));
}

/**
 * A second admin client with its own connection and counters, for what the test does on the side
 * (playing a controller, changing objects mid-step) so the step's call counts stay its own.
 */
export function sideKube(): KubeClient {
  return KubeClient.load({ kubeconfig: adminKubeconfigPath(), env: {} });
}

export interface RunStepOptions {
  /** Default: adminKube(). In a dry run the same connection is used with that dry-run mode. */
  kube?: KubeClient;
  dryRun?: DryRunMode;
  /** Declared as runbook vars (type from the value) and given. */
  vars?: Record<string, unknown>;
  /** Files written next to the runbook (relative paths), e.g. templates. */
  files?: Record<string, string>;
  /** Fields of the step node besides the type key: retries, backoff, timeout, confirm… */
  common?: Record<string, unknown>;
  approvals?: Partial<ApprovalPolicy>;
  signal?: AbortSignal;
  /** Sees every event as it happens, e.g. to act once a wait has judged the first state. */
  onEvent?: (event: RunEvent) => void;
}

export interface StepRun {
  /** Status of the step, or `absent` when it never ended (a gate stopped the run before it). */
  status: StepStatus | 'absent';
  result: StepResult | undefined;
  summary: RunSummary;
  /** The step's registered output. */
  output: unknown;
  findings: Finding[];
  logs: string[];
  events: RunEvent[];
  /** API calls made during the run, by kind (reads, writes, watches, discovery). */
  calls: CallStats;
  /** Folder of the runbook file (templates resolve against it). */
  dir: string;
  /** The error message, for failed steps. */
  error: string | undefined;
}

export const STEP_ID = 'main/step';

/** Runs one step of `type` with `input` as the only step of a runbook. */
export function runStep(type: string, input: unknown, options: RunStepOptions = {}): Promise<StepRun> {
  const node = { name: 'step', register: 'out', ...options.common, [type]: input };
  return runSteps(stringify([node]), options);
}

/** Writes a runbook with the steps (YAML list text) as section `main`, and loads it. */
export async function loadSteps(stepsYaml: string, options: Pick<RunStepOptions, 'vars' | 'files'> = {}): Promise<{ plan: Plan; vars: ResolvedVars; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'runbook-step-'));
  for (const [path, text] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  const file = join(dir, 'runbook.yaml');
  const doc = {
    apiVersion: 'runbook.dev/v1',
    kind: 'Runbook',
    metadata: { name: 'step-test' },
    ...(options.vars && Object.keys(options.vars).length ? { vars: declareVars(options.vars) } : {}),
    sections: [{ name: 'main', steps: parse(stepsYaml) as unknown }],
  };
  await writeFile(file, stringify(doc));
  return { ...(await loadPlan(file, options.vars ?? {})), dir };
}

/** Runs the steps (YAML list text) of section `main`; the result is that of step `main/step`. */
export async function runSteps(stepsYaml: string, options: RunStepOptions = {}): Promise<StepRun> {
  const { plan, vars, dir } = await loadSteps(stepsYaml, options);

  const base = options.kube ?? adminKube();
  const dryRun = options.dryRun ?? 'none';
  const kube = dryRun === 'none' ? base : base.withDryRun(dryRun);
  const store = new StateStore(join(dir, 'state'), new Redactor(vars.secrets), false);
  const state = newState(plan);
  const runDir = await store.prepare(state.runId);
  const events: RunEvent[] = [];
  const before = base.stats;
  const summary = await new Executor({
    plan,
    registry: builtinRegistry(),
    vars,
    state,
    ...(dryRun === 'none' ? { store } : {}),
    runDir,
    dryRun,
    services: { kube },
    signal: options.signal ?? new AbortController().signal,
    approvals: { all: false, ids: new Set(), ...options.approvals },
    selection: { only: [], skip: [] },
    redactor: new Redactor(vars.secrets),
    onEvent: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
  }).run();
  const after = base.stats;
  const ends = events.filter((e): e is Extract<RunEvent, { type: 'node:end' }> => e.type === 'node:end' && e.node.id === STEP_ID);
  const result = ends.at(-1)?.result;
  return {
    status: result?.status ?? 'absent',
    result,
    summary,
    output: state.registered.out,
    findings: state.findings,
    logs: events.filter((e): e is Extract<RunEvent, { type: 'step:log' }> => e.type === 'step:log').map((e) => e.message),
    events,
    calls: {
      reads: after.reads - before.reads,
      writes: after.writes - before.writes,
      watches: after.watches - before.watches,
      discovery: after.discovery - before.discovery,
      resends: after.resends - before.resends,
    },
    dir,
    error: result?.error?.message,
  };
}

async function loadPlan(file: string, given: Record<string, unknown>) {
  const loaded = await loadRunbook(file, { registry: builtinRegistry(), provided: given });
  if (!loaded.plan) throw new Error(`the test runbook does not load:\n${loaded.problems.map(formatProblem).join('\n')}`);
  const resolved = resolveVars(loaded.plan, given);
  if (!resolved.vars || resolved.problems.length) throw new Error(resolved.problems.map(formatProblem).join('\n'));
  return { plan: loaded.plan, vars: resolved.vars };
}

function declareVars(values: Record<string, unknown>): Record<string, { type: string }> {
  const typeOf = (v: unknown): string =>
    Array.isArray(v) ? 'list' : v !== null && typeof v === 'object' ? 'object' : typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string';
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { type: typeOf(v) }]));
}

function newState(plan: Plan): RunState {
  return newRunState({ runbook: plan, runId: 'step-test' });
}

/**
 * A StepContext for calling a step's check/apply directly, for the cases a run cannot stage
 * (something changing between check and apply).
 */
export function stepContext(kube: KubeClient, options: { dryRun?: DryRunMode; vars?: Record<string, unknown>; baseDir?: string } = {}): StepContext & { logs: string[] } {
  const vars = options.vars ?? {};
  const logs: string[] = [];
  const dryRun = options.dryRun ?? 'none';
  return {
    runId: 'direct',
    stepId: 'main/step',
    stepName: 'step',
    vars,
    dryRun,
    signal: new AbortController().signal,
    runDir: tmpdir(),
    baseDir: options.baseDir ?? tmpdir(),
    log: (m) => logs.push(m),
    evaluate: (expression, extra) => evaluate(expression, { ...vars, ...extra }),
    render: (template, extra) => renderText(template, { ...vars, ...extra }),
    redact: (text) => text,
    services: { kube: dryRun === 'none' ? kube : kube.withDryRun(dryRun) },
    logs,
  };
}

/** Resolves at the step's first log line: for a wait, the first state has been listed and judged. */
export function firstLog(): { onEvent: (e: RunEvent) => void; logged: Promise<string> } {
  let resolve: (message: string) => void = () => {};
  const logged = new Promise<string>((r) => (resolve = r));
  return { onEvent: (e) => e.type === 'step:log' && resolve(e.message), logged };
}
