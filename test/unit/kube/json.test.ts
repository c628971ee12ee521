// JSON helpers: the deep copy the patch and diff code makes of every object it touches.
import { describe, expect, it } from 'vitest';
import { cloneJson, deepEqual } from '../../../src/kube/json.js';

describe('cloneJson', () => {
  it('copies objects and lists all the way down', () => {
    const original = { metadata: { name: 'nb', labels: { app: 'x' } }, spec: { containers: [{ name: 'a', ports: [{ containerPort: 8888 }] }] }, n: null, t: true };
    const copy = cloneJson(original);
    expect(copy).toEqual(original);
    copy.metadata.labels.app = 'y';
    copy.spec.containers[0]!.ports.push({ containerPort: 1 });
    expect(original.metadata.labels.app).toBe('x');
    expect(original.spec.containers[0]!.ports).toHaveLength(1);
  });

  it('keeps a "__proto__" field as a field', () => {
    const original = JSON.parse('{"a": {"__proto__": {"polluted": true}, "b": 1}}') as { a: Record<string, unknown> };
    const copy = cloneJson(original);
    expect(Object.getPrototypeOf(copy.a)).toBe(Object.prototype);
    expect((copy.a as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.keys(copy.a)).toEqual(['__proto__', 'b']);
    expect(deepEqual(copy, original)).toBe(true);
  });

  it('copies values that are not plain JSON as structuredClone does, and leaves scalars and undefined', () => {
    const when = new Date('2026-01-02T03:04:05Z');
    const copy = cloneJson({ when, list: [when] });
    expect(copy.when).toBeInstanceOf(Date);
    expect(copy.when).not.toBe(when);
    expect(copy.when.getTime()).toBe(when.getTime());
    expect(cloneJson(undefined)).toBeUndefined();
    expect(cloneJson('s')).toBe('s');
    expect(cloneJson(3)).toBe(3);
  });
});
