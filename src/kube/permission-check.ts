// Permission preflight for a whole plan, against the cluster: before anything changes, ask the API
// server whether the user may do everything the steps will do, and report every missing
// permission in one message — not one 403 per run, discovered a step at a time halfway through an
// upgrade. What each step needs is worked out from the plan beforehand
// (src/runbook/permission-needs.ts); here kinds are mapped to resources through discovery and each
// permission is asked once (SelfSubjectAccessReview, see access.ts).
import { PermissionsMissing } from '../contract/errors.js';
import type { PermissionNeed } from '../contract/step-type.js';
import { describeAccess, findMissingAccess, type AccessCheck } from './access.js';
import type { KubeClient } from './client.js';

/** What one step needs, or why that cannot be known before the run. */
export type StepAccessNeeds = { stepId: string; needs: readonly PermissionNeed[] } | { stepId: string; reason: string };

export interface NeededAccess extends AccessCheck {
  /** Ids of the steps that need it. */
  steps: string[];
}

export interface MissingAccess extends NeededAccess {
  reason?: string;
}

export interface PreflightReport {
  /** Every distinct permission asked about. */
  checked: NeededAccess[];
  missing: MissingAccess[];
  /** Steps whose needs could not be known before the run, and why. */
  skipped: { stepId: string; reason: string }[];
}

/** Asks about every permission the steps need; never throws for a missing one. */
export async function checkPermissions(kube: KubeClient, steps: readonly StepAccessNeeds[], signal?: AbortSignal): Promise<PreflightReport> {
  // Keyed by step and reason: a step with several needs of one kind not served yet is noted once.
  const skipped = new Map<string, { stepId: string; reason: string }>();
  const skip = (stepId: string, reason: string): void => void skipped.set(`${stepId}\n${reason}`, { stepId, reason });
  const needed = new Map<string, NeededAccess>();

  for (const step of steps) {
    if ('reason' in step) {
      skip(step.stepId, step.reason);
      continue;
    }
    for (const need of step.needs) {
      const check = await toCheck(kube, need);
      if (typeof check === 'string') {
        // A kind that is not served yet is usually installed by an earlier step (a CRD, an operator).
        skip(step.stepId, check);
        continue;
      }
      const key = JSON.stringify([check.verb, check.group, check.resource, check.subresource, check.namespace, check.name]);
      const entry = needed.get(key) ?? { ...check, steps: [] };
      if (!entry.steps.includes(step.stepId)) entry.steps.push(step.stepId);
      needed.set(key, entry);
    }
  }

  const checked = [...needed.values()];
  const missing: MissingAccess[] = (await findMissingAccess(kube, checked, signal)).map((d) => ({ ...(d as MissingAccess) }));
  return { checked, missing, skipped: [...skipped.values()] };
}

/**
 * The preflight as a gate: resolves with the report when everything is allowed, else throws one
 * PermissionsMissing listing every missing permission with the steps that need it.
 */
export async function assertPermissions(kube: KubeClient, steps: readonly StepAccessNeeds[], signal?: AbortSignal): Promise<PreflightReport> {
  const report = await checkPermissions(kube, steps, signal);
  if (report.missing.length === 0) return report;
  throw new PermissionsMissing(formatPreflight(report, kube.userName), {
    hint: 'ask a cluster administrator for these permissions, or use a kubeconfig context that has them',
    data: { missing: report.missing, skipped: report.skipped },
  });
}

/** One line per missing permission, naming the steps that need it. */
export function formatPreflight(report: Pick<PreflightReport, 'missing'>, userName?: string): string {
  const who = userName ? `user "${userName}"` : 'the current user';
  const n = report.missing.length;
  const lines = report.missing.map((m) => `  - ${describeAccess(m)} (${m.steps.length === 1 ? 'step' : 'steps'} ${m.steps.join(', ')})`);
  return `${who} lacks ${n} permission${n === 1 ? '' : 's'} this runbook needs:\n${lines.join('\n')}`;
}

/** Maps a kind to its resource and scope through discovery; a string says why it cannot. */
async function toCheck(kube: KubeClient, need: PermissionNeed): Promise<AccessCheck | string> {
  let group = need.group;
  let resource = need.resource;
  let namespaced = need.namespace !== undefined || need.allNamespaces === true;
  if (need.kind && need.apiVersion) {
    const mapping = await kube.mapper.tryMap(need.apiVersion, need.kind);
    if (!mapping) return `${need.kind} (${need.apiVersion}) is not served by the cluster yet`;
    group = mapping.group;
    resource = mapping.resource;
    namespaced = mapping.namespaced;
  }
  if (!resource) return `a permission need names neither a resource nor a kind (verb ${need.verb})`;
  const namespace = namespaced && !need.allNamespaces ? (need.namespace ?? kube.defaultNamespace) : undefined;
  return {
    verb: need.verb,
    group,
    resource,
    ...(need.subresource ? { subresource: need.subresource } : {}),
    ...(namespace ? { namespace } : {}),
    ...(need.name ? { name: need.name } : {}),
  };
}
