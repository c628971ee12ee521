import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readInstanceRecord, type RecordedProcess } from './instance-record.js';
import { isSameProcessAlive } from './pids.js';
import { signalGroup } from './processes.js';

const ABANDONED_WITHOUT_RECORD_MS = 24 * 60 * 60 * 1000;

/**
 * Cleans up control planes whose owner died without stopping them and whose watchdog is gone too
 * (killed along with the owner, or the machine slept through it). Runs at every start, so at
 * worst leftovers live until the next run. Instances of live owners are never touched.
 */
export async function reapAbandonedInstances(baseDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = readdirSync(baseDir);
  } catch {
    return; // nothing started here yet
  }
  for (const entry of entries) {
    const dir = join(baseDir, entry);
    const record = readInstanceRecord(dir);
    if (!record) {
      // A start that crashed before writing its record; only stale ones, a start may be under way.
      if (ageMs(dir) > ABANDONED_WITHOUT_RECORD_MS) rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (isSameProcessAlive(record.ownerPid, record.ownerStartTime)) continue;
    if (record.watchdogPid !== undefined && isSameProcessAlive(record.watchdogPid, record.watchdogStartTime)) continue;
    await terminate(record.processes);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function terminate(processes: RecordedProcess[]): Promise<void> {
  let alive = processes.filter((p) => isSameProcessAlive(p.pid, p.startTime));
  for (const p of alive) signalGroup(p.pid, 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(100);
    alive = alive.filter((p) => isSameProcessAlive(p.pid, p.startTime));
  }
  for (const p of alive) signalGroup(p.pid, 'SIGKILL');
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
