import { homedir } from 'node:os';
import { join } from 'node:path';

// tools/controlplane is found from the package root, never from the working directory.
export { packageRoot } from '../../package-root.js';
import { packageRoot } from '../../package-root.js';

export function goModuleDir(): string {
  return join(packageRoot(), 'tools', 'controlplane');
}

/** ${XDG_CACHE_HOME:-~/.cache}/runbook/controlplane: survives clean clones, so CI rebuilds once. */
export function controlPlaneCacheRoot(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && xdg.length > 0 ? xdg : join(homedir(), '.cache');
  return join(base, 'runbook', 'controlplane');
}

/** One folder per (Kubernetes version, Go version) pair: changing either builds afresh. */
export function binariesDir(kubernetesVersion: string, goVersion: string): string {
  return join(controlPlaneCacheRoot(), `${kubernetesVersion}-go${goVersion}`, 'bin');
}

export const BINARY_NAMES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl'] as const;
export type BinaryName = (typeof BINARY_NAMES)[number];
