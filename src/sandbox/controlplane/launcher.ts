import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureControlPlaneBinaries } from './build.js';
import type { ControlPlane, StartControlPlaneOptions } from './control-plane.js';
import { launchInstance, PortConflictError } from './instance.js';
import { reapAbandonedInstances } from './reaper.js';

export type { ControlPlane, ControlPlaneLogFiles, StartControlPlaneOptions } from './control-plane.js';
export { EXPIRED_RESOURCE_VERSION } from './etcd-history.js';

// namespace: deleting a namespace completes; garbagecollector: ownerReferences cascade;
// clusterrole-aggregation: fills the built-in view/edit/admin ClusterRoles, which are
// aggregated from labelled roles and otherwise grant nothing.
export const DEFAULT_CONTROLLERS = ['namespace', 'garbagecollector', 'clusterrole-aggregation'];

export function defaultBaseDir(): string {
  return join(tmpdir(), 'runbook-controlplane');
}

const ATTEMPTS_ON_PORT_CONFLICT = 3;

/** Starts a private control plane on 127.0.0.1; see ControlPlane for what it offers. */
export async function startControlPlane(options: StartControlPlaneOptions = {}): Promise<ControlPlane> {
  const baseDir = options.baseDir ?? defaultBaseDir();
  const { binDir, version } = options.binDir
    ? { binDir: options.binDir, version: reportedVersion(options.binDir) }
    : await ensureControlPlaneBinaries();
  mkdirSync(baseDir, { recursive: true });
  await reapAbandonedInstances(baseDir);

  const plan = {
    binDir,
    version,
    baseDir,
    controllers: options.controllers === undefined ? DEFAULT_CONTROLLERS : options.controllers,
    deadline: Date.now() + (options.startTimeoutMs ?? 180_000),
    stopGraceMs: options.stopGraceMs ?? 10_000,
    keepDir: options.keepDir ?? false,
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchInstance(plan);
    } catch (error) {
      if (!(error instanceof PortConflictError) || attempt >= ATTEMPTS_ON_PORT_CONFLICT) throw error;
      rmSync(error.dir, { recursive: true, force: true });
    }
  }
}

function reportedVersion(binDir: string): string {
  const out = execFileSync(join(binDir, 'kube-apiserver'), ['--version'], { encoding: 'utf8' });
  return /v\d+\.\d+\.\d+\S*/.exec(out)?.[0] ?? out.trim();
}
