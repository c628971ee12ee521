// The shared Kubernetes layer against a real kube-apiserver: REST mapping (built-in and CRD kinds),
// reads with selectors and pagination, every patch type, the status subresource, and the dry-run
// modes, proven by resourceVersions and by the client's call counters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import { isNotFound } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/types.js';
import { adminKubeconfigPath, uniqueName } from './support/cluster.js';

const GROUP = `${uniqueName('client')}.runbook.test`;
const WIDGET = `${GROUP}/v1`;

function widgetCrd(group: string): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wdg'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}

function configMap(name: string, namespace: string, labels: Record<string, string> = {}, data: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data };
}

describe('KubeClient', () => {
  let kube: KubeClient;
  let ns: string;

  beforeAll(async () => {
    kube = KubeClient.load({ kubeconfig: adminKubeconfigPath(), env: {} });
    ns = uniqueName('kube-client');
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  });

  afterAll(async () => {
    await kube?.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => undefined);
    await kube?.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: `widgets.${GROUP}` }).catch(() => undefined);
  });

  describe('REST mapping', () => {
    it('maps built-in kinds to resource and scope', async () => {
      expect(await kube.mapping('apps/v1', 'Deployment')).toMatchObject({ resource: 'deployments', namespaced: true, group: 'apps' });
      expect(await kube.mapping('v1', 'Namespace')).toMatchObject({ resource: 'namespaces', namespaced: false, group: '' });
      expect((await kube.mapping('apps/v1', 'Deployment')).subresources).toEqual(expect.arrayContaining(['status', 'scale']));
    });

    it('caches discovery per client', async () => {
      await kube.mapping('batch/v1', 'Job');
      const before = kube.stats.discovery;
      await kube.mapping('batch/v1', 'Job');
      await kube.mapping('batch/v1', 'CronJob');
      expect(kube.stats.discovery).toBe(before);
    });

    it('finds a CRD kind created after the first lookup (one refresh on a miss)', async () => {
      await expect(kube.mapping(WIDGET, 'Widget')).rejects.toThrow(/does not serve/);
      await kube.create(widgetCrd(GROUP));
      const started = Date.now();
      let mapping;
      // Discovery serves a new CRD shortly after it is Established; each lookup refreshes once.
      while (!mapping && Date.now() - started < 20_000) {
        mapping = await kube.mapper.tryMap(WIDGET, 'Widget');
        if (!mapping) await new Promise((r) => setTimeout(r, 100));
      }
      expect(mapping).toMatchObject({ resource: 'widgets', namespaced: true, subresources: ['status'] });
      expect(await kube.mapping(WIDGET, 'wdg')).toMatchObject({ kind: 'Widget' });
    });

    it('suggests the closest kind on a typo', async () => {
      await expect(kube.mapping('apps/v1', 'Deploymnet')).rejects.toMatchObject({ hint: 'did you mean Deployment?' });
    });
  });

  describe('reads', () => {
    beforeAll(async () => {
      for (let i = 0; i < 7; i++) {
        await kube.create(configMap(`cm-${i}`, ns, { app: 'list-test', parity: i % 2 ? 'odd' : 'even' }, { i: String(i) }));
      }
    });

    it('get returns the object, or null when absent', async () => {
      const cm = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'cm-3' });
      expect(cm?.data).toEqual({ i: '3' });
      expect(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'nope' })).toBeNull();
    });

    it('list filters by label and field selectors and joins pages', async () => {
      const reads = kube.stats.reads;
      const all = await kube.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: ns, labelSelector: 'app=list-test', pageSize: 2 });
      expect(all.items.map((i) => i.metadata.name).sort()).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6']);
      expect(kube.stats.reads - reads).toBe(4); // 7 items, 2 per page
      expect(all.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(all.items[0]).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });

      const odd = await kube.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns }, { labelSelector: 'app=list-test,parity=odd' });
      expect(odd.items).toHaveLength(3);
      const one = await kube.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns }, { fieldSelector: 'metadata.name=cm-5' });
      expect(one.items.map((i) => i.metadata.name)).toEqual(['cm-5']);
    });

    it('lists across all namespaces', async () => {
      const all = await kube.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { allNamespaces: true, labelSelector: 'app=list-test' });
      expect(all.items).toHaveLength(7);
      expect(new Set(all.items.map((i) => i.metadata.namespace))).toEqual(new Set([ns]));
    });
  });

  describe('patches', () => {
    const ref = () => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' });
    beforeAll(async () => {
      await kube.create({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'nginx:1' }, { name: 'sidecar', image: 'proxy:1' }] },
          },
        },
      });
    });

    it('merge patch', async () => {
      const out = await kube.patch(ref(), 'merge', { metadata: { labels: { merged: 'yes' } } });
      expect(out.metadata.labels).toEqual({ app: 'web', merged: 'yes' });
    });

    it('json patch', async () => {
      const out = await kube.patch(ref(), 'json', [{ op: 'replace', path: '/spec/replicas', value: 2 }]);
      expect((out.spec as { replicas: number }).replicas).toBe(2);
    });

    it('strategic merge patch merges containers by name', async () => {
      const out = await kube.patch(ref(), 'strategic', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } });
      const containers = (out.spec as { template: { spec: { containers: { name: string; image: string }[] } } }).template.spec.containers;
      expect(containers.map((c) => `${c.name}=${c.image}`)).toEqual(['web=nginx:2', 'sidecar=proxy:1']);
    });

    it('server-side apply with field manager runbook, and force on conflicts', async () => {
      const desired = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns, annotations: { owner: 'runbook' } } };
      const out = await kube.apply(desired);
      expect(out.metadata.annotations).toMatchObject({ owner: 'runbook' });
      const appliers = (out.metadata.managedFields as { manager: string; operation: string }[]).filter((m) => m.operation === 'Apply');
      expect(appliers.map((m) => m.manager)).toContain('runbook');
      // Another manager takes the field over; a plain apply now conflicts, a forced one wins.
      const other = KubeClient.load({ kubeconfig: adminKubeconfigPath(), env: {} }, { fieldManager: 'someone-else' });
      await other.apply({ ...desired, metadata: { ...desired.metadata, annotations: { owner: 'someone-else' } } }, { force: true });
      await expect(kube.apply(desired)).rejects.toMatchObject({ code: 409, message: expect.stringMatching(/conflict with "someone-else"/) });
      const forced = await kube.apply(desired, { force: true });
      expect(forced.metadata.annotations).toMatchObject({ owner: 'runbook' });
    });

    it('refuses strategic merge patch for custom resources with a clear message', async () => {
      await kube.create({ apiVersion: WIDGET, kind: 'Widget', metadata: { name: 'w1', namespace: ns }, spec: { size: 1 } });
      await expect(kube.patch({ apiVersion: WIDGET, kind: 'Widget', namespace: ns, name: 'w1' }, 'strategic', { spec: { size: 2 } })).rejects.toThrow(
        /strategic merge patch is not supported for custom resources/,
      );
    });

    it('patches the status subresource', async () => {
      const wref = { apiVersion: WIDGET, kind: 'Widget', namespace: ns, name: 'w1' };
      // Through the main resource the status is ignored when a status subresource exists...
      await kube.patch(wref, 'merge', { status: { phase: 'Ignored' } });
      expect((await kube.get(wref))?.status).toBeUndefined();
      // ...through the subresource it sticks.
      const out = await kube.patch(wref, 'merge', { status: { phase: 'Ready' } }, { subresource: 'status' });
      expect(out.status).toEqual({ phase: 'Ready' });
      expect((await kube.get(wref, { subresource: 'status' }))?.status).toEqual({ phase: 'Ready' });
    });
  });

  describe('dry-run modes', () => {
    const ref = () => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'dry' });
    beforeAll(async () => {
      await kube.create(configMap('dry', ns, {}, { v: '1' }));
    });

    it('server dry-run returns what would be stored and stores nothing', async () => {
      const before = await kube.get(ref());
      const server = kube.withDryRun('server');
      const patched = await server.patch(ref(), 'merge', { data: { v: '2' } });
      expect(patched.data).toEqual({ v: '2' });
      const applied = await server.apply({ ...configMap('dry', ns), data: { v: '3' } });
      expect(applied.data).toMatchObject({ v: '3' });
      const created = await server.create(configMap('dry-new', ns));
      expect(created.metadata.uid).toBeTruthy();
      expect(await server.delete(ref())).not.toBeNull();
      const after = await kube.get(ref());
      expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
      expect(after?.data).toEqual({ v: '1' });
      expect(await kube.get({ ...ref(), name: 'dry-new' })).toBeNull();
    });

    it('client dry-run makes no write call and returns what would be sent', async () => {
      const client = kube.withDryRun('client');
      const before = await kube.get(ref());
      client.resetStats();
      const patched = await client.patch(ref(), 'merge', { data: { v: '9' } });
      expect(patched.data).toEqual({ v: '9' });
      const jsonPatched = await client.patch(ref(), 'json', [{ op: 'add', path: '/data/w', value: 'x' }]);
      expect(jsonPatched.data).toEqual({ v: '1', w: 'x' });
      expect((await client.create(configMap('never', ns))).metadata.name).toBe('never');
      expect((await client.apply({ ...configMap('never-applied', ns), data: { a: 'b' } })).data).toEqual({ a: 'b' });
      expect(await client.delete(ref())).toMatchObject({ metadata: { name: 'dry' } });
      expect(await client.delete({ ...ref(), name: 'absent' })).toBeNull();
      expect(client.stats.writes).toBe(0);
      expect(client.stats.reads).toBeGreaterThan(0);
      const after = await kube.get(ref());
      expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
      expect(await kube.get({ ...ref(), name: 'never' })).toBeNull();
    });

    it('a patch that changes nothing still counts as one write; callers diff first', async () => {
      kube.resetStats();
      await kube.patch(ref(), 'merge', { data: { v: '1' } });
      expect(kube.stats.writes).toBe(1);
    });
  });

  describe('delete', () => {
    it('honours preconditions and reports absence as null', async () => {
      const cm = await kube.create(configMap('to-delete', ns));
      const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'to-delete' };
      await expect(kube.delete(ref, { preconditions: { resourceVersion: '1' } })).rejects.toMatchObject({ code: 409 });
      const out = await kube.delete(ref, { preconditions: { uid: cm.metadata.uid! }, propagationPolicy: 'Background' });
      expect(out).not.toBeNull();
      expect(await kube.delete(ref)).toBeNull();
      await expect(kube.get(ref)).resolves.toBeNull();
    });

    it('foreground deletion returns the object while its dependents go', async () => {
      await kube.create(configMap('fg', ns));
      const out = await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'fg' }, { propagationPolicy: 'Foreground' });
      expect(out?.metadata.deletionTimestamp).toBeTruthy();
      expect(out?.metadata.finalizers).toContain('foregroundDeletion');
    });

    it('server-side apply after our own create takes our fields without force', async () => {
      await kube.create(configMap('self', ns, {}, { v: '1' }));
      const out = await kube.apply({ ...configMap('self', ns), data: { v: '2' } });
      expect(out.data).toEqual({ v: '2' });
    });

    it('get of an unknown namespace is null, not an error', async () => {
      await expect(kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'no-such-ns', name: 'x' })).resolves.toBeNull();
      const err = await kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'absent' }, 'merge', {}).catch((e) => e);
      expect(isNotFound(err)).toBe(true);
    });
  });
});
