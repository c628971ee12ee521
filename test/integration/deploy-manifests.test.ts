// deploy/ as kustomize would build it (its resources in order, the site-vars ConfigMap from its
// generator) is accepted by the API server: every object goes through a server-side dry run, so
// schema, RBAC shape and Job fields are checked by the real kube-apiserver, not by us.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { KubeClient } from '../../src/kube/client.js';
import { loadKubeConfig } from '../../src/kube/config.js';
import type { KubeObject } from '../../src/kube/types.js';
import { adminKubeconfigPath } from './support/cluster.js';
import { REPO } from './support/cli-run.js';
import { adminKube } from './support/run-step.js';

const DEPLOY = join(REPO, 'deploy');

interface Kustomization {
  resources: string[];
  configMapGenerator?: { name: string; namespace?: string; files: string[] }[];
}

function built(): KubeObject[] {
  const k = parse(readFileSync(join(DEPLOY, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const objects = k.resources.flatMap((f) => parseAllDocuments(readFileSync(join(DEPLOY, f), 'utf8')).map((d) => d.toJS() as KubeObject | null)).filter((o): o is KubeObject => o !== null);
  for (const g of k.configMapGenerator ?? []) {
    const data = Object.fromEntries(g.files.map((f) => [f, readFileSync(join(DEPLOY, f), 'utf8')]));
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name, ...(g.namespace ? { namespace: g.namespace } : {}) }, data } as KubeObject);
  }
  return objects;
}

describe('deploy/', () => {
  const admin = adminKube();
  const made: string[] = [];
  afterAll(async () => {
    for (const name of made) await admin.delete({ apiVersion: 'v1', kind: 'Namespace', name }).catch(() => undefined);
  });
  const ensureNamespace = async (obj: KubeObject): Promise<void> => {
    if (await admin.get({ apiVersion: 'v1', kind: 'Namespace', name: obj.metadata.name! })) return;
    await admin.create(obj);
    made.push(obj.metadata.name!);
  };

  it('every object passes a server-side dry run', { timeout: 120_000 }, async () => {
    const objects = built();
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'PersistentVolumeClaim', 'Job', 'ConfigMap']));
    // The namespace is made for real: a dry run of objects in a namespace that does not exist fails.
    const ns = objects.find((o) => o.kind === 'Namespace')!;
    await ensureNamespace(ns);
    // Roles in the namespaces the runbook acts on: those exist on a real cluster; here they are made.
    for (const o of objects) {
      const n = o.metadata.namespace;
      if (n) await ensureNamespace({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
    }
    const dryRun = KubeClient.fromConfig(loadKubeConfig({ kubeconfig: adminKubeconfigPath() }), { dryRun: 'server' });
    const refused: string[] = [];
    for (const o of objects.filter((x) => x.kind !== 'Namespace')) {
      await dryRun.create(o).catch((err: Error) => refused.push(`${o.kind}/${o.metadata.name}: ${err.message}`));
    }
    expect(refused).toEqual([]);
    const job = objects.find((o) => o.kind === 'Job') as KubeObject & { spec: { template: { spec: { serviceAccountName: string; containers: { args: string[] }[] } } } };
    expect(job.spec.template.spec.serviceAccountName).toBe('runbook');
    expect(job.spec.template.spec.containers[0]!.args).toEqual(expect.arrayContaining(['--state=kubernetes', '--resume']));
  });
});
