// How a run ended, in a few bytes beside its state (ended.json): what choosing a run to continue
// needs to know of every earlier run, without reading the whole state of each one. A state folder
// keeps every run; read in full, the history of a few loops over thousands of objects made each new
// run slower to start than the last.
//
// The summary is trusted only while the state files are the very files it was written after
// (same inode, size and modification time), as they were right after the run's last save
// completed. A resume writes to them and so retires it; anything else that touches them (an edit,
// a repair, a copy) does too, and the state is then read in full again.
import { rename, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LOG, SNAPSHOT } from './state-journal.js';
import type { RunState } from './state.js';

const SUMMARY = 'ended.json';

/** What of a run tells which one an invocation continues; the rest is read only for that one. */
export type RunSummary = Pick<RunState, 'runId' | 'runbook' | 'status' | 'dryRun' | 'startedAt'>;

interface FileStamp {
  ino: number;
  size: number;
  mtimeMs: number;
}

interface StoredSummary extends RunSummary {
  files: Record<string, FileStamp | null>;
}

export function summaryOf(state: RunState): RunSummary {
  const { runId, status, dryRun, startedAt } = state;
  return { runId, runbook: { ...state.runbook }, status, dryRun, startedAt };
}

/** Records how the run stands now that its state files hold it; call only after a completed save. */
export async function writeRunSummary(dir: string, state: RunState): Promise<void> {
  await store(dir, state, await stamps(dir));
}

/**
 * Reads a run's state in full with `load` and, when it had stopped and its files did not change
 * while they were read, sums it up so the next scan need not read it again (runs recorded before
 * summaries existed, or whose summary was lost).
 */
export async function readAndSummarize(dir: string, load: () => Promise<RunState | undefined>): Promise<RunSummary | undefined> {
  const before = await stamps(dir);
  const state = await load();
  if (!state) return undefined;
  if (state.status !== 'running' && JSON.stringify(await stamps(dir)) === JSON.stringify(before)) await store(dir, state, before);
  return summaryOf(state);
}

/**
 * Writes the summary, or nothing: a summary is only a shortcut, and one that cannot be written (a
 * full disk, a folder in its place) must not fail a run whose state was saved, nor the choice of
 * a run to continue. Not forced to the disk: a summary lost to a machine crash means one full read.
 */
async function store(dir: string, state: RunState, files: StoredSummary['files']): Promise<void> {
  const stored: StoredSummary = { ...summaryOf(state), files };
  const path = join(dir, SUMMARY);
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(stored)}\n`, { mode: 0o600 });
    await rename(temp, path);
  } catch {
    await rm(temp, { force: true }).catch(() => undefined);
  }
}

/** The run's summary while its state files are the ones it describes; undefined otherwise. */
export async function readTrustedSummary(dir: string): Promise<RunSummary | undefined> {
  let stored: StoredSummary;
  try {
    stored = JSON.parse(await readFile(join(dir, SUMMARY), 'utf8')) as StoredSummary;
  } catch {
    return undefined;
  }
  if (!wellFormed(stored)) return undefined;
  const now = await stamps(dir);
  for (const name of [SNAPSHOT, LOG]) {
    const a = now[name];
    const b = stored.files[name];
    if (a === null || b === null) {
      if (a !== b) return undefined;
      continue;
    }
    if (!a || !b || a.ino !== b.ino || a.size !== b.size || a.mtimeMs !== b.mtimeMs) return undefined;
  }
  const { files: _files, ...summary } = stored;
  return summary;
}

function wellFormed(s: StoredSummary | null): s is StoredSummary {
  if (!s || typeof s !== 'object' || typeof s.files !== 'object' || s.files === null) return false;
  return [s.runId, s.runbook?.file, s.status, s.dryRun, s.startedAt].every((v) => typeof v === 'string');
}

async function stamps(dir: string): Promise<Record<string, FileStamp | null>> {
  const out: Record<string, FileStamp | null> = {};
  for (const name of [SNAPSHOT, LOG]) {
    try {
      const s = await stat(join(dir, name));
      out[name] = { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      out[name] = null;
    }
  }
  return out;
}
