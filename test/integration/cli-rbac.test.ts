// `runbook rbac` on the shared control plane: the printed roles, applied and bound to a
// ServiceAccount, are exactly enough — a run with that account's token succeeds, and with one verb
// taken away the run stops in the preflight naming that permission, before anything changes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { adminKubeconfigPath, loadKubeConfig } from './support/cluster.js';
import { runCli } from './support/cli-run.js';
import { createNamespace, deleteNamespace } from './support/objects.js';
import { scratchDir } from './support/processes.js';
import { adminKube } from './support/run-step.js';

let kube: KubeClient;
let ns: string;
let saNs: string;

beforeAll(async () => {
  kube = adminKube();
  ns = await createNamespace(kube, 'rbac-target');
  saNs = await createNamespace(kube, 'rbac-runner');
  await kube.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'runner', namespace: saNs } });
  await kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: ns }, data: { mode: 'old' } });
});

afterAll(async () => {
  await deleteNamespace(kube, ns);
  await deleteNamespace(kube, saNs);
  for (const kind of ['ClusterRoleBinding', 'ClusterRole']) await kube.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, name: 'rbac-test' }).catch(() => undefined);
});

const runbook = (target: string) => `apiVersion: runbook.dev/v1
kind: Runbook
metadata: { name: rbac-demo }
vars:
  target: { default: ${target} }
sections:
  - name: main
    steps:
      - name: Every namespace is readable
        query: { apiVersion: v1, kind: Namespace }
        register: namespaces
      - name: Point the settings at the new mode
        patch:
          apiVersion: v1
          kind: ConfigMap
          namespace: "{{ target }}"
          name: settings
          patch: { data: { mode: new } }
      - name: Record the upgrade
        apply:
          manifest:
            apiVersion: v1
            kind: ConfigMap
            metadata: { name: upgrade-record, namespace: "{{ target }}" }
            data: { done: "true" }
`;

/** A kubeconfig that authenticates as the ServiceAccount, with a token from the TokenRequest API. */
async function serviceAccountKubeconfig(dir: string): Promise<string> {
  const kc = loadKubeConfig(adminKubeconfigPath());
  const { status } = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({ name: 'runner', namespace: saNs, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const cluster = kc.getCurrentCluster()!;
  const file = join(dir, 'runner.kubeconfig');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData } }],
      users: [{ name: 'runner', user: { token: status!.token } }],
      contexts: [{ name: 'runner', context: { cluster: 'c', user: 'runner', namespace: saNs } }],
      'current-context': 'runner',
    }),
  );
  return file;
}

describe('runbook rbac', () => {
  it('prints roles that are exactly enough for the run', { timeout: 120_000 }, async () => {
    const dir = scratchDir('runbook-rbac');
    const file = join(dir, 'rb.yaml');
    writeFileSync(file, runbook(ns));
    const printed = await runCli(['rbac', file, '--kubeconfig', adminKubeconfigPath(), '--service-account', `${saNs}/runner`, '--name', 'rbac-test']);
    expect(printed.code, printed.stderr).toBe(0);
    const objects = parseAllDocuments(printed.stdout).map((d) => d.toJS() as KubeObject).filter(Boolean);
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      'ClusterRole//rbac-test',
      'ClusterRoleBinding//rbac-test',
      `Role/${ns}/rbac-test`,
      `RoleBinding/${ns}/rbac-test`,
    ]);
    const role = objects.find((o) => o.kind === 'Role') as KubeObject & { rules: { resources: string[]; verbs: string[]; resourceNames?: string[] }[] };
    // Steps that name their objects hold their verbs to those names; create cannot be held to a name.
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch'], resourceNames: ['settings', 'upgrade-record'] },
    ]);
    for (const o of objects) await kube.create(o);

    const kubeconfig = await serviceAccountKubeconfig(dir);
    const run = await runCli(['run', file, '--kubeconfig', kubeconfig, '--state-dir', join(dir, 'state'), '-o', 'json']);
    expect(run.code, run.stderr.slice(-1500)).toBe(0);
    expect((await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace: ns }))?.data).toEqual({ mode: 'new' });
    expect(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'upgrade-record', namespace: ns })).not.toBeNull();

    // One verb less: the preflight names each permission it takes away, and nothing is written.
    await kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace: ns }, 'merge', { data: { mode: 'old' } });
    const reduced = { ...role, metadata: { name: role.metadata.name, namespace: ns }, rules: role.rules.map((r) => ({ ...r, verbs: r.verbs.filter((v) => v !== 'patch') })) };
    await kube.replace({ ...reduced, metadata: { ...reduced.metadata, resourceVersion: (await kube.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', name: 'rbac-test', namespace: ns }))!.metadata.resourceVersion } } as KubeObject);
    const denied = await runCli(['run', file, '--kubeconfig', kubeconfig, '--state-dir', join(dir, 'state2'), '-o', 'json']);
    expect(denied.code).not.toBe(0);
    const said = denied.stdout + denied.stderr;
    expect(said).toContain('lacks 2 permissions');
    expect(said).toContain(`patch configmaps "settings" in namespace ${ns} (step main/point-the-settings-at-the-new-mode)`);
    expect(said).toContain(`patch configmaps "upgrade-record" in namespace ${ns} (step main/record-the-upgrade)`);
    expect((await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace: ns }))?.data).toEqual({ mode: 'old' });
  });
});
