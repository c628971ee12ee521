// The file `runbook sandbox up` and its background process share: who runs the sandbox and where
// it is. Written whole (temporary file + rename) so a reader never sees half of it.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isSameProcessAlive } from './controlplane/pids.js';

export interface SandboxRecord {
  /** The background process (daemon) that owns the sandbox. */
  pid: number;
  /** Its kernel start time, so a recycled pid is never taken for it. */
  startTime?: string;
  scenario: string;
  /** True until the sandbox is ready; the fields below may be missing meanwhile. */
  starting?: boolean;
  /** The control plane's folder (instance.json names its processes), once it runs. */
  dir?: string;
  server?: string;
  kubeconfig?: string;
  viewerKubeconfig?: string;
  /** The fault proxy's address, when the scenario injects API faults. */
  faultProxy?: string;
  /** How http steps reach the workloads' endpoints: a connect-to rule and the CA file. */
  http?: { connectTo: string; caFile: string };
  startedAt?: string;
}

export function readSandboxRecord(path: string): SandboxRecord | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SandboxRecord;
  } catch {
    return undefined;
  }
}

export function writeSandboxRecord(path: string, record: SandboxRecord): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(record, null, 2), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

export function isRecordAlive(record: SandboxRecord): boolean {
  return isSameProcessAlive(record.pid, record.startTime);
}
