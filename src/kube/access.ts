// Permission preflight: ask the API server (SelfSubjectAccessReview) whether the current user may
// do everything a runbook is about to do, and report every missing permission at once, before
// anything has been changed.
import { StepFailure } from '../contract/errors.js';
import type { KubeClient } from './client.js';

export interface AccessCheck {
  verb: string;
  /** API group; '' for the core group. */
  group: string;
  /** Plural resource, e.g. `deployments`; may carry a subresource via `subresource`. */
  resource: string;
  subresource?: string;
  /** Omit for cluster-scoped resources or "in every namespace". */
  namespace?: string;
  name?: string;
}

export interface DeniedAccess extends AccessCheck {
  /** The authorizer's reason, when it gave one. */
  reason?: string;
}

interface ReviewAnswer {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

/** The checks the user may not do; an empty array when everything is allowed. */
export async function findMissingAccess(client: KubeClient, checks: readonly AccessCheck[], signal?: AbortSignal): Promise<DeniedAccess[]> {
  const unique = dedupe(checks);
  const answers = await Promise.all(
    unique.map(async (check) => {
      const review = {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: {
          resourceAttributes: {
            verb: check.verb,
            group: check.group,
            resource: check.resource,
            ...(check.subresource ? { subresource: check.subresource } : {}),
            ...(check.namespace ? { namespace: check.namespace } : {}),
            ...(check.name ? { name: check.name } : {}),
          },
        },
      };
      // A review is a question, not a change: counted as a read and sent even in dry-run modes.
      const { body } = await client.call<ReviewAnswer>({
        method: 'POST',
        path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
        body: review,
        kind: 'read',
        idempotent: true,
        ctx: { verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' },
        ...(signal ? { signal } : {}),
      });
      return { check, status: body.status ?? {} };
    }),
  );
  return answers
    .filter((a) => a.status.allowed !== true)
    .map((a) => ({ ...a.check, ...(a.status.reason ? { reason: a.status.reason } : {}) }));
}

function dedupe(checks: readonly AccessCheck[]): AccessCheck[] {
  const seen = new Map<string, AccessCheck>();
  for (const c of checks) seen.set(JSON.stringify([c.verb, c.group, c.resource, c.subresource, c.namespace, c.name]), c);
  return [...seen.values()];
}

export function describeAccess(c: AccessCheck): string {
  const resource = `${c.resource}${c.subresource ? `/${c.subresource}` : ''}${c.group ? `.${c.group}` : ''}`;
  const name = c.name ? ` "${c.name}"` : '';
  const where = c.namespace ? ` in namespace ${c.namespace}` : ' (cluster-wide)';
  return `${c.verb} ${resource}${name}${where}`;
}

/** One message listing every missing permission, one per line. */
export function formatMissingAccess(missing: readonly DeniedAccess[], userName?: string): string {
  const who = userName ? `user "${userName}"` : 'the current user';
  const lines = missing.map((m) => `  - ${describeAccess(m)}`);
  return `${who} lacks ${missing.length} permission${missing.length === 1 ? '' : 's'} this runbook needs:\n${lines.join('\n')}`;
}

/** Throws one StepFailure naming every missing permission; resolves when all are granted. */
export async function assertAccess(client: KubeClient, checks: readonly AccessCheck[], signal?: AbortSignal): Promise<void> {
  const missing = await findMissingAccess(client, checks, signal);
  if (missing.length === 0) return;
  throw new StepFailure(formatMissingAccess(missing, client.userName), {
    hint: 'ask a cluster administrator for these permissions, or use a kubeconfig context that has them',
    data: { missing },
  });
}
