// `--state kubernetes[:NAMESPACE]`: the run's checkpoint kept in the target cluster, so a run
// started on a laptop (or in a Job whose pod died) is resumed, and shown, from any machine with
// access to the cluster. Anchor: Terraform's kubernetes backend (state in a Secret, lock in a Lease).
//
// The engine still writes its journal to a local folder (a cache per cluster and namespace); this
// module mirrors it: before a command, every run recorded in the cluster is pulled into the cache
// (the newer copy wins); while a run lasts, its state is pushed whenever it changed and once more
// at the end. A change checkpointed locally but not yet pushed when the machine dies is run again
// from its check on resume, which finds its effect and writes nothing. The state is redacted as in
// file state before it is written (the journal redacts), and it is stored in Secrets.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../contract/errors.js';
import { readRunState, SNAPSHOT } from '../engine/state-journal.js';
import type { RunState } from '../engine/state.js';
import type { KubeClient } from '../kube/client.js';
import { acquireLease, holderIdentity, liveLeaseHolder, type HeldLease } from '../kube/lease-lock.js';
import { BlobDamaged, listBlobs, readBlob, writeBlob } from '../kube/secret-blob.js';
import { packageRoot } from '../package-root.js';

export type StateBackend = { kind: 'file' } | { kind: 'kubernetes'; namespace?: string };

export function parseStateFlag(value: string | undefined): StateBackend {
  if (value === undefined || value === 'file') return { kind: 'file' };
  const m = /^kubernetes(?::([a-z0-9]([-a-z0-9]*[a-z0-9])?))?$/.exec(value);
  if (!m) throw new InputError([{ message: `--state ${value}: unknown state backend`, hint: 'file (the default: --state-dir), or kubernetes[:NAMESPACE] to keep the state in the cluster' }]);
  return { kind: 'kubernetes', ...(m[1] ? { namespace: m[1] } : {}) };
}

const RUN_LABELS = { 'app.kubernetes.io/managed-by': 'runbook', 'runbook.dev/state': 'run' };

/** DNS-1123 label value of a runbook name. */
const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '').slice(0, 63) || 'runbook';
const short = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

export class ClusterState {
  private constructor(
    readonly kube: KubeClient,
    readonly namespace: string,
    /** The local folder the engine's journal writes into: a cache of the cluster's copy. */
    readonly localRoot: string,
  ) {}

  static async open(kube: KubeClient, server: string, namespace?: string): Promise<ClusterState> {
    const ns = namespace ?? kube.defaultNamespace;
    if (!(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => ({}) as never))) {
      throw new InputError([{ message: `--state kubernetes:${ns}: namespace ${ns} does not exist`, hint: `create it (oc create namespace ${ns}) or name another: --state kubernetes:NAMESPACE` }]);
    }
    const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
    const root = join(cache, 'runbook', 'cluster-state', `${short(`${server}\n${ns}`)}-${ns}`);
    await mkdir(root, { recursive: true, mode: 0o700 });
    return new ClusterState(kube, ns, root);
  }

  /** Brings every run recorded in the cluster into the cache, where the cluster's copy is newer. Returns notes for the user. */
  async pullAll(): Promise<string[]> {
    const notes: string[] = [];
    for (const first of await listBlobs(this.kube, this.namespace, RUN_LABELS)) {
      let state: RunState;
      try {
        state = JSON.parse((await readBlob(this.kube, first)).toString('utf8')) as RunState;
      } catch (err) {
        // Named, never replaced: the next push of that run would overwrite it, so say it now.
        notes.push(`the state of run ${first.metadata.annotations?.['runbook.dev/run-id'] ?? first.metadata.name} in the cluster is damaged and was not read: ${err instanceof BlobDamaged ? err.message : (err as Error).message}`);
        continue;
      }
      const dir = join(this.localRoot, 'runs', state.runId);
      const local = existsSync(join(dir, SNAPSHOT)) ? await readRunState(dir).catch(() => undefined) : undefined;
      if (local && local.updatedAt >= state.updatedAt) continue;
      state.runbook.file = localRunbook(state.runbook.file);
      // A fresh snapshot with no log: what the journal reads as this state.
      await mkdir(dir, { recursive: true, mode: 0o700 });
      for (const f of await readdir(dir)) if (f.startsWith('state.')) await writeFile(join(dir, f), '');
      await writeFile(join(dir, SNAPSHOT), JSON.stringify(state), { mode: 0o600 });
    }
    return notes;
  }

  /** Writes the run's state as the cache holds it into the cluster. */
  async push(runId: string): Promise<void> {
    const state = await readRunState(join(this.localRoot, 'runs', runId));
    if (!state) return;
    await writeBlob(
      this.kube,
      {
        namespace: this.namespace,
        name: `runbook-run-${short(runId)}`,
        labels: { ...RUN_LABELS, 'runbook.dev/runbook': slug(state.runbook.name) },
        annotations: { 'runbook.dev/run-id': runId, 'runbook.dev/status': state.status, 'runbook.dev/updated-at': state.updatedAt },
      },
      Buffer.from(JSON.stringify(state)),
    );
  }

  /** Pushes the run whenever its state changed (every `intervalMs`), and once more on stop. */
  follow(runId: string, intervalMs = 2000): { stop(): Promise<void> } {
    let last = '';
    let busy: Promise<void> = Promise.resolve();
    const tick = (): Promise<void> =>
      (busy = busy.then(async () => {
        const state = await readRunState(join(this.localRoot, 'runs', runId)).catch(() => undefined);
        if (!state || state.updatedAt === last) return;
        await this.push(runId);
        last = state.updatedAt;
      }).catch((err: unknown) => void process.stderr.write(`note: the run state could not be written to the cluster yet (${(err as Error).message}); trying again\n`)));
    const timer = setInterval(() => void tick(), intervalMs);
    timer.unref();
    return {
      async stop() {
        clearInterval(timer);
        await tick();
      },
    };
  }

  /** One run of a runbook per cluster at a time, held in a Lease in the state's namespace. */
  lease(runbookName: string, runId: string): Promise<HeldLease> {
    return acquireLease(this.kube, { namespace: this.namespace, name: leaseName(runbookName), holder: holderIdentity(runId), what: `runbook ${runbookName}`, durationSeconds: leaseSeconds() });
  }

  /** Whether a live executor holds this run, anywhere: the holder of its runbook's Lease, naming the run. */
  async liveHolder(state: RunState): Promise<string | undefined> {
    const holder = await liveLeaseHolder(this.kube, this.namespace, leaseName(state.runbook.name));
    return holder?.startsWith(`run ${state.runId} `) ? holder : undefined;
  }
}

const leaseName = (runbookName: string): string => `runbook-lock-${slug(runbookName)}`.slice(0, 63);

function leaseSeconds(): number {
  const v = Number(process.env.RUNBOOK_LEASE_SECONDS);
  return Number.isInteger(v) && v >= 5 ? v : 60;
}

/**
 * A run recorded on another machine names its runbook by that machine's path. Here the same file
 * is looked for under the shipped runbooks and the working folder, by its path from `runbooks/`.
 */
function localRunbook(file: string): string {
  if (existsSync(file)) return file;
  const i = file.lastIndexOf('/runbooks/');
  if (i < 0) return file;
  const tail = file.slice(i + 1);
  for (const base of [process.cwd(), packageRoot()]) if (existsSync(join(base, tail))) return join(base, tail);
  return file;
}
