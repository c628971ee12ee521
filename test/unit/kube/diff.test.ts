import { describe, expect, it } from 'vitest';
import { containsDesired, findDifferences, patchOutcome, withoutServerFields, yamlDiff } from '../../../src/kube/diff.js';
import { unifiedDiff } from '../../../src/kube/line-diff.js';

const live = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'demo', labels: { app: 'web', tier: 'front' }, resourceVersion: '42' },
  spec: {
    replicas: 2,
    template: {
      spec: {
        containers: [
          { name: 'web', image: 'nginx:1', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }] },
          { name: 'sidecar', image: 'proxy:2' },
        ],
      },
    },
  },
};

describe('findDifferences / containsDesired', () => {
  const cases: { name: string; desired: unknown; contains: boolean; paths?: string[] }[] = [
    { name: 'empty desired', desired: {}, contains: true },
    { name: 'subset of labels', desired: { metadata: { labels: { app: 'web' } } }, contains: true },
    { name: 'changed scalar', desired: { spec: { replicas: 3 } }, contains: false, paths: ['spec.replicas'] },
    { name: 'missing key', desired: { spec: { paused: true } }, contains: false, paths: ['spec.paused'] },
    {
      name: 'named list matched by name regardless of order',
      desired: { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'proxy:2' }, { name: 'web', image: 'nginx:1' }] } } } },
      contains: true,
    },
    {
      name: 'named list item field differs',
      desired: { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } },
      contains: false,
      paths: ['spec.template.spec.containers[name=web].image'],
    },
    {
      name: 'named list item missing',
      desired: { spec: { template: { spec: { containers: [{ name: 'extra', image: 'x' }] } } } },
      contains: false,
      paths: ['spec.template.spec.containers[name=extra]'],
    },
    {
      name: 'positional list items may carry defaulted fields',
      desired: { spec: { template: { spec: { containers: [{ name: 'web', ports: [{ containerPort: 80 }] }] } } } },
      contains: true,
    },
    {
      name: 'positional list of different length',
      desired: { spec: { template: { spec: { containers: [{ name: 'web', ports: [{ containerPort: 80 }, { containerPort: 81 }] }] } } } },
      contains: false,
      paths: ['spec.template.spec.containers[name=web].ports'],
    },
    { name: 'null means absent: absent', desired: { spec: { paused: null } }, contains: true },
    { name: 'null means absent: present', desired: { metadata: { labels: { tier: null } } }, contains: false, paths: ['metadata.labels.tier'] },
    { name: 'empty map matches missing field', desired: { spec: { strategy: {} } }, contains: true },
    { name: 'key with dots is quoted', desired: { metadata: { labels: { 'app.kubernetes.io/name': 'web' } } }, contains: false, paths: ['metadata.labels["app.kubernetes.io/name"]'] },
    { name: 'type mismatch', desired: { spec: { replicas: '2' } }, contains: false, paths: ['spec.replicas'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(containsDesired(live, c.desired)).toBe(c.contains);
      if (c.paths) expect(findDifferences(live, c.desired).map((d) => d.path)).toEqual(c.paths);
    });
  }

  it('reports expected and actual values', () => {
    expect(findDifferences(live, { spec: { replicas: 5 } })).toEqual([{ path: 'spec.replicas', expected: 5, actual: 2 }]);
  });
});

describe('patchOutcome', () => {
  it('merge patch that sets the current value changes nothing', () => {
    expect(patchOutcome(live, 'merge', { spec: { replicas: 2 } }).changed).toBe(false);
  });
  it('merge patch with a new value changes and returns the result', () => {
    const out = patchOutcome(live, 'merge', { spec: { replicas: 4 }, metadata: { labels: { tier: null } } });
    expect(out.changed).toBe(true);
    expect((out.result as typeof live).spec.replicas).toBe(4);
    expect((out.result as typeof live).metadata.labels).toEqual({ app: 'web' });
  });
  it('merge patch deleting an absent key changes nothing', () => {
    expect(patchOutcome(live, 'merge', { metadata: { annotations: null } }).changed).toBe(false);
  });
  it('merge patch replaces lists as a whole', () => {
    const out = patchOutcome(live, 'merge', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } } });
    expect(out.changed).toBe(true);
  });
  it('json patch replace with the same value changes nothing', () => {
    expect(patchOutcome(live, 'json', [{ op: 'replace', path: '/spec/replicas', value: 2 }]).changed).toBe(false);
  });
  it('json patch add changes and does not touch the input', () => {
    const before = JSON.stringify(live);
    const out = patchOutcome(live, 'json', [{ op: 'add', path: '/metadata/labels/new', value: 'x' }]);
    expect(out.changed).toBe(true);
    expect(JSON.stringify(live)).toBe(before);
  });
  it('json patch whose test fails is reported clearly', () => {
    expect(() => patchOutcome(live, 'json', [{ op: 'test', path: '/spec/replicas', value: 9 }])).toThrow(/test/);
  });
  it('json patch on a missing path is reported clearly', () => {
    expect(() => patchOutcome(live, 'json', [{ op: 'replace', path: '/spec/nothing/here', value: 1 }])).toThrow(/cannot be applied/);
  });
  it('strategic and apply patches compare by containment', () => {
    expect(patchOutcome(live, 'strategic', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } } }).changed).toBe(false);
    const out = patchOutcome(live, 'apply', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } });
    expect(out.changed).toBe(true);
    // the sidecar survives: named lists merge by name
    const containers = (out.result as typeof live).spec.template.spec.containers;
    expect(containers.map((c) => `${c.name}=${c.image}`)).toEqual(['web=nginx:2', 'sidecar=proxy:2']);
  });
});

describe('yamlDiff', () => {
  it('is empty for equal objects, ignoring key order and server fields', () => {
    const reordered = { spec: live.spec, kind: live.kind, apiVersion: live.apiVersion, metadata: { ...live.metadata, resourceVersion: '99', managedFields: [{}] } };
    expect(yamlDiff(live, reordered)).toBe('');
  });
  it('shows a changed field with context and a hunk header', () => {
    const after = structuredClone(live);
    after.spec.replicas = 3;
    const text = yamlDiff(live, after);
    expect(text).toContain('--- live\n+++ desired\n');
    expect(text).toMatch(/@@ -\d+,\d+ \+\d+,\d+ @@/);
    expect(text).toContain('-  replicas: 2\n+  replicas: 3');
    expect(text.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'))).toHaveLength(1);
  });
  it('renders creation and deletion', () => {
    expect(yamlDiff(null, { a: 1 })).toBe('--- (absent)\n+++ desired\n@@ -0,0 +1,1 @@\n+a: 1\n');
    expect(yamlDiff({ a: 1 }, null)).toBe('--- live\n+++ (absent)\n@@ -1,1 +0,0 @@\n-a: 1\n');
  });
  it('strips status and last-applied annotations unless raw', () => {
    const obj = { metadata: { name: 'x', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } }, status: { phase: 'A' } };
    expect(withoutServerFields(obj)).toEqual({ metadata: { name: 'x' } });
    expect(yamlDiff(obj, { ...obj, status: { phase: 'B' } })).toBe('');
    expect(yamlDiff(obj, { ...obj, status: { phase: 'B' } }, { raw: true })).toContain('+  phase: B');
  });
});

describe('unifiedDiff', () => {
  it('splits far-apart changes into separate hunks', () => {
    const a = Array.from({ length: 20 }, (_, i) => `line ${i}`);
    const b = [...a];
    b[1] = 'changed 1';
    b[18] = 'changed 18';
    const text = unifiedDiff(a.join('\n'), b.join('\n'), 'a', 'b', 2);
    expect(text.match(/^@@/gm)).toHaveLength(2);
    expect(text).toContain('@@ -1,4 +1,4 @@');
    expect(text).toContain('@@ -17,4 +17,4 @@');
  });
  it('handles insertions in the middle', () => {
    expect(unifiedDiff('a\nb\nc\n', 'a\nb\nx\nc\n', 'a', 'b', 1)).toBe('--- a\n+++ b\n@@ -2,2 +2,3 @@\n b\n+x\n c\n');
  });
});
