// The permission preflight against the real authorizer: every Kubernetes step says what it needs
// (`permissions`), kinds are mapped to resources by discovery, and the view-only user learns every
// missing permission at once, with the steps that need it, before anything is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermissionsMissing } from '../../src/contract/errors.js';
import type { KubeClient } from '../../src/kube/client.js';
import { assertPermissions, checkPermissions } from '../../src/kube/permission-check.js';
import { neededAccess, planTalksToCluster } from '../../src/runbook/permission-needs.js';
import { builtinRegistry } from '../../src/steps/index.js';
import { createNamespace, deleteNamespace } from './support/objects.js';
import { adminKube, loadSteps, viewerKube } from './support/run-step.js';

describe('permission preflight', () => {
  let kube: KubeClient;
  let ns: string;

  beforeAll(async () => {
    kube = adminKube();
    ns = await createNamespace(kube, 'steps-preflight');
  });
  afterAll(() => deleteNamespace(kube, ns));

  const runbook = () => `
- name: remove sidecars
  patch:
    apiVersion: kubeflow.org/v1
    kind: Notebook
    namespace: ${ns}
    labelSelector: app
    listEdits: [{ list: /spec/template/spec/containers, match: { name: oauth-proxy }, remove: true }]
- name: drop old settings
  delete: { apiVersion: v1, kind: ConfigMap, name: old-settings, namespace: "{{ namespace }}" }
- name: read settings
  query: { apiVersion: v1, kind: ConfigMap, name: settings, namespace: ${ns} }
- name: move the channel
  subscription: { name: rhods-operator, namespace: ${ns}, channel: stable-3.3 }
- name: each config
  forEach: { items: '["a", "b"]', as: cm }
  steps:
    - name: label it
      patch: { apiVersion: v1, kind: ConfigMap, name: "{{ cm }}", namespace: ${ns}, patch: { metadata: { labels: { done: "yes" } } } }
- name: note it
  exec: { command: ["true"] }
- name: a kind installed later
  wait: { apiVersion: widgets.example.com/v1, kind: Widget, name: w, namespace: ${ns}, for: { exists: true } }
`;

  it('lists every missing permission of the view-only user in one message, writing nothing', async () => {
    const { plan, vars } = await loadSteps(runbook(), { vars: { namespace: ns } });
    const viewer = viewerKube();
    const before = viewer.stats;
    const error = await assertPermissions(viewer, neededAccess(plan, builtinRegistry(), vars)).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(PermissionsMissing);
    const lines = (error as PermissionsMissing).message.split('\n');
    expect(lines[0]).toMatch(/^user "[^"]+" lacks 5 permissions this runbook needs:$/);
    expect(lines.slice(1).sort()).toEqual(
      [
        `  - list notebooks.kubeflow.org in namespace ${ns} (step main/remove-sidecars)`,
        `  - patch notebooks.kubeflow.org in namespace ${ns} (step main/remove-sidecars)`,
        `  - delete configmaps "old-settings" in namespace ${ns} (step main/drop-old-settings)`,
        `  - get subscriptions.operators.coreos.com "rhods-operator" in namespace ${ns} (step main/move-the-channel)`,
        `  - patch subscriptions.operators.coreos.com "rhods-operator" in namespace ${ns} (step main/move-the-channel)`,
      ].sort(),
    );
    expect((error as PermissionsMissing).hint).toMatch(/ask a cluster administrator/);
    expect(viewer.stats.writes - before.writes).toBe(0);
  });

  it('reports what it could not know before the run: loop items and kinds not served yet', async () => {
    const { plan, vars } = await loadSteps(runbook(), { vars: { namespace: ns } });
    const report = await checkPermissions(viewerKube(), neededAccess(plan, builtinRegistry(), vars));
    expect(report.skipped.map((s) => s.stepId)).toEqual(['main/each-config/label-it', 'main/a-kind-installed-later']);
    expect(report.skipped[0]!.reason).toMatch(/loop item/);
    expect(report.skipped[1]!.reason).toBe('Widget (widgets.example.com/v1) is not served by the cluster yet');
    // Reads the view role grants are asked about and not reported.
    expect(report.checked).toContainEqual(expect.objectContaining({ verb: 'get', resource: 'configmaps', name: 'settings', steps: ['main/read-settings'] }));
    expect(report.missing.find((m) => m.resource === 'configmaps' && m.verb === 'get')).toBeUndefined();
  });

  it('without vars, a templated step is skipped rather than guessed', async () => {
    const { plan } = await loadSteps(runbook(), { vars: { namespace: ns } });
    const report = await checkPermissions(viewerKube(), neededAccess(plan, builtinRegistry()));
    expect(report.skipped).toContainEqual({ stepId: 'main/drop-old-settings', reason: 'its input has templates' });
    expect(report.missing.some((m) => m.verb === 'delete')).toBe(false);
  });

  it('knows when a plan needs no cluster at all', async () => {
    const local = await loadSteps('- name: note it\n  exec: { command: ["true"] }\n- name: ask\n  confirm: { message: ok? }');
    expect(planTalksToCluster(local.plan, builtinRegistry())).toBe(false);
    const { plan } = await loadSteps(runbook(), { vars: { namespace: ns } });
    expect(planTalksToCluster(plan, builtinRegistry())).toBe(true);
  });

  it('passes for the admin, and covers every Kubernetes step type', async () => {
    const { plan, vars } = await loadSteps(runbook(), { vars: { namespace: ns } });
    const report = await assertPermissions(kube, neededAccess(plan, builtinRegistry(), vars));
    expect(report.missing).toEqual([]);
    expect(report.checked.length).toBeGreaterThan(8);
    const kubernetesTypes = ['apply', 'patch', 'delete', 'wait', 'query', 'backup', 'assert', 'subscription', 'approveInstallPlan', 'installOperator', 'uninstallOperator'];
    for (const name of kubernetesTypes) expect(builtinRegistry().get(name)?.permissions, name).toBeTypeOf('function');
  });
});
