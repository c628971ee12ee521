// The `apply` step against the real API server, through the executor: inline manifests and
// multi-document template files, server-side apply vs create-if-absent, waiting for readiness,
// both dry-run modes, and re-runs that make no write call at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { uniqueName } from './support/cluster.js';
import { configMap, createNamespace, deleteNamespace, live, refTo } from './support/objects.js';
import { adminKube, runStep } from './support/run-step.js';

describe('apply step', () => {
  let kube: KubeClient;
  let ns: string;

  beforeAll(async () => {
    kube = adminKube();
    ns = await createNamespace(kube, 'steps-apply');
  });
  afterAll(() => deleteNamespace(kube, ns));

  it('creates an inline object by server-side apply; a second run is ok with zero writes', async () => {
    const cm = configMap('inline', ns, { mode: 'raw' });
    const first = await runStep('apply', { manifest: cm });
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('changed');
    expect(first.result?.summary).toBe(`applied ConfigMap ${ns}/inline`);
    expect(first.result?.diff).toMatch(/\+\s+mode: raw/);
    const created = await live(kube, refTo(cm));
    expect(created.data).toEqual({ mode: 'raw' });
    const managers = (created.metadata.managedFields as { manager: string; operation: string }[]).map((m) => `${m.manager}/${m.operation}`);
    expect(managers).toContain('runbook/Apply');

    const second = await runStep('apply', { manifest: cm });
    expect(second.status).toBe('ok');
    expect(second.result?.reason).toMatch(/already holds/);
    expect(second.calls.writes).toBe(0);
    expect((await live(kube, refTo(cm))).metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  });

  it('changes only what differs and shows it in the diff', async () => {
    const cm = configMap('drift', ns, { a: '1', b: '2' });
    await runStep('apply', { manifest: cm });
    await kube.patch(refTo(cm), 'merge', { data: { b: 'changed by hand', extra: 'kept' } });
    const run = await runStep('apply', { manifest: cm });
    expect(run.status).toBe('changed');
    expect(run.result?.diff).toMatch(/-\s+b: changed by hand/);
    expect(run.result?.diff).toMatch(/\+\s+b: "2"/);
    expect((await live(kube, refTo(cm))).data).toEqual({ a: '1', b: '2', extra: 'kept' });
  });

  it('renders a multi-document template file with runbook vars and step vars', async () => {
    const template = [
      '# objects for {{ prefix }}',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: "{{ prefix }}-settings"',
      '  namespace: "{{ namespace }}"',
      'data:',
      '  replicas: "{{ replicas }}"',
      '---',
      'apiVersion: v1',
      'kind: Secret',
      'metadata:',
      '  name: "{{ prefix }}-token"',
      '  namespace: "{{ namespace }}"',
      'stringData:',
      '  token: abc',
      '---',
    ].join('\n');
    const input = { template: 'templates/app.yaml', vars: { replicas: 3 } };
    const options = { files: { 'templates/app.yaml': template }, vars: { prefix: 'app', namespace: ns } };
    const first = await runStep('apply', input, options);
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('changed');
    expect(first.output).toEqual({ applied: [`ConfigMap ${ns}/app-settings`, `Secret ${ns}/app-token`] });
    expect((await live(kube, { apiVersion: 'v1', kind: 'ConfigMap', name: 'app-settings', namespace: ns })).data).toEqual({ replicas: '3' });
    expect((await live(kube, { apiVersion: 'v1', kind: 'Secret', name: 'app-token', namespace: ns })).data).toEqual({ token: Buffer.from('abc').toString('base64') });

    const second = await runStep('apply', input, options);
    expect(second.calls.writes).toBe(0);
    // A Secret's stringData is write-only: the live object never "holds" it, so the check must
    // not keep re-applying it. Either way, a second run writes nothing.
    expect(second.status).toBe('ok');
  });

  it('mode create leaves an existing object as it is', async () => {
    const cm = configMap('created-once', ns, { v: '1' });
    expect((await runStep('apply', { manifest: cm, mode: 'create' })).status).toBe('changed');
    const rv = (await live(kube, refTo(cm))).metadata.resourceVersion;
    const again = await runStep('apply', { manifest: configMap('created-once', ns, { v: '2' }), mode: 'create' });
    expect(again.status).toBe('ok');
    expect(again.calls.writes).toBe(0);
    const after = await live(kube, refTo(cm));
    expect(after.data).toEqual({ v: '1' });
    expect(after.metadata.resourceVersion).toBe(rv);
  });

  it('wait: true waits until a Namespace is Active', async () => {
    const name = uniqueName('steps-apply-wait');
    try {
      const run = await runStep('apply', { manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { purpose: 'wait' } } }, wait: true, timeout: '30s' });
      expect(run.error).toBeUndefined();
      expect(run.status).toBe('changed');
      expect(run.logs.some((l) => l.includes(`Namespace ${name}: phase Active`))).toBe(true);
      expect((await live(kube, { apiVersion: 'v1', kind: 'Namespace', name })).status).toMatchObject({ phase: 'Active' });
      const again = await runStep('apply', { manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { purpose: 'wait' } } }, wait: true });
      expect(again.status).toBe('ok');
      expect(again.calls.writes).toBe(0);
    } finally {
      await deleteNamespace(kube, name);
    }
  });

  describe('dry run', () => {
    it('client: sends no write and reports the diff of a new object', async () => {
      const cm = configMap('dry-client', ns, { k: 'v' });
      const run = await runStep('apply', { manifest: cm }, { dryRun: 'client' });
      expect(run.status).toBe('changed');
      expect(run.calls.writes).toBe(0);
      expect(run.result?.diff).toMatch(/\(absent\)/);
      expect(run.result?.diff).toMatch(/\+\s+k: v/);
      expect(await kube.get(refTo(cm))).toBeNull();
    });

    it('server: the server validates, nothing is stored, and the diff is reported', async () => {
      const cm = configMap('dry-server', ns, { k: 'v1' });
      await runStep('apply', { manifest: cm });
      const rv = (await live(kube, refTo(cm))).metadata.resourceVersion;
      const run = await runStep('apply', { manifest: configMap('dry-server', ns, { k: 'v2' }) }, { dryRun: 'server' });
      expect(run.status).toBe('changed');
      expect(run.calls.writes).toBeGreaterThan(0);
      expect(run.result?.diff).toMatch(/-\s+k: v1/);
      expect(run.result?.diff).toMatch(/\+\s+k: v2/);
      const after = await live(kube, refTo(cm));
      expect(after.metadata.resourceVersion).toBe(rv);
      expect(after.data).toEqual({ k: 'v1' });
    });

    it('server: an invalid object is refused by the server, with its message', async () => {
      const run = await runStep('apply', { manifest: configMap('Not_A_Valid_Name', ns) }, { dryRun: 'server' });
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/Not_A_Valid_Name/);
      expect(run.error).toMatch(/422|Invalid/);
    });
  });

  describe('failures', () => {
    it('a template that does not exist is refused before the run, naming the places looked in', async () => {
      await expect(runStep('apply', { template: 'missing/objects.yaml' })).rejects.toThrow(/template missing\/objects.yaml: no such file\s+hint: looked in/);
    });

    it('a template that renders invalid YAML says so', async () => {
      const run = await runStep('apply', { template: 'bad.yaml' }, { files: { 'bad.yaml': 'apiVersion: v1\nkind: [ConfigMap\n' } });
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/template bad.yaml renders invalid YAML/);
    });

    it('a manifest without a name is refused before any call', async () => {
      const run = await runStep('apply', { manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: ns } } });
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/manifest 1 needs apiVersion, kind and metadata.name/);
      expect(run.calls.writes).toBe(0);
    });

    it('an unknown kind suggests the closest one', async () => {
      const run = await runStep('apply', { manifest: { apiVersion: 'v1', kind: 'ConfigMapp', metadata: { name: 'x', namespace: ns } } });
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/knows no kind ConfigMapp/);
      expect(run.result?.error?.hint).toMatch(/did you mean ConfigMap/);
    });
  });
});
