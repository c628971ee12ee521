// Helpers for the sandbox tests. Scenarios create cluster-scoped singletons (DSC default-dsc, DSCI,
// ClusterVersion, CSVs), so every file that loads one starts a control plane of its own rather than
// sharing the one of the global setup.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient } from '../../../src/kube/client.js';
import type { KubeObject, ObjectRef } from '../../../src/kube/types.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../../src/sandbox/sandbox.js';
import { eventually } from './cluster.js';

export const OLM = 'operators.coreos.com/v1alpha1';
export const DSC_V1 = { apiVersion: 'datasciencecluster.opendatahub.io/v1', kind: 'DataScienceCluster', name: 'default-dsc' } as const;
export const DSC_V2 = { apiVersion: 'datasciencecluster.opendatahub.io/v2', kind: 'DataScienceCluster', name: 'default-dsc' } as const;
export const DSCI_V1 = { apiVersion: 'dscinitialization.opendatahub.io/v1', kind: 'DSCInitialization', name: 'default-dsci' } as const;
export const RHOAI_NS = 'redhat-ods-operator';
export const RHOAI_SUB = { apiVersion: OLM, kind: 'Subscription', name: 'rhods-operator', namespace: RHOAI_NS } as const;

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/**
 * A sandbox of its own for one test file. Start-up messages are kept and quoted if it fails to
 * start, which fails the file loudly (never a skip).
 */
export async function startTestSandbox(options: SandboxOptions): Promise<Sandbox> {
  const lines: string[] = [];
  try {
    return await startSandbox({
      ...options,
      log: (m) => {
        lines.push(m);
        options.log?.(m);
      },
    });
  } catch (err) {
    throw new Error(`the sandbox (${options.scenario ?? 'full'}) did not start: ${(err as Error).message}\n${lines.join('\n')}`, { cause: err });
  }
}

export function conditionOf(obj: KubeObject | null | undefined, type: string): Condition | undefined {
  return ((obj?.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === type);
}

export function statusOf<T = Record<string, unknown>>(obj: KubeObject | null | undefined): T {
  return (obj?.status ?? {}) as T;
}

/** Polls the object until `test` holds for it; returns it. Fails with the last state seen. */
export async function until(kube: KubeClient, ref: ObjectRef, what: string, test: (obj: KubeObject) => boolean, timeoutMs = 30_000): Promise<KubeObject> {
  let last: unknown;
  try {
    return await eventually(
      what,
      async () => {
        const obj = await kube.get(ref);
        last = obj?.status;
        return obj && test(obj) ? obj : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast status of ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}: ${JSON.stringify(last)}`);
  }
}

/** The Ready condition of each object of a kind, by namespace/name. */
export async function readiness(kube: KubeClient, apiVersion: string, kind: string): Promise<Record<string, string>> {
  const list = await kube.list({ apiVersion, kind }, { allNamespaces: true });
  return Object.fromEntries(
    list.items.map((o) => {
      const ready = conditionOf(o, 'Ready');
      return [`${o.metadata.namespace}/${o.metadata.name}`, ready ? `${ready.status}/${ready.reason}` : 'none'];
    }),
  );
}

/** Writes files into a fresh temporary folder; returns the folder and a remover. */
export function scratchFiles(files: Record<string, string>): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-sandbox-test-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The CLI flags that send a run's http steps to the sandbox's endpoints and trust its CA. */
export function sandboxHttpArgs(sandbox: Sandbox): string[] {
  return ['--connect-to', sandbox.http.connectTo, '--cacert', sandbox.http.caFile];
}
