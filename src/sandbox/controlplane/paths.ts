import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// This module runs both from src/ (tests, through vitest) and from dist/ (the CLI after tsc),
// so tools/controlplane is found from the package root, never from the working directory.
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readPackageName(manifest) === 'runbook') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the runbook package root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

function readPackageName(manifest: string): string | undefined {
  try {
    const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
    return typeof parsed.name === 'string' ? parsed.name : undefined;
  } catch {
    return undefined;
  }
}

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
