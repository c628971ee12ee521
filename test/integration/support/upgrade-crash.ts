// Kill-and-resume of the whole upgrade: run the real CLI against a fresh `full` sandbox, SIGKILL it
// right after its Nth change is checkpointed, resume until it finishes, and tell what happened.
// Used by the CI test (a seeded sample of kill points) and bench/upgrade-crash-matrix.ts (all, or a
// seeded sample). No vitest here: the matrix script imports it too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient } from '../../../src/kube/client.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { startSandbox } from '../../../src/sandbox/sandbox.js';
import { mulberry32 } from '../../fixtures/engine/crash.js';
import { failureOf, runCli, type CliRun } from './cli-run.js';

/** The upgrade runbook, relative to the package root (the CLI runs there). */
export const UPGRADE_RUNBOOK = 'runbooks/upgrade-2.25-to-3.3.yaml';

/** The seed of the sample CI runs (upgrade-crash.test.ts); CRASH_SEED draws another. */
export const CRASH_SEED = Number(process.env.CRASH_SEED ?? 20261122);

export interface CrashOutcome {
  /**
   * The change after which the first invocation was really killed: SIGKILL sent there and the
   * process ended by it (undefined: never killed, or it exited before the signal landed).
   */
  killedAfter: number | undefined;
  invocations: number;
  finalCode: number | null;
  /** Steps whose apply ran again in a later invocation after it had completed. */
  reapplied: string[];
  /** Changes made by the first invocation, before the kill (or in all, if not killed). */
  changesBeforeKill: number;
  endState: Record<string, string>;
  /** Why the last invocation did not succeed: its failed steps' errors, or its last stderr lines. */
  failure?: string;
}

const ARGS = (kubeconfig: string, stateDir: string): string[] => [
  '--kubeconfig', kubeconfig,
  '--vars-file', 'runbooks/upgrade-2.25-to-3.3.sandbox-vars.yaml',
  '--var', `backupDir=${stateDir}/backup`,
  '--state-dir', stateDir, '--yes', '-o', 'json',
];

export async function upgradeWithCrash(killAfter: number | undefined, runbook = UPGRADE_RUNBOOK): Promise<CrashOutcome> {
  const stateDir = mkdtempSync(join(tmpdir(), 'runbook-upgrade-crash-'));
  const sandbox = await startSandbox({ scenario: 'full', speed: 0 });
  try {
    const args = ARGS(sandbox.controlPlane.kubeconfigPath, stateDir);
    const runs: CliRun[] = [];
    let changes = 0;
    let killed = false;
    runs.push(
      await runCli(['run', runbook, ...args], {
        onEvent: (e, kill) => {
          if (killAfter === undefined || killed || !isChange(e)) return;
          if (++changes === killAfter) {
            // node:end is emitted after the checkpoint is on disk: this is a step boundary.
            killed = true;
            kill('SIGKILL');
          }
        },
      }),
    );
    // Resumed only after a kill: an uninterrupted run is judged as it ends.
    if (killAfter !== undefined) for (let i = 0; i < 6 && runs.at(-1)!.code !== 0; i++) runs.push(await runCli(['resume', ...args]));

    const completed = new Set<string>();
    const reapplied: string[] = [];
    for (const run of runs) {
      for (const e of run.events) {
        if (!isChange(e)) continue;
        const id = (e.node as { id: string }).id;
        if (completed.has(id)) reapplied.push(id);
        completed.add(id);
      }
    }
    return {
      killedAfter: killed && runs[0]!.signal === 'SIGKILL' ? killAfter : undefined,
      invocations: runs.length,
      finalCode: runs.at(-1)!.code,
      reapplied,
      changesBeforeKill: runs[0]!.events.filter(isChange).length,
      // A cluster left half-way may not answer every question: that is said, not thrown, so the
      // run's own failure is what gets reported.
      endState: await endStateOf(sandbox.kube).catch((error: unknown) => ({ unreadable: error instanceof Error ? error.message : String(error) })),
      ...(runs.at(-1)!.code === 0 ? {} : { failure: failureOf(runs.at(-1)!) }),
    };
  } finally {
    await sandbox.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/**
 * Why an uninterrupted run cannot serve as the baseline kill points are judged against, if it
 * cannot: it must succeed in one invocation and change something.
 */
export function baselineProblem(o: CrashOutcome): string | undefined {
  if (o.invocations !== 1 || o.finalCode !== 0) {
    return `the uninterrupted run exited ${o.finalCode} after ${o.invocations} invocation${o.invocations === 1 ? '' : 's'} (expected exit 0 in one)${o.failure ? `: ${o.failure}` : ''}`;
  }
  if (o.changesBeforeKill === 0) return 'the uninterrupted run changed nothing: there is no kill point to try';
  return undefined;
}

/**
 * A seeded sample of n kill points among changes 1..total, one in each of n equal stretches of the
 * run, so a sample covers its start, middle and end; all of them when n ≥ total.
 */
export function sampleKillPoints(total: number, n: number, seed: number): number[] {
  if (n >= total) return Array.from({ length: total }, (_, i) => i + 1);
  const rand = mulberry32(seed);
  const points: number[] = [];
  for (let i = 0; i < n; i++) {
    const lo = Math.floor((i * total) / n) + 1;
    const hi = Math.floor(((i + 1) * total) / n);
    points.push(lo + Math.floor(rand() * (hi - lo + 1)));
  }
  return points;
}

/** The keys whose values differ between two end states, each with both values. */
export function endStateDiff(expected: Record<string, string>, actual: Record<string, string>): string[] {
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return keys.filter((k) => expected[k] !== actual[k]).map((k) => `${k}: ${expected[k] ?? '(absent)'} → ${actual[k] ?? '(absent)'}`);
}

/** A step that really changed something in this invocation (not one resumed from a checkpoint). */
function isChange(e: Record<string, unknown>): boolean {
  if (e.type !== 'node:end') return false;
  const node = e.node as { kind: string };
  const result = e.result as { status: string; resumed?: boolean };
  return node.kind === 'step' && result.status === 'changed' && !result.resumed;
}

/** The facts an upgraded cluster is judged by, as one comparable record. */
export async function endStateOf(kube: KubeClient): Promise<Record<string, string>> {
  const list = async (apiVersion: string, kind: string, namespace?: string): Promise<KubeObject[]> =>
    (await kube.list({ apiVersion, kind, ...(namespace ? { namespace } : {}) }, namespace ? {} : { allNamespaces: true })).items;
  const name = (o: KubeObject): string => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!);
  const cond = (o: KubeObject, type: string): string =>
    ((o.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === type)?.status ?? '-';
  const out: Record<string, string> = {};
  for (const c of await list('operators.coreos.com/v1alpha1', 'ClusterServiceVersion')) out[`csv ${name(c)}`] = String((c.status as { phase?: string })?.phase);
  for (const s of await list('operators.coreos.com/v1alpha1', 'Subscription')) out[`subscription ${name(s)}`] = String((s.spec as { channel?: string }).channel);
  const dsc = (await list('datasciencecluster.opendatahub.io/v2', 'DataScienceCluster'))[0]!;
  const dscStatus = dsc.status as { phase?: string; release?: { version?: string } };
  out.dsc = `${dscStatus.phase} ${dscStatus.release?.version}`;
  out.kueue = String((dsc.spec as { components: { kueue?: { managementState?: string } } }).components.kueue?.managementState);
  for (const i of await list('serving.kserve.io/v1beta1', 'InferenceService')) {
    out[`isvc ${name(i)}`] = `${i.metadata.annotations?.['serving.kserve.io/deploymentMode']} ${cond(i, 'Ready')}`;
  }
  for (const n of await list('kubeflow.org/v1', 'Notebook')) {
    const containers = (n.spec as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers.map((c) => c.name);
    out[`notebook ${name(n)}`] = `auth=${n.metadata.annotations?.['notebooks.opendatahub.io/inject-auth']} oauth-proxy=${containers.includes('oauth-proxy')} stopped=${n.metadata.annotations?.['kubeflow-resource-stopped'] !== undefined} ready=${cond(n, 'Ready')}`;
  }
  for (const r of await list('ray.io/v1', 'RayCluster')) out[`ray ${name(r)}`] = String((r.status as { state?: string })?.state);
  for (const l of await list('llamastack.io/v1alpha1', 'LlamaStackDistribution')) out[`llama ${name(l)}`] = String((l.status as { phase?: string })?.phase);
  return out;
}
