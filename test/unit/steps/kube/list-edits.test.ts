import jsonpatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { compileListEdits, type ListEdit } from '../../../../src/steps/kube/list-edits.js';

const apply = (doc: unknown, ops: ReturnType<typeof compileListEdits>): unknown =>
  jsonpatch.applyPatch(jsonpatch.deepClone(doc), ops as jsonpatch.Operation[], true, false).newDocument;

const ray = () => ({
  spec: {
    headGroupSpec: {
      template: {
        spec: {
          // oauth-proxy first: removing it shifts ray-head from index 1 to 0.
          containers: [
            { name: 'oauth-proxy', image: 'proxy' },
            { name: 'ray-head', env: [{ name: 'RAY_USE_TLS', value: '1' }, { name: 'KEEP', value: 'x' }, { name: 'RAY_TLS_SERVER_CERT', value: '/c' }] },
          ],
          volumes: [{ name: 'ca-vol' }, { name: 'data' }],
        },
      },
    },
  },
  metadata: { finalizers: ['a', 'notebook-oauth-client-finalizer.opendatahub.io', 'b'] },
});

describe('compileListEdits', () => {
  it('removes by field, then edits a nested list of a named element against the shifted indexes', () => {
    const edits: ListEdit[] = [
      { list: '/spec/headGroupSpec/template/spec/containers', match: { name: 'oauth-proxy' }, remove: true },
      { list: '/spec/headGroupSpec/template/spec/containers[name=ray-head]/env', match: { name: 'RAY_USE_TLS' }, remove: true },
      { list: '/spec/headGroupSpec/template/spec/containers[name=ray-head]/env', match: { name: 'RAY_TLS_SERVER_CERT' }, remove: true },
    ];
    const ops = compileListEdits(ray(), edits);
    const out = apply(ray(), ops) as ReturnType<typeof ray>;
    expect(out.spec.headGroupSpec.template.spec.containers).toEqual([{ name: 'ray-head', env: [{ name: 'KEEP', value: 'x' }] }]);
    // The nested edit is guarded by a test of the element it picked.
    expect(ops).toContainEqual({ op: 'test', path: '/spec/headGroupSpec/template/spec/containers/0/name', value: 'ray-head' });
  });

  it('removes a string element (a finalizer) and guards it with a test of its value', () => {
    const ops = compileListEdits(ray(), [{ list: '/metadata/finalizers', match: 'notebook-oauth-client-finalizer.opendatahub.io', remove: true }]);
    expect(ops).toEqual([
      { op: 'test', path: '/metadata/finalizers/1', value: 'notebook-oauth-client-finalizer.opendatahub.io' },
      { op: 'remove', path: '/metadata/finalizers/1' },
    ]);
  });

  it('replaces matching elements, and does nothing when they already equal the replacement', () => {
    const edit: ListEdit = { list: '/spec/headGroupSpec/template/spec/volumes', match: { name: 'data' }, replace: { name: 'data', emptyDir: {} } };
    const once = apply(ray(), compileListEdits(ray(), [edit]));
    expect(compileListEdits(once, [edit])).toEqual([]);
  });

  it('is a no-op when the list or the named element is absent', () => {
    expect(compileListEdits({ spec: {} }, [{ list: '/spec/containers', match: { name: 'x' }, remove: true }])).toEqual([]);
    expect(compileListEdits(ray(), [{ list: '/spec/headGroupSpec/template/spec/containers[name=worker]/env', match: { name: 'X' }, remove: true }])).toEqual([]);
  });

  it('refuses a pointer that is not a list', () => {
    expect(() => compileListEdits(ray(), [{ list: '/spec/headGroupSpec', match: { name: 'x' }, remove: true }])).toThrow(/not a list/);
  });

  it('a concurrent change makes the compiled patch fail its test instead of removing the wrong element', () => {
    const ops = compileListEdits(ray(), [{ list: '/spec/headGroupSpec/template/spec/containers', match: { name: 'oauth-proxy' }, remove: true }]);
    const changed = ray();
    changed.spec.headGroupSpec.template.spec.containers.reverse();
    expect(() => apply(changed, ops)).toThrow();
  });

  describe('add', () => {
    const pg = (value = 'pg.svc'): ListEdit => ({ list: '/spec/server/containerSpec/env', match: { name: 'POSTGRES_HOST' }, add: { name: 'POSTGRES_HOST', value } });
    const port: ListEdit = { list: '/spec/server/containerSpec/env', match: { name: 'POSTGRES_PORT' }, add: { name: 'POSTGRES_PORT', value: '5432' } };
    const bare = () => ({ spec: { server: { distribution: { name: 'rh-dev' } } } });

    it('creates the missing containerSpec and env, guarded by a test of the object they go into', () => {
      const ops = compileListEdits(bare(), [pg(), port]);
      expect(ops.slice(0, 2)).toEqual([
        { op: 'test', path: '/spec/server', value: { distribution: { name: 'rh-dev' } } },
        { op: 'add', path: '/spec/server/containerSpec', value: { env: [{ name: 'POSTGRES_HOST', value: 'pg.svc' }] } },
      ]);
      const out = apply(bare(), ops);
      expect(out).toEqual({ spec: { server: { distribution: { name: 'rh-dev' }, containerSpec: { env: [{ name: 'POSTGRES_HOST', value: 'pg.svc' }, { name: 'POSTGRES_PORT', value: '5432' }] } } } });
      // Applied once, nothing is left to add.
      expect(compileListEdits(out, [pg(), port])).toEqual([]);
    });

    it('creates env in a containerSpec that has none, and treats a null list as missing', () => {
      const doc = { spec: { server: { containerSpec: { name: 'llama-stack', port: 8321 } } } };
      expect(apply(doc, compileListEdits(doc, [pg()]))).toEqual({ spec: { server: { containerSpec: { name: 'llama-stack', port: 8321, env: [{ name: 'POSTGRES_HOST', value: 'pg.svc' }] } } } });
      const nulled = { spec: { server: { containerSpec: { env: null } } } };
      expect(apply(nulled, compileListEdits(nulled, [pg()]))).toEqual({ spec: { server: { containerSpec: { env: [{ name: 'POSTGRES_HOST', value: 'pg.svc' }] } } } });
    });

    it('appends to an existing list after a test of the whole list, and leaves an element that matches as it is', () => {
      const doc = { spec: { server: { containerSpec: { env: [{ name: 'VLLM_URL', value: 'http://vllm' }] } } } };
      const ops = compileListEdits(doc, [pg()]);
      expect(ops).toEqual([
        { op: 'test', path: '/spec/server/containerSpec/env', value: [{ name: 'VLLM_URL', value: 'http://vllm' }] },
        { op: 'add', path: '/spec/server/containerSpec/env/-', value: { name: 'POSTGRES_HOST', value: 'pg.svc' } },
      ]);
      const configured = { spec: { server: { containerSpec: { env: [{ name: 'POSTGRES_HOST', value: 'elsewhere' }] } } } };
      expect(compileListEdits(configured, [pg()])).toEqual([]);
    });

    it('adds a string (a finalizer) and into a list under a [field=value] selection; a selection of nothing adds nothing', () => {
      const doc = ray();
      const out = apply(doc, compileListEdits(doc, [
        { list: '/metadata/finalizers', match: 'runbook.dev/keep', add: 'runbook.dev/keep' },
        { list: '/spec/headGroupSpec/template/spec/containers[name=oauth-proxy]/env', match: { name: 'X' }, add: { name: 'X', value: '1' } },
      ])) as { metadata: { finalizers: string[] }; spec: { headGroupSpec: { template: { spec: { containers: { env?: unknown }[] } } } } };
      expect(out.metadata.finalizers).toEqual(['a', 'notebook-oauth-client-finalizer.opendatahub.io', 'b', 'runbook.dev/keep']);
      expect(out.spec.headGroupSpec.template.spec.containers[0]!.env).toEqual([{ name: 'X', value: '1' }]);
      expect(compileListEdits(ray(), [{ list: '/spec/headGroupSpec/template/spec/containers[name=worker]/env', match: { name: 'X' }, add: { name: 'X' } }])).toEqual([]);
      expect(compileListEdits({ spec: {} }, [{ list: '/spec/containers[name=main]/env', match: { name: 'X' }, add: { name: 'X' } }])).toEqual([]);
    });

    // One action per edit is a schema rule (test/fixtures/invalid/patch-list-edit-actions.yaml).
    it('refuses a value that does not match (every run would add it)', () => {
      expect(() => compileListEdits(bare(), [{ list: '/spec/env', match: { name: 'A' }, add: { name: 'B' } }])).toThrow(/does not match/);
    });

    it('a concurrent change fails the guard instead of adding twice or replacing what another client created', () => {
      const doc = { spec: { server: { containerSpec: { env: [] as unknown[] } } } };
      const ops = compileListEdits(doc, [pg()]);
      expect(() => apply({ spec: { server: { containerSpec: { env: [{ name: 'POSTGRES_HOST', value: 'x' }] } } } }, ops)).toThrow();
      const created = compileListEdits(bare(), [pg()]);
      expect(() => apply({ spec: { server: { distribution: { name: 'rh-dev' }, containerSpec: { name: 'mine' } } } }, created)).toThrow();
    });
  });
  describe('[*] segments', () => {
    const cluster = () => ({
      spec: {
        headGroupSpec: { template: { spec: { containers: [{ name: 'ray-head', env: [{ name: 'RAY_USE_TLS', value: '1' }], volumeMounts: [{ name: 'ca-vol' }, { name: 'data' }] }] } } },
        workerGroupSpecs: [
          { groupName: 'small', template: { spec: { containers: [{ name: 'worker', env: [{ name: 'RAY_USE_TLS', value: '1' }, { name: 'KEEP' }] }, { name: 'sidecar' }] } } },
          { groupName: 'gpu', template: { spec: { containers: [{ name: 'machine-learning', env: [{ name: 'RAY_TLS_CA_CERT' }], volumeMounts: [{ name: 'ca-vol' }] }] } } },
        ],
      },
    });

    it('edits the list in every element, whatever the elements are named, and guards each by its name', () => {
      const edits: ListEdit[] = [
        { list: '/spec/workerGroupSpecs[*]/template/spec/containers[*]/env', match: { name: 'RAY_USE_TLS' }, remove: true },
        { list: '/spec/workerGroupSpecs[*]/template/spec/containers[*]/env', match: { name: 'RAY_TLS_CA_CERT' }, remove: true },
        { list: '/spec/workerGroupSpecs[*]/template/spec/containers[*]/volumeMounts', match: { name: 'ca-vol' }, remove: true },
        { list: '/spec/headGroupSpec/template/spec/containers[*]/volumeMounts', match: { name: 'ca-vol' }, remove: true },
      ];
      const ops = compileListEdits(cluster(), edits);
      const out = apply(cluster(), ops) as ReturnType<typeof cluster>;
      expect(out.spec.workerGroupSpecs[0]!.template.spec.containers[0]!.env).toEqual([{ name: 'KEEP' }]);
      expect(out.spec.workerGroupSpecs[1]!.template.spec.containers[0]).toEqual({ name: 'machine-learning', env: [], volumeMounts: [] });
      expect(out.spec.headGroupSpec.template.spec.containers[0]!.volumeMounts).toEqual([{ name: 'data' }]);
      expect(ops).toContainEqual({ op: 'test', path: '/spec/workerGroupSpecs/1/groupName', value: 'gpu' });
      expect(ops).toContainEqual({ op: 'test', path: '/spec/workerGroupSpecs/1/template/spec/containers/0/name', value: 'machine-learning' });
      // A second run finds nothing to do.
      expect(compileListEdits(out, edits)).toEqual([]);
    });

    it('adds to every element, creating the list where it is missing, and selects nothing in an absent list', () => {
      const doc = { spec: { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }] }, { name: 'b' }] } };
      const out = apply(doc, compileListEdits(doc, [{ list: '/spec/containers[*]/env', match: { name: 'X' }, add: { name: 'X', value: '1' } }])) as typeof doc;
      expect(out.spec.containers.map((c) => c.env)).toEqual([[{ name: 'X', value: '1' }], [{ name: 'X', value: '1' }]]);
      expect(compileListEdits({ spec: {} }, [{ list: '/spec/containers[*]/env', match: { name: 'X' }, remove: true }])).toEqual([]);
    });

    it('a reordered list fails the name guard instead of editing another element', () => {
      const ops = compileListEdits(cluster(), [{ list: '/spec/workerGroupSpecs[*]/template/spec/containers[*]/env', match: { name: 'RAY_USE_TLS' }, remove: true }]);
      const reordered = cluster();
      reordered.spec.workerGroupSpecs.reverse();
      expect(() => apply(reordered, ops)).toThrow();
    });
  });
});
