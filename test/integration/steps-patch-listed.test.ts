// A patch in a loop over a query's objects plans on the copy the query listed instead of reading
// each object again, and sends its write on the condition that the object is still that copy. An
// object changed since the list is read and planned again: its guard sees the change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import { KubeClient } from '../../src/kube/client.js';
import { createNamespace, deleteNamespace } from './support/objects.js';
import { adminKube, runSteps } from './support/run-step.js';
import { adminKubeconfigPath } from './support/cluster.js';

/** A client of its own: the copies a client remembers are its own. */
const ownClient = (): KubeClient => KubeClient.load({ kubeconfig: adminKubeconfigPath(), env: {} });

const CM = { apiVersion: 'v1', kind: 'ConfigMap' };
const N = 6;

/** Loop item results of the patch in the loop. */
function itemEnds(events: RunEvent[]): Extract<RunEvent, { type: 'node:end' }>[] {
  return events.filter((e): e is Extract<RunEvent, { type: 'node:end' }> => e.type === 'node:end' && e.node.id.startsWith('main/loop/patch['));
}

describe('patch step: on the copies a query listed', () => {
  let kube: KubeClient;
  let ns: string;
  beforeAll(async () => {
    kube = adminKube();
    ns = await createNamespace(kube, 'steps-patch-listed');
    for (let i = 0; i < N; i++) await kube.create({ ...CM, metadata: { name: `cm-${i}`, namespace: ns, labels: { bench: 'yes' } }, data: { a: 'x' } });
  });
  afterAll(() => deleteNamespace(kube, ns));

  const loop = (changedMeanwhile: boolean) => `
- name: List them
  id: main/list
  query: { apiVersion: v1, kind: ConfigMap, namespace: ${ns}, labelSelector: bench=yes }
  register: cms
${changedMeanwhile ? `- name: Someone else marks them done
  id: main/meanwhile
  patch: { apiVersion: v1, kind: ConfigMap, namespace: ${ns}, labelSelector: bench=yes, patch: { data: { done: "by-hand" } } }
` : ''}- name: Mark each
  id: main/loop
  forEach: { items: cms, as: cm, concurrency: 3 }
  steps:
    - name: Mark it
      id: main/loop/patch
      patch:
        apiVersion: v1
        kind: ConfigMap
        name: "{{ cm.metadata.name }}"
        namespace: ${ns}
        type: json
        unless: object.data.?done.orValue("") != ""
        patch: [{ op: add, path: /data/done, value: by-loop }]
`;

  it('writes each object without reading it again', async () => {
    const run = await runSteps(loop(false), { kube: ownClient() });
    expect(run.summary.status).toBe('succeeded');
    const ends = itemEnds(run.events);
    expect(ends).toHaveLength(N);
    expect(ends.every((e) => e.result.status === 'changed')).toBe(true);
    for (let i = 0; i < N; i++) expect((await kube.get({ ...CM, name: `cm-${i}`, namespace: ns }))!.data).toEqual({ a: 'x', done: 'by-loop' });
    // One list (plus discovery); no GET per item.
    expect(run.calls.reads).toBeLessThan(N);
    expect(run.calls.writes).toBe(N);
  });

  it('an object changed since the list is read again, and its guard sees the change', async () => {
    for (let i = 0; i < N; i++) await kube.patch({ ...CM, name: `cm-${i}`, namespace: ns }, 'json', [{ op: 'remove', path: '/data/done' }]);
    const run = await runSteps(loop(true), { kube: ownClient() });
    expect(run.summary.status).toBe('succeeded');
    const ends = itemEnds(run.events);
    expect(ends).toHaveLength(N);
    // Planned on the stale copies, the writes were refused; read again, every one holds already.
    expect(ends.map((e) => e.result.status)).toEqual(Array(N).fill('ok'));
    for (let i = 0; i < N; i++) expect((await kube.get({ ...CM, name: `cm-${i}`, namespace: ns }))!.data).toEqual({ a: 'x', done: 'by-hand' });
  });
});
