import jsonpatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { compileListEdits, type ListEdit } from '../../src/steps/kube/list-edits.js';

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
});
