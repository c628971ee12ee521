// The checkpointed state of a run, written after every step transition so a SIGKILL at any
// instant leaves a readable record to resume from: a snapshot plus a log of changes, each written
// so that a kill cannot tear it (see state-journal.ts). Secret values are replaced before anything
// reaches the disk; files are private to their owner.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunStatus, StepResult } from './events.js';
import type { Finding } from '../contract/findings.js';
import type { Redactor } from '../contract/redact.js';
import { StateDamaged } from '../contract/errors.js';
import { RunJournal, SNAPSHOT, readIntact, readRunState, removeTemporaries, setAsideDamaged } from './state-journal.js';
import { readAndSummarize, readTrustedSummary, writeRunSummary, type RunSummary } from './run-summary.js';

export const STATE_VERSION = 1;

export interface StepState extends Partial<StepResult> {
  /** `running` while an attempt is under way: a resume re-enters it at its check. */
  state: 'running' | 'done' | 'waiting';
  startedAt?: string;
  endedAt?: string;
  /** forEach: the keys of items already finished. */
  itemsDone?: string[];
}

export interface RunState {
  version: number;
  runId: string;
  runbook: { name: string; file: string; digest: string };
  /** Digest of every step at the time of the run, to list what changed before a resume. */
  stepDigests: Record<string, string>;
  status: RunStatus;
  dryRun: 'none' | 'client' | 'server';
  startedAt: string;
  updatedAt: string;
  /** Root vars as given, secrets replaced by a marker. */
  vars: Record<string, unknown>;
  /** Options that shape the run and must hold on resume. */
  options: { only: string[]; skip: string[]; from?: string; context?: string; namespace?: string };
  steps: Record<string, StepState>;
  registered: Record<string, unknown>;
  findings: Finding[];
  /** Ids of manual gates passed, so a resume does not ask again. */
  approved: string[];
  message?: string;
  /** Number of the last change written to disk (see state-journal.ts). */
  seq?: number;
}

function checkVersion(state: RunState, file: string): void {
  if (state.version === STATE_VERSION) return;
  throw new StateDamaged(`${file}: state format ${String(state.version)} is not supported (this runbook reads format ${STATE_VERSION})`, {
    hint: 'resume it with the runbook version that started it, or start a fresh run',
    data: { runId: state.runId, file },
  });
}

export interface NewRunState {
  runbook: { name: string; file: string; digest: string };
  runId: string;
  /** Default: none. */
  dryRun?: RunState['dryRun'];
  /** Root vars as given, secrets already replaced by the marker. Default: none. */
  vars?: Record<string, unknown>;
  /** Default: nothing selected or skipped. */
  options?: RunState['options'];
  now?: Date;
}

/** The state of a run that has not run a step yet: what `run`, `plan` and every harness start from. */
export function newRunState(init: NewRunState): RunState {
  const now = (init.now ?? new Date()).toISOString();
  const { name, file, digest } = init.runbook;
  return {
    version: STATE_VERSION,
    runId: init.runId,
    runbook: { name, file, digest },
    stepDigests: {},
    status: 'running',
    dryRun: init.dryRun ?? 'none',
    startedAt: now,
    updatedAt: now,
    vars: init.vars ?? {},
    options: init.options ?? { only: [], skip: [] },
    steps: {},
    registered: {},
    findings: [],
    approved: [],
  };
}

export function newRunId(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${name}-${stamp}-${randomBytes(2).toString('hex')}`;
}

export class StateStore {
  private readonly journals = new Map<string, RunJournal>();

  constructor(
    readonly root: string,
    private readonly redactor: Redactor,
    private readonly fsync = true,
  ) {}

  runDir(runId: string): string {
    return join(this.root, 'runs', runId);
  }

  /** The snapshot; the run's state is the snapshot plus state.log (read it with load). */
  statePath(runId: string): string {
    return join(this.runDir(runId), SNAPSHOT);
  }

  async prepare(runId: string): Promise<string> {
    const dir = this.runDir(runId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await removeTemporaries(dir, await readdir(dir));
    return dir;
  }

  /**
   * Records the state; calls for one run must not overlap (the executor serialises them). Every
   * save survives the process being killed; with fsync on, a durable save (the default) also
   * survives a machine crash, and takes the saves before it along.
   */
  async save(state: RunState, options: { durable?: boolean } = {}): Promise<void> {
    state.updatedAt = new Date().toISOString();
    let journal = this.journals.get(state.runId);
    if (!journal) {
      journal = new RunJournal(this.runDir(state.runId), this.redactor, this.fsync);
      this.journals.set(state.runId, journal);
    }
    const durable = options.durable ?? true;
    await journal.write(state, durable);
    // A run that stopped (succeeded, failed, blocked, waiting for approval) is summed up for the
    // runs after it (run-summary.ts).
    if (durable && state.status !== 'running') await writeRunSummary(this.runDir(state.runId), state);
  }

  /** Lets go of open files; a later save starts from a fresh snapshot. */
  async close(): Promise<void> {
    const journals = [...this.journals.values()];
    this.journals.clear();
    await Promise.all(journals.map((j) => j.close()));
  }

  /** The run's state; a damaged or unknown state throws StateDamaged naming the file. */
  async load(runId: string): Promise<RunState | undefined> {
    const state = await readRunState(this.runDir(runId));
    if (state) checkVersion(state, this.statePath(runId));
    return state;
  }

  /** Every run recorded here, newest first; damaged ones are in `scan`. */
  async list(): Promise<RunState[]> {
    return (await this.scan()).runs;
  }

  /** Every run recorded here, newest first, and the runs whose state is damaged, each named. */
  async scan(): Promise<{ runs: RunState[]; damaged: StateDamaged[] }> {
    return this.scanWith((id) => this.load(id));
  }

  /**
   * scan, with each run as its summary: a run that stopped and was not touched since is not read
   * in full (run-summary.ts). What choosing a run to continue reads.
   */
  async scanSummaries(): Promise<{ runs: RunSummary[]; damaged: StateDamaged[] }> {
    return this.scanWith(async (id) => {
      const dir = this.runDir(id);
      return (await readTrustedSummary(dir)) ?? (await readAndSummarize(dir, () => this.load(id)));
    });
  }

  private async scanWith<T extends RunSummary>(read: (id: string) => Promise<T | undefined>): Promise<{ runs: T[]; damaged: StateDamaged[] }> {
    let ids: string[];
    try {
      ids = await readdir(join(this.root, 'runs'));
    } catch {
      return { runs: [], damaged: [] };
    }
    const runs: T[] = [];
    const damaged: StateDamaged[] = [];
    for (const id of ids) {
      try {
        const run = await read(id);
        if (run) runs.push(run);
      } catch (err) {
        if (!(err instanceof StateDamaged)) throw err;
        damaged.push(err);
      }
    }
    return { runs: runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt)), damaged };
  }

  /**
   * What a repair keeps of a damaged run: the snapshot and the changes before the damage (steps
   * recorded later are not proven done, so they run again from their check). The damaged files are
   * set aside, never deleted; undefined when not even the snapshot is readable.
   */
  async repair(runId: string): Promise<{ state?: RunState; setAside: string[]; damage?: StateDamaged }> {
    const dir = this.runDir(runId);
    const { state, damage } = await readIntact(dir);
    if (!damage && state) {
      checkVersion(state, this.statePath(runId));
      return { state, setAside: [] };
    }
    // A state of a format this version does not know is not repaired into one it does.
    if (state) checkVersion(state, this.statePath(runId));
    await this.close();
    const setAside = await setAsideDamaged(dir);
    // The kept state is written afresh as a new snapshot; steps recorded as under way are entered
    // again at their check, as on any resume.
    if (state) delete state.seq;
    return { ...(state ? { state } : {}), setAside, ...(damage ? { damage } : {}) };
  }

  /** The newest run of a runbook file that did not finish (failed, stopped, waiting). */
  async findUnfinished(file: string, runs?: readonly RunSummary[]): Promise<RunState | undefined> {
    const found = (runs ?? (await this.scanSummaries()).runs).find((s) => s.runbook.file === file && s.dryRun === 'none' && s.status !== 'succeeded');
    return found && this.load(found.runId);
  }
}
