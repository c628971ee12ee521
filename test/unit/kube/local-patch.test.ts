// A JSON patch applied locally must give what the library gives on a copy of the whole object,
// while changing nothing of the object it was given: the target here is frozen, so a change to a
// part the result shares with it throws.
import jsonpatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { StepFailure } from '../../../src/contract/errors.js';
import { applyJsonPatch, applyPatchLocally } from '../../../src/kube/local-patch.js';
import type { JsonPatchOperation } from '../../../src/kube/types.js';

function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) frozen(child);
    Object.freeze(value);
  }
  return value;
}

const notebook = () => ({
  apiVersion: 'kubeflow.org/v1',
  kind: 'Notebook',
  metadata: { name: 'wb', annotations: { 'notebooks.opendatahub.io/inject-oauth': 'true', 'a~b': 'x' }, labels: { app: 'wb' } },
  spec: {
    template: {
      spec: {
        containers: [
          { name: 'wb', image: 'notebook:v3', env: [{ name: 'A', value: '1' }] },
          { name: 'oauth-proxy', image: 'oauth-proxy:v4', args: ['--provider=openshift'] },
        ],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'wb-data' } }],
      },
    },
  },
});

const cases: Record<string, JsonPatchOperation[]> = {
  'the guide migration': [
    { op: 'test', path: '/spec/template/spec/containers/1/name', value: 'oauth-proxy' },
    { op: 'remove', path: '/spec/template/spec/containers/1' },
    { op: 'remove', path: '/metadata/annotations/notebooks.opendatahub.io~1inject-oauth' },
    { op: 'add', path: '/metadata/annotations/notebooks.opendatahub.io~1inject-auth', value: 'true' },
  ],
  'a list appended to, inserted into and replaced in': [
    { op: 'add', path: '/spec/template/spec/containers/0/env/-', value: { name: 'B', value: '2' } },
    { op: 'add', path: '/spec/template/spec/containers/0/env/0', value: { name: 'Z', value: '0' } },
    { op: 'replace', path: '/spec/template/spec/containers/1/args/0', value: '--provider=oidc' },
  ],
  'a value added, then changed inside': [
    { op: 'add', path: '/spec/extra', value: { nested: { n: 1 } } },
    { op: 'replace', path: '/spec/extra/nested/n', value: 2 },
  ],
  'a move, then a change inside what moved': [
    { op: 'move', from: '/spec/template/spec/volumes', path: '/metadata/volumes' },
    { op: 'replace', path: '/metadata/volumes/0/persistentVolumeClaim/claimName', value: 'other' },
  ],
  'a copy, then a change of the copy': [
    { op: 'copy', from: '/spec/template/spec/containers/0', path: '/spec/template/spec/containers/-' },
    { op: 'replace', path: '/spec/template/spec/containers/2/env/0/value', value: 'changed' },
  ],
  'an escaped key': [{ op: 'replace', path: '/metadata/annotations/a~0b', value: 'y' }],
  'the whole document replaced': [{ op: 'replace', path: '', value: { kind: 'Other' } }],
};

describe('applyJsonPatch', () => {
  for (const [name, ops] of Object.entries(cases)) {
    it(`${name}: gives what the library gives on a full copy, and leaves the target as it was`, () => {
      const expected = jsonpatch.applyPatch(structuredClone(notebook()), structuredClone(ops) as jsonpatch.Operation[]).newDocument;
      const target = frozen(notebook());
      expect(applyJsonPatch(target, ops)).toEqual(expected);
      expect(target).toEqual(notebook());
    });
  }

  it('shares with the target what the patch does not reach', () => {
    const target = frozen(notebook());
    const result = applyJsonPatch(target, cases['the guide migration']!) as ReturnType<typeof notebook>;
    expect(result.spec.template.spec.containers[0]).toBe(target.spec.template.spec.containers[0]);
    expect(result.spec.template.spec.volumes).toBe(target.spec.template.spec.volumes);
    expect(result.metadata.labels).toBe(target.metadata.labels);
    expect(result.spec.template.spec.containers).not.toBe(target.spec.template.spec.containers);
  });

  it('keeps the operations it was given as they were', () => {
    const ops = frozen(structuredClone(cases['a value added, then changed inside']!));
    applyJsonPatch(notebook(), ops);
    expect(ops).toEqual(cases['a value added, then changed inside']);
  });

  it('says a failed test as a step failure, and changes nothing', () => {
    const target = frozen(notebook());
    const apply = () => applyJsonPatch(target, [{ op: 'remove', path: '/metadata/labels' }, { op: 'test', path: '/spec/template/spec/containers/1/name', value: 'other' }]);
    expect(apply).toThrow(StepFailure);
    expect(apply).toThrow('the JSON patch cannot be applied: a "test" operation did not hold');
    expect(target).toEqual(notebook());
  });

  it('refuses a path that does not exist', () => {
    expect(() => applyJsonPatch(frozen(notebook()), [{ op: 'remove', path: '/spec/absent/field' }])).toThrow(/the JSON patch cannot be applied/);
  });

  it('refuses to reach the prototype', () => {
    expect(() => applyJsonPatch({}, [{ op: 'add', path: '/__proto__/polluted', value: true }])).toThrow(/the JSON patch cannot be applied/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('applyPatchLocally', () => {
  it('refuses a JSON patch that is not a list', () => {
    expect(() => applyPatchLocally({}, 'json', { op: 'add' })).toThrow('a JSON patch must be a list of operations');
  });
});
