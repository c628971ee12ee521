// The checkpointed state of a run: written atomically (temp file, fsync, rename) after every step
// transition, so a SIGKILL at any instant leaves a readable record to resume from. Secret values
// are replaced before anything reaches the disk; files are private to their owner.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { RunStatus, StepResult } from './events.js';
import type { Finding } from './findings.js';
import type { Redactor } from './redact.js';

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
}

export function newRunId(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${name}-${stamp}-${randomBytes(2).toString('hex')}`;
}

export class StateStore {
  constructor(
    readonly root: string,
    private readonly redactor: Redactor,
    private readonly fsync = true,
  ) {}

  runDir(runId: string): string {
    return join(this.root, 'runs', runId);
  }

  statePath(runId: string): string {
    return join(this.runDir(runId), 'state.json');
  }

  async prepare(runId: string): Promise<string> {
    const dir = this.runDir(runId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  async save(state: RunState): Promise<void> {
    state.updatedAt = new Date().toISOString();
    const text = this.redactor.redact(JSON.stringify(state, null, 1));
    await writeFileAtomic(this.statePath(state.runId), text + '\n', { mode: 0o600, fsync: this.fsync });
  }

  async load(runId: string): Promise<RunState | undefined> {
    try {
      const state = JSON.parse(await readFile(this.statePath(runId), 'utf8')) as RunState;
      if (state.version !== STATE_VERSION) throw new Error(`state format ${state.version} is not supported`);
      return state;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Every run recorded here, newest first. */
  async list(): Promise<RunState[]> {
    let ids: string[];
    try {
      ids = await readdir(join(this.root, 'runs'));
    } catch {
      return [];
    }
    const states = await Promise.all(ids.map((id) => this.load(id).catch(() => undefined)));
    return states.filter((s): s is RunState => !!s).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  /** The newest run of a runbook file that did not finish (failed, stopped, waiting). */
  async findUnfinished(file: string): Promise<RunState | undefined> {
    return (await this.list()).find((s) => s.runbook.file === file && s.dryRun === 'none' && s.status !== 'succeeded');
  }
}
