import { randomBytes } from 'node:crypto';
import { apiRequest, type ApiEndpoint } from './api-requests.js';

/** Binds the viewer user to the built-in, aggregated `view` ClusterRole: read-only, cluster-wide. */
export async function bindViewer(admin: ApiEndpoint, viewerUser: string): Promise<void> {
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `${viewerUser}-view` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: viewerUser }],
  };
  const res = await apiRequest(admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', binding);
  if (res.status !== 201 && res.status !== 409) {
    throw new Error(`creating ClusterRoleBinding ${binding.metadata.name} failed: HTTP ${res.status} ${res.body}`);
  }
}

/** `view` is assembled by the controller-manager from roles labelled aggregate-to-view. */
export async function isViewRoleAggregated(admin: ApiEndpoint): Promise<boolean> {
  const res = await apiRequest(admin, 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/view');
  if (res.status !== 200) return false;
  const role = JSON.parse(res.body) as { rules?: unknown[] | null };
  return (role.rules ?? []).length > 0;
}

export async function isReady(admin: ApiEndpoint): Promise<boolean> {
  return (await apiRequest(admin, 'GET', '/readyz')).status === 200;
}

/** The `default` namespace is created by a controller inside the API server shortly after /readyz. */
export async function hasDefaultNamespace(admin: ApiEndpoint): Promise<boolean> {
  return (await apiRequest(admin, 'GET', '/api/v1/namespaces/default')).status === 200;
}

/**
 * Proves the namespace controller works: a namespace can only finish deleting once it removes
 * the `kubernetes` finalizer. Returns a check to poll.
 */
export async function startNamespaceDeletionProbe(admin: ApiEndpoint): Promise<() => Promise<boolean>> {
  const name = `runbook-probe-${randomBytes(4).toString('hex')}`;
  const created = await apiRequest(admin, 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  if (created.status !== 201) throw new Error(`creating probe namespace ${name} failed: HTTP ${created.status} ${created.body}`);
  const deleted = await apiRequest(admin, 'DELETE', `/api/v1/namespaces/${name}`);
  if (deleted.status !== 200 && deleted.status !== 202) {
    throw new Error(`deleting probe namespace ${name} failed: HTTP ${deleted.status} ${deleted.body}`);
  }
  return async () => (await apiRequest(admin, 'GET', `/api/v1/namespaces/${name}`)).status === 404;
}
