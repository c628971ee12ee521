// The `patch` step against the real API server, through the executor: every patch type, the
// status subresource, selectors over many objects, guarded list edits on Notebooks (the 2.25 → 3.3
// oauth-proxy removal), `add` edits on LlamaStackDistributions whose containerSpec may be absent,
// and a concurrent change between read and write that the server refuses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepFailure } from '../../src/contract/errors.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { patchStep } from '../../src/steps/kube/patch.js';
import { NOTEBOOK, OAUTH_FINALIZER, configMap, createNamespace, deleteNamespace, live, notebook, refTo, versions } from './support/objects.js';
import { adminKube, runStep, sideKube, stepContext, viewerKube } from './support/run-step.js';

const containersOf = (o: KubeObject): { name: string; image?: string }[] =>
  (o.spec as { template: { spec: { containers: { name: string; image?: string }[] } } }).template.spec.containers;

describe('patch step', () => {
  let kube: KubeClient;
  let side: KubeClient;
  let ns: string;

  beforeAll(async () => {
    kube = adminKube();
    side = sideKube();
    ns = await createNamespace(kube, 'steps-patch');
  });
  afterAll(async () => {
    // Notebooks carry a finalizer no controller removes here: drop it so the namespace can go.
    for (const nb of (await kube.list({ ...NOTEBOOK, namespace: ns })).items) await kube.patch(refTo({ ...nb, ...NOTEBOOK }), 'merge', { metadata: { finalizers: null } });
    await deleteNamespace(kube, ns);
  });

  const target = (name: string, extra: Record<string, unknown> = {}) => ({ ...NOTEBOOK, name, namespace: ns, ...extra });

  it('merge: patches a custom resource; a second run is ok with zero writes', async () => {
    const nb = await kube.create(notebook('merge', ns));
    const input = target('merge', { patch: { metadata: { annotations: { 'opendatahub.io/migrated': 'true' } } } });
    const first = await runStep('patch', input);
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('changed');
    expect(first.result?.diff).toMatch(/\+\s+opendatahub.io\/migrated: "true"/);
    // Only what changes is shown: not the spec, not server bookkeeping.
    expect(first.result?.diff).not.toMatch(/image:|resourceVersion|managedFields/);
    const after = await live(kube, refTo(nb));
    expect(after.metadata.annotations).toEqual({ 'opendatahub.io/migrated': 'true' });

    const second = await runStep('patch', input);
    expect(second.status).toBe('ok');
    expect(second.result?.reason).toMatch(/no change needed/);
    expect(second.calls.writes).toBe(0);
    expect((await live(kube, refTo(nb))).metadata.resourceVersion).toBe(after.metadata.resourceVersion);
  });

  it('json: applies operations; a remove of an already-absent path is a no-op, not an error', async () => {
    const nb = await kube.create(notebook('json', ns));
    const ops = [
      { op: 'add', path: '/metadata/annotations', value: { 'notebooks.opendatahub.io/inject-auth': 'true' } },
      { op: 'remove', path: '/spec/template/spec/serviceAccountName' },
    ];
    const first = await runStep('patch', target('json', { type: 'json', patch: ops }));
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('changed');
    const after = await live(kube, refTo(nb));
    expect((after.spec as { template: { spec: Record<string, unknown> } }).template.spec.serviceAccountName).toBeUndefined();

    const second = await runStep('patch', target('json', { type: 'json', patch: ops }));
    expect(second.status).toBe('ok');
    expect(second.calls.writes).toBe(0);

    const onlyRemove = await runStep('patch', target('json', { type: 'json', patch: [{ op: 'remove', path: '/metadata/labels/never-there' }] }));
    expect(onlyRemove.status).toBe('ok');
    expect(onlyRemove.calls.writes).toBe(0);
    expect((await live(kube, refTo(nb))).metadata.resourceVersion).toBe(after.metadata.resourceVersion);
  });

  it('strategic: merges a Deployment container by name; refused with a clear message for custom resources', async () => {
    const labels = { app: 'web' };
    const deployment: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'web:1' }, { name: 'oauth-proxy', image: 'proxy:1' }] } },
      },
    };
    await kube.create(deployment);
    const patch = { spec: { template: { spec: { containers: [{ name: 'web', image: 'web:2' }] } } } };
    const input = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: ns, type: 'strategic', patch };
    const first = await runStep('patch', input);
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('changed');
    const after = await live(kube, refTo(deployment));
    expect(containersOf(after)).toEqual([expect.objectContaining({ name: 'web', image: 'web:2' }), expect.objectContaining({ name: 'oauth-proxy', image: 'proxy:1' })]);
    const second = await runStep('patch', input);
    expect(second.status).toBe('ok');
    expect(second.calls.writes).toBe(0);

    await kube.create(notebook('strategic', ns));
    const refused = await runStep('patch', target('strategic', { type: 'strategic', patch: { metadata: { labels: { a: 'b' } } } }));
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatch(/strategic merge patch is not supported for custom resources \(notebooks.kubeflow.org\)/);
    expect(refused.result?.error?.hint).toMatch(/merge, json or apply/);
  });

  it('apply: server-side applies a partial object with field manager runbook', async () => {
    const cm = await kube.create(configMap('ssa', ns, { keep: 'me' }));
    const input = { apiVersion: 'v1', kind: 'ConfigMap', name: 'ssa', namespace: ns, type: 'apply', patch: { data: { owned: 'by-runbook' } } };
    const first = await runStep('patch', input);
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('changed');
    const after = await live(kube, refTo(cm));
    expect(after.data).toEqual({ keep: 'me', owned: 'by-runbook' });
    expect((after.metadata.managedFields as { manager: string; operation: string }[]).some((m) => m.manager === 'runbook' && m.operation === 'Apply')).toBe(true);
    const second = await runStep('patch', input);
    expect(second.status).toBe('ok');
    expect(second.calls.writes).toBe(0);
  });

  it('status subresource: patches the status of a custom resource, not its spec', async () => {
    const nb = await kube.create(notebook('status', ns));
    const input = target('status', { subresource: 'status', patch: { status: { readyReplicas: 1, conditions: [{ type: 'Ready', status: 'True' }] } } });
    const first = await runStep('patch', input);
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('changed');
    expect(first.result?.diff).toMatch(/\+\s+readyReplicas: 1/);
    const after = await live(kube, refTo(nb));
    expect(after.status).toEqual({ readyReplicas: 1, conditions: [{ type: 'Ready', status: 'True' }] });
    expect(after.metadata.generation).toBe(nb.metadata.generation);
    const second = await runStep('patch', input);
    expect(second.status).toBe('ok');
    expect(second.calls.writes).toBe(0);
  });

  it('selector: writes only the objects the patch would change', async () => {
    const label = { 'runbook.test/batch': 'many' };
    for (let i = 0; i < 12; i++) await kube.create(configMap(`many-${i}`, ns, i < 4 ? { tier: 'gold' } : {}, label));
    const before = await versions(kube, 'v1', 'ConfigMap', ns);
    const input = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, labelSelector: 'runbook.test/batch=many', patch: { data: { tier: 'gold' } } };
    const first = await runStep('patch', input);
    expect(first.status).toBe('changed');
    expect(first.result?.summary).toBe('patched 8 objects');
    expect(first.calls.writes).toBe(8);
    const after = await versions(kube, 'v1', 'ConfigMap', ns);
    for (let i = 0; i < 12; i++) {
      const name = `many-${i}`;
      if (i < 4) expect(after[name]).toBe(before[name]);
      else expect(after[name]).not.toBe(before[name]);
    }
    const second = await runStep('patch', input);
    expect(second.status).toBe('ok');
    expect(second.calls.writes).toBe(0);
    expect(await versions(kube, 'v1', 'ConfigMap', ns)).toEqual(after);
  });

  describe('guarded list edits on Notebooks', () => {
    const edits = [
      { list: '/spec/template/spec/containers', match: { name: 'oauth-proxy' }, remove: true },
      { list: '/metadata/finalizers', match: OAUTH_FINALIZER, remove: true },
    ];

    it('removes the oauth-proxy container and its finalizer from every notebook that has them', async () => {
      const labels = { 'runbook.test/set': 'edits' };
      for (const name of ['wb-a', 'wb-b', 'wb-c']) await kube.create(notebook(name, ns, { labels }));
      await kube.create(notebook('wb-done', ns, { labels, sidecar: false }));
      const before = await versions(kube, NOTEBOOK.apiVersion, NOTEBOOK.kind, ns);
      const input = { ...NOTEBOOK, namespace: ns, labelSelector: 'runbook.test/set=edits', listEdits: edits };

      const first = await runStep('patch', input);
      expect(first.error).toBeUndefined();
      expect(first.status).toBe('changed');
      expect(first.output).toEqual({ patched: [`Notebook ${ns}/wb-a`, `Notebook ${ns}/wb-b`, `Notebook ${ns}/wb-c`] });
      expect(first.calls.writes).toBe(3);
      for (const name of ['wb-a', 'wb-b', 'wb-c']) {
        const nb = await live(kube, { ...NOTEBOOK, name, namespace: ns });
        expect(containersOf(nb).map((c) => c.name)).toEqual([name]);
        expect(nb.metadata.finalizers).toBeUndefined();
      }
      const after = await versions(kube, NOTEBOOK.apiVersion, NOTEBOOK.kind, ns);
      expect(after['wb-done']).toBe(before['wb-done']);

      const second = await runStep('patch', input);
      expect(second.status).toBe('ok');
      expect(second.calls.writes).toBe(0);
      expect(await versions(kube, NOTEBOOK.apiVersion, NOTEBOOK.kind, ns)).toEqual(after);
    });

    it('a list changed between read and write: the server refuses the test, the step fails as transient', async () => {
      const nb = await kube.create(notebook('raced', ns));
      const input = { ...target('raced'), listEdits: edits };
      const ctx = stepContext(kube);
      const checked = await patchStep.check!(ctx, input);
      expect(checked.holds).toBe(false);
      // Someone puts a container in front of oauth-proxy after we read: index 1 is now another one.
      await side.patch(refTo(nb), 'json', [{ op: 'add', path: '/spec/template/spec/containers/1', value: { name: 'newcomer', image: 'x:1' } }]);
      const changed = await live(kube, refTo(nb));

      const error = await patchStep.apply(ctx, input, checked.prepared).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(StepFailure);
      expect((error as StepFailure).message).toBe(`Notebook ${ns}/raced changed while it was being patched`);
      expect((error as StepFailure).transient).toBe(true);
      const untouched = await live(kube, refTo(nb));
      expect(untouched.metadata.resourceVersion).toBe(changed.metadata.resourceVersion);
      expect(containersOf(untouched).map((c) => c.name)).toEqual(['raced', 'newcomer', 'oauth-proxy']);
    });

    it('through the executor, a race is retried on fresh data and removes the right element', async () => {
      const nb = await kube.create(notebook('raced-retry', ns));
      let raced = false;
      // The first patch call is preceded by a concurrent change, as if another client won the race.
      const racing = new Proxy(kube, {
        get(t, p) {
          if (p === 'patch') {
            return async (...args: Parameters<KubeClient['patch']>) => {
              if (!raced) {
                raced = true;
                await side.patch(refTo(nb), 'json', [{ op: 'add', path: '/spec/template/spec/containers/0', value: { name: 'first', image: 'x:1' } }]);
              }
              return t.patch(...args);
            };
          }
          const v = Reflect.get(t, p, t) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
        },
      });
      const run = await runStep('patch', target('raced-retry', { listEdits: edits }), { kube: racing, common: { retries: 2, backoff: { delay: '10ms' } } });
      expect(run.error).toBeUndefined();
      expect(run.status).toBe('changed');
      expect(run.result?.attempts).toBe(2);
      expect(run.events.some((e) => e.type === 'step:retry' && /changed while it was being patched/.test(e.error))).toBe(true);
      const after = await live(kube, refTo(nb));
      expect(containersOf(after).map((c) => c.name)).toEqual(['first', 'raced-retry']);
      expect(after.metadata.finalizers).toBeUndefined();
    });
  });

  describe('add list edits on LlamaStackDistributions (containerSpec and env are optional)', () => {
    const LLSD = { apiVersion: 'llamastack.io/v1alpha1', kind: 'LlamaStackDistribution' } as const;
    const pg = { list: '/spec/server/containerSpec/env', match: { name: 'POSTGRES_HOST' }, add: { name: 'POSTGRES_HOST', value: 'pg.svc' } };
    const llsd = (name: string) => kube.create({ ...LLSD, metadata: { name, namespace: ns }, spec: { server: { distribution: { name: 'rh-dev' } } } });
    const serverOf = (o: KubeObject) => (o.spec as { server: Record<string, unknown> }).server;

    it('creates the missing containerSpec and env; a second run makes no write', async () => {
      const obj = await llsd('llsd-bare');
      const first = await runStep('patch', { ...LLSD, name: 'llsd-bare', namespace: ns, listEdits: [pg] });
      expect(first.error).toBeUndefined();
      expect(first.status).toBe('changed');
      expect(serverOf(await live(kube, refTo(obj))).containerSpec).toEqual({ env: [{ name: 'POSTGRES_HOST', value: 'pg.svc' }] });
      const second = await runStep('patch', { ...LLSD, name: 'llsd-bare', namespace: ns, listEdits: [pg] });
      expect(second.status).toBe('ok');
      expect(second.calls.writes).toBe(0);
    });

    it('a containerSpec created between read and write: the server refuses the test; a retry adds to it', async () => {
      const obj = await llsd('llsd-raced');
      const input = { ...LLSD, name: 'llsd-raced', namespace: ns, listEdits: [pg] };
      const ctx = stepContext(kube);
      const checked = await patchStep.check!(ctx, input);
      expect(checked.holds).toBe(false);
      await side.patch(refTo(obj), 'merge', { spec: { server: { containerSpec: { name: 'mine', env: [{ name: 'VLLM_URL', value: 'http://vllm' }] } } } });
      const error = await patchStep.apply(ctx, input, checked.prepared).then(() => undefined, (e: unknown) => e);
      expect((error as StepFailure).transient).toBe(true);
      // Not replaced by our {env: [...]}: the other client's containerSpec is intact.
      expect(serverOf(await live(kube, refTo(obj))).containerSpec).toEqual({ name: 'mine', env: [{ name: 'VLLM_URL', value: 'http://vllm' }] });
      const retried = await runStep('patch', input);
      expect(retried.status).toBe('changed');
      expect(serverOf(await live(kube, refTo(obj))).containerSpec).toEqual({ name: 'mine', env: [{ name: 'VLLM_URL', value: 'http://vllm' }, { name: 'POSTGRES_HOST', value: 'pg.svc' }] });
    });
  });

  describe('dry run', () => {
    it('client: no write; the diff shows the list edits', async () => {
      const nb = await kube.create(notebook('dry-client', ns));
      const run = await runStep('patch', target('dry-client', { listEdits: [{ list: '/spec/template/spec/containers', match: { name: 'oauth-proxy' }, remove: true }] }), { dryRun: 'client' });
      expect(run.status).toBe('changed');
      expect(run.calls.writes).toBe(0);
      expect(run.result?.diff).toMatch(/-\s+- image: registry.redhat.io\/openshift4\/ose-oauth-proxy:v4.14/);
      expect(run.result?.diff).toMatch(/dry run: client/);
      expect((await live(kube, refTo(nb))).metadata.resourceVersion).toBe(nb.metadata.resourceVersion);
    });

    it('server: the server runs the patch and stores nothing; the diff is the server answer', async () => {
      const nb = await kube.create(notebook('dry-server', ns));
      const run = await runStep('patch', target('dry-server', { patch: { spec: { template: { spec: { serviceAccountName: 'renamed' } } } } }), { dryRun: 'server' });
      expect(run.status).toBe('changed');
      expect(run.calls.writes).toBe(1);
      expect(run.result?.diff).toMatch(/\+\s+serviceAccountName: renamed/);
      expect(run.result?.diff).toMatch(/dry run: server/);
      expect((await live(kube, refTo(nb))).metadata.resourceVersion).toBe(nb.metadata.resourceVersion);
    });
  });

  describe('failures', () => {
    it('a named object that does not exist fails with a hint; mustExist: false makes it fine', async () => {
      const run = await runStep('patch', target('absent', { patch: { metadata: { labels: { a: 'b' } } } }));
      expect(run.status).toBe('failed');
      expect(run.error).toBe(`Notebook ${ns}/absent does not exist`);
      expect(run.result?.error?.hint).toMatch(/mustExist: false/);
      const tolerated = await runStep('patch', target('absent', { patch: { metadata: { labels: { a: 'b' } } }, mustExist: false }));
      expect(tolerated.status).toBe('ok');
      expect(tolerated.calls.writes).toBe(0);
    });

    it('a list edit on a field that is not a list names it', async () => {
      await kube.create(notebook('not-a-list', ns));
      const run = await runStep('patch', target('not-a-list', { listEdits: [{ list: '/spec/template/spec/serviceAccountName', match: 'x', remove: true }] }));
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/\/spec\/template\/spec\/serviceAccountName is not a list/);
    });

    it('the view-only user gets a 403 naming the verb and resource before anything is written', async () => {
      const cm = await kube.create(configMap('viewer', ns, { a: '1' }));
      const run = await runStep('patch', { apiVersion: 'v1', kind: 'ConfigMap', name: 'viewer', namespace: ns, patch: { data: { a: '2' } } }, { kube: viewerKube() });
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(new RegExp(`^patch configmaps ${ns}/viewer: 403 Forbidden: user "[^"]+" cannot patch configmaps in namespace "${ns}"$`));
      expect(run.result?.error?.hint).toMatch(/grant "patch" on configmaps/);
      expect((await live(kube, refTo(cm))).metadata.resourceVersion).toBe(cm.metadata.resourceVersion);

      // The view role does not cover custom resources: the first read is refused, naming it.
      const nb = await kube.create(notebook('viewer', ns));
      const refused = await runStep('patch', target('viewer', { listEdits: [{ list: '/metadata/finalizers', match: OAUTH_FINALIZER, remove: true }] }), { kube: viewerKube() });
      expect(refused.status).toBe('failed');
      expect(refused.error).toMatch(new RegExp(`cannot get notebooks.kubeflow.org in namespace "${ns}"`));
      expect((await live(kube, refTo(nb))).metadata.resourceVersion).toBe(nb.metadata.resourceVersion);
    });
  });
});
