// How one run's checkpoint lives on disk: a snapshot (state.json) plus a change log (state.log)
// with one JSON line per transition, holding only what changed. Rewriting the whole state at every
// transition made a run of n steps write O(n²) bytes (a loop over thousands of objects wrote
// gigabytes); an append costs the same at step 5 and at step 5,000.
//
// Crash safety: every line carries a sequence number and the snapshot the number of the last change
// it includes. A snapshot is written whole to a temporary file and renamed into place, and only
// then is the log emptied; a kill in between leaves lines the snapshot already holds, which the
// reader skips by number. A kill during an append leaves at most a torn last line (no newline),
// which the reader ignores: that transition had not completed.
import { open, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DirtyKeys } from './dirty-keys.js';
import { StateDamaged } from '../contract/errors.js';
import type { Redactor } from '../contract/redact.js';
import type { RunState } from './state.js';

export const SNAPSHOT = 'state.json';
export const LOG = 'state.log';

/**
 * Fields whose entries change one at a time: logged per entry set. Entries are replaced, never
 * changed in place (the executor writes a new record at each transition).
 */
const KEYED = ['steps', 'registered', 'stepDigests'] as const;
type Keyed = (typeof KEYED)[number];

interface Change {
  seq: number;
  steps?: Record<string, unknown>;
  registered?: Record<string, unknown>;
  stepDigests?: Record<string, unknown>;
  /**
   * Loop items finished since the last line, per loop: appended to the loop's itemsDone, which its
   * `steps` entry on the same line leaves out. Written whole, a loop of n items logged the list n
   * times: O(n²) bytes (gigabytes at 10,000 items).
   */
  items?: Record<string, string[]>;
  /** Other fields, whole. */
  set?: Record<string, unknown>;
  unset?: string[];
}

/**
 * The log is folded into a new snapshot once it outgrows the snapshot, this, and twice its largest
 * line: a line that carries most of the state (a query's thousands of registered objects) is no
 * reason to write the same bytes again as a snapshot at once, and the log stays within a small
 * multiple of the state all the same.
 */
const MIN_COMPACT_BYTES = 256 * 1024;

export class RunJournal {
  private seq = 0;
  /** Entries set in the keyed fields since the last write (they are behind these proxies). */
  private tracked: Partial<Record<Keyed, DirtyKeys>> = {};
  /** JSON of the other fields as last written. */
  private readonly fields = new Map<string, string>();
  /** Each loop's itemsDone as last written: its length, and the list itself. */
  private readonly itemsLogged = new Map<string, { list: readonly string[]; length: number }>();
  private log: FileHandle | undefined;
  private logBytes = 0;
  private snapshotBytes = 0;
  private largestLineBytes = 0;

  constructor(
    private readonly dir: string,
    private readonly redactor: Redactor,
    private readonly fsync: boolean,
  ) {}

  /** `durable`: force it to the disk before returning (when the store fsyncs at all). */
  async write(state: RunState, durable = true): Promise<void> {
    try {
      const change = this.log && this.diff(state);
      if (change === undefined) return await this.compact(state);
      if (change === null) return;
      const line = `${this.redactor.json(change)}\n`;
      await this.log!.appendFile(line);
      if (this.fsync && durable) await this.log!.datasync();
      this.seq = change.seq;
      const lineBytes = Buffer.byteLength(line);
      this.logBytes += lineBytes;
      this.largestLineBytes = Math.max(this.largestLineBytes, lineBytes);
      if (this.logBytes > Math.max(MIN_COMPACT_BYTES, this.snapshotBytes, 2 * this.largestLineBytes)) await this.compact(state);
    } catch (err) {
      // What was remembered as written may not be: the next write starts from a snapshot.
      await this.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    const log = this.log;
    this.log = undefined;
    await log?.close();
  }

  /** What changed since the last write; null when nothing did, undefined when a snapshot is due. */
  private diff(state: RunState): Change | null | undefined {
    const change: Change = { seq: this.seq + 1 };
    let changed = false;
    for (const k of KEYED) {
      const tracker = this.tracked[k];
      // The field was replaced, or an entry removed: rare enough to write a snapshot for.
      if (!tracker || state[k] !== tracker.proxy || tracker.removed) return undefined;
      const part = tracker.take();
      if (part) {
        change[k] = k === 'steps' ? this.appendedItems(part, change) : part;
        changed = true;
      }
    }
    for (const [field, value] of Object.entries(state)) {
      if ((KEYED as readonly string[]).includes(field) || field === 'seq' || value === undefined) continue;
      const json = JSON.stringify(value);
      if (this.fields.get(field) !== json) {
        (change.set ??= {})[field] = value;
        this.fields.set(field, json);
        changed = true;
      }
    }
    for (const field of this.fields.keys()) {
      if ((state as unknown as Record<string, unknown>)[field] === undefined) {
        (change.unset ??= []).push(field);
        this.fields.delete(field);
        changed = true;
      }
    }
    return changed ? change : null;
  }

  /**
   * The steps entries to log, each loop's itemsDone cut to what was appended since it was last
   * written (into change.items); a list that is not the last one written plus more is written whole.
   */
  private appendedItems(steps: Record<string, unknown>, change: Change): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [id, record] of Object.entries(steps)) {
      const list = (record as { itemsDone?: unknown } | undefined)?.itemsDone;
      if (!Array.isArray(list)) {
        this.itemsLogged.delete(id);
        out[id] = record;
        continue;
      }
      const logged = this.itemsLogged.get(id);
      this.itemsLogged.set(id, { list, length: list.length });
      if (logged && extends_(list, logged)) {
        const { itemsDone: _whole, ...rest } = record as { itemsDone: string[] };
        out[id] = rest;
        (change.items ??= {})[id] = list.slice(logged.length);
      } else {
        out[id] = record;
      }
    }
    return out;
  }

  /** Writes the whole state as the new snapshot, then empties the log. */
  private async compact(state: RunState): Promise<void> {
    // A state read back from disk continues its numbering: lines of an earlier process that are
    // still in the log (a kill before it was emptied) must stay below the new snapshot's number.
    this.seq = Math.max(this.seq, state.seq ?? 0);
    state.seq = this.seq;
    // Up to the first await, the state is read as one picture; what changes while the snapshot is
    // written (other loop items go on) is tracked from here for the next line.
    for (const k of KEYED) {
      const tracker = new DirtyKeys(state[k] as Record<string, unknown>);
      (state as unknown as Record<string, unknown>)[k] = tracker.proxy;
      this.tracked[k] = tracker;
    }
    this.fields.clear();
    this.itemsLogged.clear();
    for (const [id, record] of Object.entries(state.steps)) {
      if (Array.isArray(record?.itemsDone)) this.itemsLogged.set(id, { list: record.itemsDone, length: record.itemsDone.length });
    }
    for (const [field, value] of Object.entries(state)) {
      if (!(KEYED as readonly string[]).includes(field) && field !== 'seq' && value !== undefined) this.fields.set(field, JSON.stringify(value));
    }
    const text = `${this.redactor.json(state, 1)}\n`;

    const path = join(this.dir, SNAPSHOT);
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, text, { mode: 0o600, flush: this.fsync });
    await rename(temp, path);
    if (this.fsync) await syncDir(this.dir);
    this.snapshotBytes = text.length;

    this.log ??= await open(join(this.dir, LOG), 'a', 0o600);
    await this.log.truncate(0);
    if (this.fsync) await this.log.datasync();
    this.logBytes = 0;
    this.largestLineBytes = 0;
  }
}

/**
 * Whether `list` is `logged.list` as it was when written, with items added at the end. The
 * executor gives each record a new list, so the old one still holds what was written.
 */
function extends_(list: readonly string[], logged: { list: readonly string[]; length: number }): boolean {
  if (list.length < logged.length) return false;
  if (list === logged.list) return true;
  if (logged.list.length !== logged.length) return false;
  for (let i = logged.length - 1; i >= 0; i--) if (list[i] !== logged.list[i]) return false;
  return true;
}

/** Reads a run's state: the snapshot with the logged changes after it applied in order. */
export async function readRunState(dir: string): Promise<RunState | undefined> {
  const read = await readIntact(dir);
  if (read.damage) throw read.damage;
  return read.state;
}

/**
 * What of a run's state can be proven: the snapshot and the changes up to the first damaged or
 * missing one, with that damage named. A torn LAST line is the normal trace of a kill mid-append
 * (that transition never completed) and is no damage.
 */
export async function readIntact(dir: string): Promise<{ state?: RunState; damage?: StateDamaged }> {
  const snapshotPath = join(dir, SNAPSHOT);
  const logPath = join(dir, LOG);
  let state: RunState;
  try {
    state = JSON.parse(await readFile(snapshotPath, 'utf8')) as RunState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    if (!(err instanceof SyntaxError)) throw err;
    return { damage: damaged(dir, `${snapshotPath} is not valid JSON (${err.message})`, { file: snapshotPath }) };
  }
  if (!state || typeof state !== 'object' || typeof state.runId !== 'string' || typeof state.steps !== 'object') {
    return { damage: damaged(dir, `${snapshotPath} is not a run state (no runId or steps)`, { file: snapshotPath }) };
  }
  let seq = state.seq ?? 0;
  const text = await readFile(logPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  const lines = text.split('\n');
  // The last piece is empty, or a line torn by a kill mid-append: that transition never completed.
  lines.pop();
  for (const [i, line] of lines.entries()) {
    let change: Change;
    try {
      change = JSON.parse(line) as Change;
      if (typeof change?.seq !== 'number') throw new SyntaxError('no sequence number');
    } catch {
      state.seq = seq;
      return { state, damage: damaged(dir, `${logPath}:${i + 1}: the line is damaged (not one recorded change)`, { file: logPath, line: i + 1, runbook: state.runbook?.file }) };
    }
    if (change.seq <= seq) continue; // already in the snapshot
    if (change.seq !== seq + 1) {
      state.seq = seq;
      return { state, damage: damaged(dir, `${logPath}:${i + 1}: change ${seq + 1} is missing before this line`, { file: logPath, line: i + 1, runbook: state.runbook?.file }) };
    }
    // A loop's entry on a line with appended items carries no itemsDone: it is the one before plus those.
    const before = change.items ? Object.fromEntries(Object.keys(change.items).map((id) => [id, state.steps?.[id]?.itemsDone ?? []])) : {};
    for (const k of KEYED) if (change[k]) Object.assign((state[k] ??= {}) as Record<string, unknown>, change[k]);
    for (const [id, added] of Object.entries(change.items ?? {})) {
      const record = state.steps[id];
      if (record) record.itemsDone = [...before[id]!, ...added];
    }
    if (change.set) Object.assign(state, change.set);
    for (const field of change.unset ?? []) delete (state as unknown as Record<string, unknown>)[field];
    seq = change.seq;
  }
  state.seq = seq;
  return { state };
}

function damaged(dir: string, message: string, data: Record<string, unknown> = {}): StateDamaged {
  const runId = basename(dir);
  return new StateDamaged(`the state of run ${runId} is damaged: ${message}`, {
    hint: `runbook resume ${runId} --repair keeps what is intact, sets the damaged files aside and checks again every step it cannot prove done; or move ${dir} away and start a fresh run`,
    data: { runId, dir, ...data },
  });
}

/** Sets a run's state files aside (state.json.damaged-<time>, …), so a repaired state can be written. */
export async function setAsideDamaged(dir: string): Promise<string[]> {
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  const moved: string[] = [];
  for (const name of [SNAPSHOT, LOG]) {
    const to = join(dir, `${name}.damaged-${stamp}`);
    try {
      await rename(join(dir, name), to);
      moved.push(to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return moved;
}

/** Removes temporary snapshots left by a process killed while writing one. */
export async function removeTemporaries(dir: string, names: readonly string[]): Promise<void> {
  await Promise.all(names.filter((n) => n.startsWith(`${SNAPSHOT}.`) && n.endsWith('.tmp')).map((n) => rm(join(dir, n), { force: true })));
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
