// Permission preflight with SelfSubjectAccessReview: every missing permission in one message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepFailure } from '../../src/contract/errors.js';
import { type AccessCheck, assertAccess, findMissingAccess } from '../../src/kube/access.js';
import { KubeClient } from '../../src/kube/client.js';
import { adminKubeconfigPath, eventually, uniqueName, viewerKubeconfigPath } from './support/cluster.js';

const checks: AccessCheck[] = [
  { verb: 'get', group: '', resource: 'configmaps', namespace: 'default' },
  { verb: 'list', group: 'apps', resource: 'deployments', namespace: 'default' },
  { verb: 'patch', group: 'apps', resource: 'deployments', namespace: 'default' },
  { verb: 'create', group: '', resource: 'namespaces' },
  { verb: 'patch', group: 'operators.coreos.com', resource: 'installplans', namespace: 'redhat-ods-operator' },
  { verb: 'update', group: 'apps', resource: 'deployments', subresource: 'status', namespace: 'default', name: 'web' },
  // a duplicate is asked once and reported once
  { verb: 'create', group: '', resource: 'namespaces' },
];

describe('access preflight', () => {
  // The viewer's reads are granted here explicitly rather than through the aggregated `view`
  // ClusterRole, whose rules only exist when the clusterrole-aggregation controller runs.
  const reader = uniqueName('kube-access-reader');
  const admin = () => KubeClient.load({ kubeconfig: adminKubeconfigPath(), env: {} });

  beforeAll(async () => {
    const kube = admin();
    await kube.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: reader },
      rules: [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch'] },
      ],
    });
    await kube.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: reader },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: reader },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'runbook-viewer' }],
    });
    const viewer = KubeClient.load({ kubeconfig: viewerKubeconfigPath(), env: {} });
    await eventually('the reader binding to take effect', async () => (await findMissingAccess(viewer, checks.slice(0, 2))).length === 0);
  });

  afterAll(async () => {
    const kube = admin();
    await kube.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', name: reader }).catch(() => undefined);
    await kube.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: reader }).catch(() => undefined);
  });

  it('finds nothing missing for the admin', async () => {
    expect(await findMissingAccess(admin(), checks)).toEqual([]);
    await expect(assertAccess(admin(), checks)).resolves.toBeUndefined();
  });

  it('lists every permission the viewer lacks, in one message', async () => {
    const viewer = KubeClient.load({ kubeconfig: viewerKubeconfigPath(), env: {} }, { dryRun: 'client' });
    const missing = await findMissingAccess(viewer, checks);
    expect(missing.map((m) => `${m.verb} ${m.resource}`)).toEqual([
      'patch deployments',
      'create namespaces',
      'patch installplans',
      'update deployments',
    ]);
    const err = await assertAccess(viewer, checks).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailure);
    const message = (err as StepFailure).message;
    expect(message).toContain('lacks 4 permissions this runbook needs:');
    expect(message).toContain('  - patch deployments.apps in namespace default');
    expect(message).toContain('  - create namespaces (cluster-wide)');
    expect(message).toContain('  - patch installplans.operators.coreos.com in namespace redhat-ods-operator');
    expect(message).toContain('  - update deployments/status.apps "web" in namespace default');
    // Reviews are questions, not changes: even in client dry-run they are sent, and count as reads.
    expect(viewer.stats.writes).toBe(0);
    expect(viewer.stats.reads).toBeGreaterThanOrEqual(6);
  });
});
