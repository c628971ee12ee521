// Step performance on a real local control plane (started here): the 2.25 → 3.3 workbench
// migration (remove the oauth-proxy sidecar and its finalizer) over 1,000 and 5,000 Notebooks with
// `runbook run` — a query, then a forEach of guarded patches — timed with the CLI's peak memory;
// the same 1,000-object migration the guide's way (a bash loop of kubectl get | jq | kubectl patch
// per object); and how fast a wait step reacts to the status change it waits for. Prints figures
// beside the goals and never asserts them; exits non-zero when a migration leaves a notebook
// unmigrated (or had none to migrate), when a run or trial fails, or when nothing was run.
//
//   npm run bench:steps [-- --sizes 1000,5000 --bash 1000 --trials 30 --concurrency 16]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import '../src/cli/services.js'; // declares StepServices.kube
import type { RunEvent } from '../src/engine/events.js';
import { Executor } from '../src/engine/executor.js';
import { Redactor } from '../src/contract/redact.js';
import { newRunState, type RunState } from '../src/engine/state.js';
import { KubeClient } from '../src/kube/client.js';
import type { KubeObject } from '../src/kube/types.js';
import { loadRunbook } from '../src/runbook/loader.js';
import { resolveVars } from '../src/runbook/vars.js';
import { ensureControlPlaneBinaries } from '../src/sandbox/controlplane/build.js';
import { startControlPlane } from '../src/sandbox/controlplane/launcher.js';
import { installCrds } from '../src/sandbox/crds/index.js';
import { builtinRegistry } from '../src/steps/index.js';
import type { ControlPlane } from '../src/sandbox/controlplane/launcher.js';
import { Cases, builtCli, fail, runBench, wholeNumber } from './support/outcome.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,5000' },
    bash: { type: 'string', default: '1000' },
    trials: { type: 'string', default: '30' },
    concurrency: { type: 'string', default: '16' },
    cli: { type: 'string' },
  },
});
const NAMESPACES = 10;
const FINALIZER = 'notebook-oauth-client-finalizer.opendatahub.io';
const NOTEBOOK = { apiVersion: 'kubeflow.org/v1', kind: 'Notebook' } as const;

const GOALS = { speedup: 20, reactionMs: 50, peakMb: 250 };

// Set once the arguments are read and the control plane is up; the functions below use them.
let CLI: string;
let CONCURRENCY: number;
let work: string;
let binDir: string;
let cp: ControlPlane;
let kube: KubeClient;

await runBench('bench:steps', async () => {
  const SIZES = values.sizes.split(',').filter(Boolean).map((n) => wholeNumber('--sizes', n));
  if (SIZES.length === 0) fail('--sizes names no size: nothing to migrate');
  const BASH_SIZE = wholeNumber('--bash', values.bash, 0);
  const TRIALS = wholeNumber('--trials', values.trials);
  CONCURRENCY = wholeNumber('--concurrency', values.concurrency);
  CLI = builtCli(values.cli);

  work = await mkdtemp(join(tmpdir(), 'runbook-bench-steps-'));
  let version: string;
  ({ binDir, version } = await ensureControlPlaneBinaries({ onProgress: (m) => console.log(`[controlplane] ${m}`) }));
  let t = performance.now();
  cp = await startControlPlane({ binDir });
  const cases = new Cases('cases', 'done as expected');
  const results: string[] = [];
  try {
    await installCrds(cp.kubeconfigPath);
    console.log(`control plane ${version} ready with CRDs in ${ms(performance.now() - t)} (${cp.server}) [${load()}]`);
    kube = KubeClient.load({ kubeconfig: cp.kubeconfigPath, env: {} });

    const migrations = new Map<number, Migration>();
    for (const n of SIZES) {
      await cases.run(`runbook run, ${n} Notebooks`, async () => {
        const label = `runbook-${n}`;
        t = performance.now();
        await createNotebooks(label, n);
        console.log(`created ${n} Notebooks in ${NAMESPACES} namespaces in ${ms(performance.now() - t)}`);
        const run = await migrateWithRunbook(label, n);
        migrations.set(n, run);
        results.push(
          `runbook run, ${n} Notebooks (forEach, concurrency ${CONCURRENCY}): ${ms(run.ms)} for the whole command (${Math.round(n / (run.ms / 1000))}/s; the run itself ${ms(run.runMs)}), peak RSS ${run.peakMb} MB; re-run with nothing to do: ${ms(run.rerunMs)} [${load()}]`,
        );
        console.log(results.at(-1));
      });
    }

    let bashMs: number | undefined;
    if (BASH_SIZE > 0) {
      bashMs = await cases.run(`bash loop, ${BASH_SIZE} Notebooks`, async () => {
        const label = `bash-${BASH_SIZE}`;
        await createNotebooks(label, BASH_SIZE);
        const jq = ensureJq();
        const elapsed = await migrateWithBash(label, BASH_SIZE, jq);
        results.push(`bash loop (kubectl get | jq | kubectl patch), ${BASH_SIZE} Notebooks: ${ms(elapsed)} (${(BASH_SIZE / (elapsed / 1000)).toFixed(1)}/s) [${load()}]`);
        console.log(results.at(-1));
        return elapsed;
      });
    }

    const reaction = await cases.run(`wait reaction, ${TRIALS} trials`, async () => {
      const r = await waitReaction(TRIALS);
      results.push(
        `wait reaction after a status change (${TRIALS} trials): median ${r.median.toFixed(1)} ms, p90 ${r.p90.toFixed(1)} ms (the status write itself: median ${r.writeMedian.toFixed(1)} ms) [${load()}]`,
      );
      console.log(results.at(-1));
      return r;
    });

    console.log('\nGoals');
    const same = migrations.get(BASH_SIZE);
    if (same && bashMs !== undefined) {
      const speedup = bashMs / same.ms;
      console.log(goal(`runbook vs bash loop at ${BASH_SIZE}: ${speedup.toFixed(1)}× faster (whole command; ${(bashMs / same.runMs).toFixed(1)}× for the run itself)`, speedup >= GOALS.speedup, `≥ ${GOALS.speedup}×`));
    }
    if (reaction) console.log(goal(`wait reaction median ${reaction.median.toFixed(1)} ms`, reaction.median < GOALS.reactionMs, `< ${GOALS.reactionMs} ms`));
    const largest = Math.max(...SIZES);
    const big = migrations.get(largest);
    if (big) console.log(goal(`peak memory at ${largest}: ${big.peakMb} MB`, big.peakMb < GOALS.peakMb, `< ${GOALS.peakMb} MB`));
  } finally {
    await cp.stop();
    await rm(work, { recursive: true, force: true });
  }
  cases.tally('steps bench');
});

interface Migration {
  /** The whole `runbook run` command, process start to exit. */
  ms: number;
  /** The run itself, as its summary reports it (without start-up, validation and the report). */
  runMs: number;
  peakMb: number;
  rerunMs: number;
}

/** Other work on the machine skews every figure: print the load beside them. */
function load(): string {
  return `load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`;
}

function goal(text: string, met: boolean, target: string): string {
  return `  ${met ? 'met ' : 'MISSED'}  ${text} (goal ${target})`;
}

/** 2.25-style workbenches: the notebook container, the oauth-proxy sidecar and its finalizer. */
async function createNotebooks(label: string, n: number): Promise<void> {
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `${label}-${i}`);
  for (const name of namespaces) await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await pool(n, 32, async (i) => {
    const name = `wb-${i}`;
    const notebook: KubeObject = {
      ...NOTEBOOK,
      metadata: { name, namespace: namespaces[i % NAMESPACES]!, labels: { bench: label }, finalizers: [FINALIZER] },
      spec: {
        template: {
          spec: {
            containers: [
              { name, image: 'quay.io/modh/odh-minimal-notebook:2025.1', resources: { limits: { cpu: '2', memory: '8Gi' } } },
              { name: 'oauth-proxy', image: 'registry.redhat.io/openshift4/ose-oauth-proxy:v4.14', args: ['--provider=openshift', `--upstream=http://localhost:8888`] },
            ],
          },
        },
      },
    };
    await kube.create(notebook);
  });
}

/** Notebooks of a label that still have the sidecar or the finalizer. */
async function unmigrated(label: string): Promise<number> {
  const list = await kube.list(NOTEBOOK, { allNamespaces: true, labelSelector: `bench=${label}` });
  return list.items.filter((o) => {
    const containers = (o.spec as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers;
    return containers.some((c) => c.name === 'oauth-proxy') || (o.metadata.finalizers ?? []).includes(FINALIZER);
  }).length;
}

/** The migration as a runbook, through the real CLI in its own process: wall time and peak RSS. */
async function migrateWithRunbook(label: string, n: number): Promise<Migration> {
  const dir = await mkdtemp(join(work, 'runbook-'));
  const file = join(dir, 'migrate.yaml');
  await writeFile(
    file,
    stringify({
      apiVersion: 'runbook.dev/v1',
      kind: 'Runbook',
      metadata: { name: `migrate-${label}` },
      sections: [
        {
          name: 'workbenches',
          steps: [
            {
              name: 'notebooks with the oauth sidecar',
              query: {
                ...NOTEBOOK,
                allNamespaces: true,
                labelSelector: `bench=${label}`,
                select: 'objects.filter(n, n.spec.template.spec.containers.exists(c, c.name == "oauth-proxy")).map(n, {"name": n.metadata.name, "namespace": n.metadata.namespace})',
              },
              register: 'sidecarNotebooks',
            },
            {
              name: 'migrate',
              forEach: { items: 'sidecarNotebooks', as: 'nb', concurrency: CONCURRENCY, key: 'nb.namespace + "/" + nb.name' },
              steps: [
                {
                  name: 'remove the sidecar and its finalizer',
                  patch: {
                    ...NOTEBOOK,
                    namespace: '{{ nb.namespace }}',
                    name: '{{ nb.name }}',
                    listEdits: [
                      { list: '/spec/template/spec/containers', match: { name: 'oauth-proxy' }, remove: true },
                      { list: '/metadata/finalizers', match: FINALIZER, remove: true },
                    ],
                  },
                  retries: 3,
                },
              ],
            },
          ],
        },
      ],
    }),
  );
  const before = await unmigrated(label);
  if (before !== n) throw new Error(`${before} of ${n} notebooks need the migration before it runs: it would measure nothing`);
  const first = await runCli(file, dir, ['--fresh']);
  const left = await unmigrated(label);
  if (left !== 0) throw new Error(`the runbook left ${left} of ${n} notebooks unmigrated (run status ${first.status})`);
  const again = await runCli(file, dir, ['--fresh']);
  return { ms: first.ms, runMs: first.runMs, peakMb: first.peakMb, rerunMs: again.ms };
}

/** Runs `runbook run` and follows its peak RSS (VmHWM) until it exits. */
async function runCli(file: string, stateDir: string, extra: string[]): Promise<{ ms: number; runMs: number; peakMb: number; status: string }> {
  const args = [CLI, 'run', file, '--kubeconfig', cp.kubeconfigPath, '--state-dir', join(stateDir, 'state'), '--yes', '-o', 'json', ...extra];
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let peakKb = 0;
  const sample = (): void => {
    try {
      const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // the process has just exited
    }
  };
  const sampler = setInterval(sample, 20);
  let lastLine = '';
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (d: Buffer) => {
    const lines = (pending + d.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.includes('"run:end"')) lastLine = line;
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number>((resolvePromise) => child.on('close', (c) => resolvePromise(c ?? 1)));
  clearInterval(sampler);
  const elapsed = performance.now() - started;
  const end = lastLine ? (JSON.parse(lastLine) as { summary?: { status?: string; durationMs?: number } }) : undefined;
  const status = end?.summary?.status ?? `exit ${code}`;
  if (code !== 0 || status !== 'succeeded') throw new Error(`runbook run ended ${status} (exit ${code}): ${stderr.slice(-2000)}`);
  return { ms: elapsed, runMs: end?.summary?.durationMs ?? elapsed, peakMb: Math.round(peakKb / 1024), status };
}

/** jq for the bash loop; installed with apt-get when missing (and said so). */
function ensureJq(): string {
  const found = spawnSync('sh', ['-c', 'command -v jq'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  console.log('jq is not installed: installing it with apt-get (the guide\'s loop needs it)');
  const install = spawnSync('sh', ['-c', 'apt-get install -y jq || (apt-get update && apt-get install -y jq)'], { stdio: 'inherit' });
  if (install.status !== 0) throw new Error('jq is missing and apt-get could not install it');
  return spawnSync('sh', ['-c', 'command -v jq'], { encoding: 'utf8' }).stdout.trim();
}

/** The guide's way: for each notebook, kubectl get -o json | jq (compute the patch) | kubectl patch. */
async function migrateWithBash(label: string, n: number, jq: string): Promise<number> {
  const before = await unmigrated(label);
  if (before !== n) throw new Error(`${before} of ${n} notebooks need the migration before the loop runs: it would measure nothing`);
  const script = `
set -euo pipefail
for ref in $(kubectl get notebooks -A -l bench=${label} -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}'); do
  ns=\${ref%%/*}; name=\${ref#*/}
  patch=$(kubectl get notebook "$name" -n "$ns" -o json | jq -c '
    [ (.spec.template.spec.containers | to_entries[] | select(.value.name == "oauth-proxy") | .key) as $i
      | {op: "test", path: "/spec/template/spec/containers/\\($i)/name", value: "oauth-proxy"},
        {op: "remove", path: "/spec/template/spec/containers/\\($i)"} ]
    + [ ((.metadata.finalizers // []) | to_entries[] | select(.value == "${FINALIZER}") | .key) as $i
      | {op: "remove", path: "/metadata/finalizers/\\($i)"} ]')
  kubectl patch notebook "$name" -n "$ns" --type=json -p "$patch" >/dev/null
done
`;
  const home = await mkdtemp(join(work, 'kubectl-home-'));
  const started = performance.now();
  const result = await new Promise<{ code: number; stderr: string }>((resolvePromise) => {
    const child = spawn('bash', ['-c', script], {
      env: { ...process.env, KUBECONFIG: cp.kubeconfigPath, HOME: home, PATH: `${binDir}:${resolve(jq, '..')}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolvePromise({ code: code ?? 1, stderr }));
  });
  const elapsed = performance.now() - started;
  if (result.code !== 0) throw new Error(`the bash loop failed: ${result.stderr.slice(-2000)}`);
  const left = await unmigrated(label);
  if (left !== 0) throw new Error(`the bash loop left ${left} of ${n} notebooks unmigrated`);
  return elapsed;
}

/**
 * How long a wait step takes to end after the status it waits for is written: a runbook with one
 * wait step runs in this process; once it watches, another client writes the Ready condition.
 */
async function waitReaction(trials: number): Promise<{ median: number; p90: number; writeMedian: number }> {
  const namespace = 'reaction';
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const writer = KubeClient.load({ kubeconfig: cp.kubeconfigPath, env: {} });
  const dir = await mkdtemp(join(work, 'wait-'));
  const registry = builtinRegistry();
  const reactions: number[] = [];
  const writes: number[] = [];
  for (let i = 0; i < trials; i++) {
    const name = `nb-${i}`;
    await kube.create({ ...NOTEBOOK, metadata: { name, namespace }, spec: { template: { spec: { containers: [{ name, image: 'x' }] } } } });
    const file = join(dir, `wait-${i}.yaml`);
    await writeFile(
      file,
      stringify({
        apiVersion: 'runbook.dev/v1',
        kind: 'Runbook',
        metadata: { name: 'wait' },
        sections: [{ name: 'main', steps: [{ name: 'ready', wait: { ...NOTEBOOK, name, namespace, for: { condition: { type: 'Ready' } }, timeout: '30s' } }] }],
      }),
    );
    const loaded = await loadRunbook(file, { registry });
    if (!loaded.plan) throw new Error(loaded.problems.map((p) => p.message).join('\n'));
    const vars = resolveVars(loaded.plan, {}).vars!;
    let judged: () => void = () => {};
    const firstVerdict = new Promise<void>((r) => (judged = r));
    let ended = 0;
    const watchesBefore = kube.stats.watches;
    const running = new Executor({
      plan: loaded.plan,
      registry,
      vars,
      state: newState(loaded.plan.name, loaded.plan.file, loaded.plan.digest),
      runDir: dir,
      dryRun: 'none',
      services: { kube },
      signal: new AbortController().signal,
      approvals: { all: false, ids: new Set() },
      selection: { only: [], skip: [] },
      redactor: new Redactor(),
      onEvent: (e: RunEvent) => {
        if (e.type === 'step:log') judged();
        if (e.type === 'node:end') ended = performance.now();
      },
    }).run();
    await firstVerdict;
    // The watch request is on its way once counted; give it time to be established.
    while (kube.stats.watches === watchesBefore) await sleep(1);
    await sleep(200);
    const sent = performance.now();
    await writer.patch({ ...NOTEBOOK, name, namespace }, 'merge', { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, { subresource: 'status' });
    writes.push(performance.now() - sent);
    const summary = await running;
    if (summary.status !== 'succeeded') throw new Error(`wait trial ${i} ended ${summary.status}`);
    reactions.push(ended - sent);
  }
  return { median: quantile(reactions, 0.5), p90: quantile(reactions, 0.9), writeMedian: quantile(writes, 0.5) };
}

function newState(name: string, file: string, digest: string): RunState {
  return newRunState({ runbook: { name, file, digest }, runId: 'bench' });
}

async function pool(n: number, width: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await job(next++);
    }),
  );
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}
