import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GoModuleFacts {
  /** The `go` line: the oldest Go toolchain that may build the module, e.g. "1.24.0". */
  minimumGoVersion: string;
  /** The required k8s.io/kubernetes version, e.g. "v1.34.4"; stamped into the binaries. */
  kubernetesVersion: string;
}

export function readGoModuleFacts(moduleDir: string): GoModuleFacts {
  const path = join(moduleDir, 'go.mod');
  const text = readFileSync(path, 'utf8');
  const goLine = /^go\s+(\d+\.\d+(?:\.\d+)?)\s*$/m.exec(text);
  const kubernetes = /^\s*k8s\.io\/kubernetes\s+(v\d+\.\d+\.\d+)\b/m.exec(text);
  if (!goLine?.[1]) throw new Error(`${path} has no "go" line`);
  if (!kubernetes?.[1]) throw new Error(`${path} does not require k8s.io/kubernetes`);
  return { minimumGoVersion: goLine[1], kubernetesVersion: kubernetes[1] };
}

/** Compares dotted versions numerically ("1.26.8" vs "1.24.0"); missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
