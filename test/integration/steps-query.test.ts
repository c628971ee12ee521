// The `query` step against the real API server, through the executor: one object by name, the
// matches of a selector, a CEL `select`, and a registered result driving a later forEach.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { NOTEBOOK, createNamespace, deleteNamespace, dropFinalizers, live, notebook, refTo } from './support/objects.js';
import { adminKube, runStep, runSteps } from './support/run-step.js';

describe('query step', () => {
  let kube: KubeClient;
  let ns: string;

  beforeAll(async () => {
    kube = adminKube();
    ns = await createNamespace(kube, 'steps-query');
    for (const name of ['alpha', 'beta', 'gamma']) {
      const nb = notebook(name, ns, { labels: { team: name === 'gamma' ? 'b' : 'a' } });
      if (name === 'beta') nb.metadata.annotations = { 'kubeflow-resource-stopped': '2025-01-01T00:00:00Z' };
      await kube.create(nb);
    }
    await kube.patch({ ...NOTEBOOK, name: 'alpha', namespace: ns }, 'merge', { status: { readyReplicas: 1 } }, { subresource: 'status' });
  });
  afterAll(async () => {
    for (const nb of (await kube.list({ ...NOTEBOOK, namespace: ns })).items) await dropFinalizers(kube, refTo({ ...nb, ...NOTEBOOK }));
    await deleteNamespace(kube, ns);
  });

  it('by name: the object with its status, without server bookkeeping, and no write', async () => {
    const run = await runStep('query', { ...NOTEBOOK, name: 'alpha', namespace: ns });
    expect(run.status).toBe('ok');
    expect(run.result?.summary).toBe(`Notebook ${ns}/alpha: found`);
    const out = run.output as { metadata: Record<string, unknown>; status: unknown };
    expect(out.metadata.name).toBe('alpha');
    expect(out.status).toEqual({ readyReplicas: 1 });
    for (const field of ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp']) expect(out.metadata[field]).toBeUndefined();
    expect(run.calls.writes).toBe(0);
  });

  it('by name, absent: null, or a failure with mustExist', async () => {
    const run = await runStep('query', { ...NOTEBOOK, name: 'nobody', namespace: ns });
    expect(run.status).toBe('ok');
    expect(run.output).toBeNull();
    expect(run.result?.summary).toBe(`Notebook ${ns}/nobody: absent`);
    const strict = await runStep('query', { ...NOTEBOOK, name: 'nobody', namespace: ns, mustExist: true });
    expect(strict.status).toBe('failed');
    expect(strict.error).toBe(`Notebook ${ns}/nobody does not exist`);
  });

  it('by selector: the list of matches', async () => {
    const run = await runStep('query', { ...NOTEBOOK, namespace: ns, labelSelector: 'team=a' });
    expect(run.result?.summary).toBe(`Notebook objects matching team=a in ${ns}: 2 items`);
    expect((run.output as { metadata: { name: string } }[]).map((o) => o.metadata.name)).toEqual(['alpha', 'beta']);
  });

  it('select: a CEL expression picks what to register', async () => {
    const select = 'objects.filter(n, !has(n.metadata.annotations) || !("kubeflow-resource-stopped" in n.metadata.annotations)).map(n, n.metadata.name)';
    const run = await runStep('query', { ...NOTEBOOK, allNamespaces: true, labelSelector: 'team', select });
    expect(run.status).toBe('ok');
    expect(run.output).toEqual(['alpha', 'gamma']);
  });

  it('a registered result drives a later forEach', async () => {
    const steps = `
- name: running notebooks
  query:
    apiVersion: kubeflow.org/v1
    kind: Notebook
    namespace: ${ns}
    select: objects.filter(n, !has(n.metadata.annotations)).map(n, n.metadata.name)
  register: running
- name: step
  forEach: { items: running, as: nb, concurrency: 4 }
  steps:
    - name: stop it
      patch:
        apiVersion: kubeflow.org/v1
        kind: Notebook
        namespace: ${ns}
        name: "{{ nb }}"
        patch: { metadata: { annotations: { kubeflow-resource-stopped: "now" } } }
`;
    const run = await runSteps(steps);
    expect(run.summary.status).toBe('succeeded');
    expect(run.status).toBe('changed');
    expect(run.result?.summary).toBe('2 items');
    for (const name of ['alpha', 'gamma']) {
      expect((await live(kube, { ...NOTEBOOK, name, namespace: ns })).metadata.annotations).toEqual({ 'kubeflow-resource-stopped': 'now' });
    }
  });
});
