// Engine overhead: what the executor costs per step with steps that do nothing, with and without
// checkpoints (and their fsync), how long validating a large runbook takes, and how long
// `runbook --help` takes to answer. Prints figures beside the goals and never asserts them; exits
// non-zero when a run does not succeed, does not run every step, or nothing was run at all.
//
//   npm run bench:engine [-- --steps 1000 --runs 5]
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Executor } from '../src/engine/executor.js';
import { Redactor } from '../src/contract/redact.js';
import { StepRegistry } from '../src/contract/registry.js';
import { StateStore, newRunState, type RunState } from '../src/engine/state.js';
import type { StepType } from '../src/contract/step-type.js';
import { loadRunbook } from '../src/runbook/loader.js';
import type { Plan } from '../src/runbook/types.js';
import { resolveVars, type ResolvedVars } from '../src/runbook/vars.js';
import { builtCli, fail, runBench, tally, wholeNumber } from './support/outcome.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '5' },
    cli: { type: 'string' },
  },
});

const noop: StepType<{ n: number; label: string }> = {
  name: 'noop',
  summary: 'does nothing',
  input: { type: 'object', properties: { n: { type: 'integer' }, label: { type: 'string' } } },
  examples: [],
  dryRun: 'native',
  async check() {
    return { holds: false };
  },
  async apply(_ctx, input) {
    return { changed: input.n % 2 === 0, output: { n: input.n } };
  },
};
const registry = new StepRegistry([noop]);

/** A runbook of `steps` no-op steps in 10 sections, with a template in each input. */
function generate(steps: number): string {
  const lines = ['apiVersion: runbook.dev/v1', 'kind: Runbook', 'metadata:', '  name: bench', 'vars:', '  prefix: { default: step }', 'sections:'];
  const perSection = Math.ceil(steps / 10);
  for (let s = 0; s < 10; s++) {
    lines.push(`  - name: section-${s}`, '    steps:');
    for (let i = s * perSection; i < Math.min(steps, (s + 1) * perSection); i++) {
      lines.push(`      - name: step ${i}`, `        noop: { n: ${i}, label: "{{ prefix }}-${i}" }`);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function load(file: string): Promise<{ plan: Plan; vars: ResolvedVars }> {
  const loaded = await loadRunbook(file, { registry });
  if (!loaded.plan) throw new Error(loaded.problems.map((p) => p.message).join('\n'));
  const { vars } = resolveVars(loaded.plan, {});
  return { plan: loaded.plan, vars: vars! };
}

function newState(plan: Plan, runId: string): RunState {
  return newRunState({ runbook: plan, runId });
}

let STEPS = 0;
/** Engine runs made, and those that ran every step and succeeded. */
const runsMade = { tried: 0, passed: 0 };

/** Runs the plan once; returns total time and the time spent inside checkpoint writes. */
async function runOnce(plan: Plan, vars: ResolvedVars, dir: string, mode: 'none' | 'nosync' | 'fsync', i: number): Promise<{ total: number; saving: number; writes: number; synced: number }> {
  let saving = 0;
  let writes = 0;
  let synced = 0;
  let store: StateStore | undefined;
  if (mode !== 'none') {
    const real = new StateStore(dir, new Redactor(), mode === 'fsync');
    const save = real.save.bind(real);
    real.save = async (state, options) => {
      const t = performance.now();
      await save(state, options);
      saving += performance.now() - t;
      writes++;
      if (options?.durable !== false) synced++;
    };
    store = real;
  }
  const runId = `bench-${mode}-${i}`;
  const runDir = store ? await store.prepare(runId) : dir;
  const started = performance.now();
  let stepsEnded = 0;
  runsMade.tried++;
  const summary = await new Executor({
    plan,
    registry,
    vars,
    state: newState(plan, runId),
    store,
    runDir,
    dryRun: 'none',
    services: {},
    signal: new AbortController().signal,
    approvals: { all: true, ids: new Set() },
    selection: { only: [], skip: [] },
    redactor: new Redactor(),
    onEvent: (e) => {
      if (e.type === 'node:end' && e.node.kind === 'step') stepsEnded++;
    },
  }).run();
  await store?.close();
  if (summary.status !== 'succeeded') fail(`the ${mode} run ${i} ended ${summary.status}`);
  if (stepsEnded !== STEPS) fail(`the ${mode} run ${i} ran ${stepsEnded} of ${STEPS} steps`);
  runsMade.passed++;
  return { total: performance.now() - started, saving, writes, synced };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number): string => `${x.toFixed(x < 10 ? 3 : 1)} ms`;

await runBench('bench:engine', async () => {
  STEPS = wholeNumber('--steps', values.steps);
  const RUNS = wholeNumber('--runs', values.runs);
  const cli = builtCli(values.cli);
  const dir = await mkdtemp(join(tmpdir(), 'runbook-bench-'));
  try {
    const file = join(dir, 'bench.yaml');
    await writeFile(file, generate(STEPS));

    const busy = loadavg()[0]!;
    console.log(`engine overhead, ${STEPS} no-op steps, median of ${RUNS} runs (load average ${busy.toFixed(1)} on ${cpus().length} CPUs)`);
    const validation: number[] = [];
    let loaded: { plan: Plan; vars: ResolvedVars } | undefined;
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      loaded = await load(file);
      validation.push(performance.now() - t);
    }
    const { plan, vars } = loaded!;
    // Warm up the JIT and the template/CEL caches once, as a long run would.
    await runOnce(plan, vars, dir, 'none', -1);

    // "outside writes" is the run's time minus the time spent in the store's save; garbage
    // collection that happens while a write waits is not counted there, so the run without a store
    // is the figure held against the goal.
    const rows: [string, string, string, string, string][] = [['checkpoints', 'total', 'per step', 'outside writes', 'writes (durable)']];
    let engineOnly = 0;
    for (const mode of ['none', 'nosync', 'fsync'] as const) {
      const results = [];
      for (let i = 0; i < (mode === 'fsync' ? Math.min(RUNS, 3) : RUNS); i++) results.push(await runOnce(plan, vars, join(dir, mode), mode, i));
      const total = median(results.map((r) => r.total));
      const engine = median(results.map((r) => (r.total - r.saving) / STEPS));
      if (mode === 'none') engineOnly = total / STEPS;
      const label = { none: 'none (no store)', nosync: 'written, no fsync', fsync: 'written + fsync' }[mode];
      rows.push([label, ms(total), ms(total / STEPS), `${ms(engine)}/step`, `${results[0]!.writes} (${results[0]!.synced})`]);
    }
    for (const r of rows) console.log(`  ${r[0].padEnd(20)} ${r[1].padStart(12)} ${r[2].padStart(12)} ${r[3].padStart(16)} ${r[4].padStart(17)}`);
    console.log(`  engine time per step excluding checkpoint writes: ${ms(engineOnly)}   (goal < 2 ms)`);

    console.log(`\nvalidation of a ${STEPS}-step runbook (load, schema, templates, vars): median ${ms(median(validation))}`);

    const help: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < Math.max(5, RUNS); i++) {
      let t = performance.now();
      const r = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
      help.push(performance.now() - t);
      if (r.status !== 0 || !r.stdout.includes('Usage')) fail(`runbook --help exited ${r.status}: ${r.stderr}`);
      t = performance.now();
      spawnSync(process.execPath, ['-e', '0']);
      bare.push(performance.now() - t);
    }
    console.log(`runbook --help: median ${ms(median(help))} wall (goal < 300 ms); node -e 0 alone: ${ms(median(bare))}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  tally('engine bench', { unit: 'engine runs', tried: runsMade.tried, passed: runsMade.passed, promise: `succeeded with all ${STEPS} steps` });
});
