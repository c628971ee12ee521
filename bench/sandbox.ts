// How fast the sandbox is, with warm (already built) control-plane binaries:
//   1. `runbook sandbox up` until ready, per scenario, through the built CLI, with where the time goes;
//   2. loading `large` (thousands of objects) and the simulator's first pass over it;
//   3. the simulator's reaction time: from a spec change to the status that answers it.
// Prints figures, never asserts them; exits non-zero when a case fails (a sandbox that does not
// come up or go down, a load the simulator does not get through, a reaction never seen) or when
// nothing was run.
// Usage: npm run bench:sandbox [-- <reaction samples> [up,large,reaction]]   (default: 20, all three)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureControlPlaneBinaries } from '../src/sandbox/controlplane/build.js';
import type { KubeClient } from '../src/kube/client.js';
import type { KubeObject, ObjectRef } from '../src/kube/types.js';
import { startSandbox } from '../src/sandbox/sandbox.js';
import { applyScenario } from '../src/sandbox/scenario/apply.js';
import { generatedObjects } from '../src/sandbox/scenario/generate.js';
import { loadScenario } from '../src/sandbox/scenario/load.js';
import { Cases, builtCli, fail, runBench, wholeNumber } from './support/outcome.js';

const SECTIONS = ['up', 'large', 'reaction'];
let samples = 0;
let CLI = '';

await runBench('bench:sandbox', async () => {
  samples = wholeNumber('reaction samples', process.argv[2] ?? '20');
  const sections = new Set((process.argv[3] ?? SECTIONS.join(',')).split(',').filter(Boolean));
  const unknown = [...sections].filter((s) => !SECTIONS.includes(s));
  if (unknown.length) fail(`unknown section ${unknown.join(', ')} (sections: ${SECTIONS.join(', ')})`);
  if (sections.size === 0) fail(`no section named: nothing to run (sections: ${SECTIONS.join(', ')})`);
  CLI = builtCli();

  const { version } = await ensureControlPlaneBinaries({ onProgress: (m) => console.log(`[controlplane] ${m}`) });
  console.log(`control plane ${version}; ${samples} reaction samples\n`);

  const cases = new Cases('cases', 'done as expected');
  if (sections.has('up')) {
    console.log('1. runbook sandbox up → ready (the CLI, end to end)');
    for (const scenario of ['minimal', 'blocked', 'full', 'risky']) await cases.run(`sandbox up --scenario ${scenario}`, () => benchUp(scenario));
  }
  if (sections.has('large')) {
    console.log('\n2. the large scenario');
    await cases.run('the large scenario', benchLarge);
  }
  if (sections.has('reaction')) {
    console.log('\n3. simulator reaction time (instant speed, minimal scenario)');
    await cases.run('reaction time', benchReaction);
  }
  console.log('');
  cases.tally('sandbox bench');
});

/** `sandbox up` as a user runs it; phases from the moment each progress line arrives. */
async function benchUp(scenario: string): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'runbook-bench-sandbox-'));
  try {
    const t0 = performance.now();
    const marks: Record<string, number> = {};
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'sandbox', 'up', '--scenario', scenario, '--state-dir', stateDir], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr.setEncoding('utf8').on('data', (text: string) => {
        const now = performance.now() - t0;
        if (text.includes('control plane v') && marks.controlPlane === undefined) marks.controlPlane = now;
        if (text.includes('installed the OpenShift') && marks.crds === undefined) marks.crds = now;
        if (text.includes(' loaded: ') && marks.loaded === undefined) marks.loaded = now;
      });
      child.on('error', reject);
      child.on('close', resolve);
    });
    const total = performance.now() - t0;
    if (code !== 0) throw new Error(`sandbox up --scenario ${scenario} exited ${code}`);
    const t1 = performance.now();
    const downCode = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'sandbox', 'down', '--state-dir', stateDir], { stdio: 'ignore' });
      child.on('error', reject);
      child.on('close', resolve);
    });
    const down = performance.now() - t1;
    if (downCode !== 0) throw new Error(`sandbox down after --scenario ${scenario} exited ${downCode}`);
    const { controlPlane = 0, crds = controlPlane, loaded = crds } = marks;
    console.log(
      `  ${scenario.padEnd(8)} ready in ${ms(total)}: control plane ${ms(controlPlane)}, CRDs ${ms(crds - controlPlane)}, ` +
        `scenario + first simulation ${ms(loaded - crds)}, rest ${ms(total - loaded)}; down ${ms(down)}`,
    );
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Starts on minimal, then loads large over it, so the load is timed apart from the start. */
async function benchLarge(): Promise<void> {
  const sandbox = await startSandbox({ scenario: 'minimal', speed: 0 });
  try {
    const large = await loadScenario('large');
    const count = large.objects.length + generatedObjects(large).length;
    const t0 = performance.now();
    await applyScenario(sandbox.kube, large);
    const applied = performance.now() - t0;
    await sandbox.simulator.settled();
    const settled = performance.now() - t0;
    const notebooks = await sandbox.kube.list({ apiVersion: 'kubeflow.org/v1', kind: 'Notebook' }, { allNamespaces: true });
    const withStatus = notebooks.items.filter((n) => n.status !== undefined).length;
    console.log(`  ${count} objects created in ${ms(applied)} (${Math.round((count / applied) * 1000)}/s); simulator through all of them at ${ms(settled)}`);
    console.log(`  ${withStatus} of ${notebooks.items.length} notebooks have a status`);
    if (count === 0 || notebooks.items.length === 0) throw new Error(`the large scenario loaded ${count} objects and ${notebooks.items.length} notebooks: nothing was measured`);
    if (withStatus < notebooks.items.length) throw new Error(`the simulator settled with ${notebooks.items.length - withStatus} notebooks without a status`);
    await reactions(sandbox.kube, 'with large loaded');
  } finally {
    await sandbox.stop();
  }
}

async function benchReaction(): Promise<void> {
  const sandbox = await startSandbox({ scenario: 'minimal', speed: 0 });
  try {
    await reactions(sandbox.kube, 'minimal');
  } finally {
    await sandbox.stop();
  }
}

/** Time from a write to the first status answering it, seen through a watch as a client would. */
async function reactions(kube: KubeClient, label: string): Promise<void> {
  const dsc: ObjectRef = { apiVersion: 'datasciencecluster.opendatahub.io/v1', kind: 'DataScienceCluster', name: 'default-dsc' };
  const dscMs: number[] = [];
  for (let i = 0; i < samples; i++) {
    const state = i % 2 === 0 ? 'Managed' : 'Removed';
    dscMs.push(
      await reaction(kube, dsc, () => kube.patch(dsc, 'merge', { spec: { components: { trainingoperator: { managementState: state } } } }), (o, written) => {
        const status = o.status as { observedGeneration?: number } | undefined;
        return status?.observedGeneration === written.metadata.generation;
      }),
    );
  }
  const nb: ObjectRef = { apiVersion: 'kubeflow.org/v1', kind: 'Notebook', name: 'bench-wb', namespace: 'rhods-notebooks' };
  await kube.create({ ...nb, metadata: { name: nb.name, namespace: nb.namespace }, spec: { template: { spec: { containers: [{ name: 'bench-wb', image: 'example/nb:1' }] } } } }).catch(() => undefined);
  const nbMs: number[] = [];
  for (let i = 0; i < samples; i++) {
    const stop = i % 2 === 0;
    nbMs.push(
      await reaction(kube, nb, () => kube.patch(nb, 'merge', { metadata: { annotations: { 'kubeflow-resource-stopped': stop ? '2026-01-01T00:00:00Z' : null } } }), (o) => {
        const ready = ((o.status as { conditions?: { type: string; reason?: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Ready');
        return (ready?.reason === 'Stopped') === stop && ready !== undefined;
      }),
    );
  }
  console.log(`  ${label}: DSC spec → status ${stats(dscMs)}; Notebook stop/start → Ready condition ${stats(nbMs)}`);
}

async function reaction(kube: KubeClient, ref: ObjectRef, write: () => Promise<KubeObject>, answered: (o: KubeObject, written: KubeObject) => boolean): Promise<number> {
  const controller = new AbortController();
  const current = await kube.get(ref);
  // From the resourceVersion read before the write: no event can be missed, and the watch is
  // opened (first next()) before the clock starts.
  const events = kube.watch(ref, { ...(ref.namespace ? { namespace: ref.namespace } : {}), fieldSelector: `metadata.name=${ref.name}`, resourceVersion: current?.metadata.resourceVersion, allowBookmarks: false, signal: controller.signal });
  let next = events.next();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const t0 = performance.now();
  const written = await write();
  try {
    for (;;) {
      const { value, done } = await next;
      if (done) throw new Error(`the watch of ${ref.kind} ${ref.name} ended before the answer`);
      if (value.type !== 'BOOKMARK' && answered(value.object, written)) return performance.now() - t0;
      next = events.next();
    }
  } finally {
    controller.abort();
    await events.return(undefined).catch(() => undefined);
  }
}

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `median ${ms(at(0.5))}, p90 ${ms(at(0.9))}, max ${ms(sorted[sorted.length - 1]!)}`;
}

function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}
