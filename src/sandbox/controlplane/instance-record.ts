import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One server process as recorded on disk; startTime guards against recycled pids. */
export interface RecordedProcess {
  name: string;
  pid: number;
  startTime: string | undefined;
}

/**
 * What a running control plane leaves on disk so that others can clean up after it: the watchdog
 * when the owner dies, the reaper at the next start when even the watchdog is gone.
 */
export interface InstanceRecord {
  ownerPid: number;
  ownerStartTime: string | undefined;
  watchdogPid?: number;
  watchdogStartTime?: string | undefined;
  processes: RecordedProcess[];
}

export const RECORD_FILE_NAME = 'instance.json';

export function recordPath(instanceDir: string): string {
  return join(instanceDir, RECORD_FILE_NAME);
}

export function readInstanceRecord(instanceDir: string): InstanceRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(instanceDir), 'utf8')) as InstanceRecord;
  } catch {
    return undefined;
  }
}

/** Replaces the record atomically, so a reader never sees half a file. */
export function writeInstanceRecord(instanceDir: string, record: InstanceRecord): void {
  const path = recordPath(instanceDir);
  writeFileSync(`${path}.tmp`, JSON.stringify(record, null, 2));
  renameSync(`${path}.tmp`, path);
}
