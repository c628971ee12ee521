import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { KUBECONFIG_ENV, VIEWER_KUBECONFIG_ENV } from './provided.js';

/** Admin kubeconfig of the shared control plane started by the integration global setup. */
export function adminKubeconfigPath(): string {
  return provided('runbookKubeconfig', KUBECONFIG_ENV);
}

/** Kubeconfig of the read-only user (built-in `view` ClusterRole). */
export function viewerKubeconfigPath(): string {
  return provided('runbookViewerKubeconfig', VIEWER_KUBECONFIG_ENV);
}

function provided(key: 'runbookKubeconfig' | 'runbookViewerKubeconfig', envName: string): string {
  const path = inject(key) ?? process.env[envName];
  if (!path) throw new Error(`no control plane: ${key} was not provided; is test/integration/global-setup.ts configured?`);
  return path;
}

export function loadKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/** A DNS-1123 name unique across test runs against the same cluster. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Polls until `check` returns a value other than undefined/false; a thrown error means "not yet". */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  { timeoutMs = 60_000, intervalMs = 200 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = 'condition not met';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
    await sleep(intervalMs);
  }
}

/** The HTTP status of a failed client-node call (ApiException.code), or undefined. */
export function httpStatusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}
