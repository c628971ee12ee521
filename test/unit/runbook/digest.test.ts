import { describe, expect, it } from 'vitest';
import { digest, withDigest } from '../../../src/runbook/digest.js';

describe('withDigest', () => {
  it('computes the digest when it is first read, once', () => {
    let computed = 0;
    const node = withDigest({ id: 'a' }, () => {
      computed++;
      return { input: 1 };
    });
    expect(computed).toBe(0);
    expect(node.digest).toBe(digest({ input: 1 }));
    expect(node.digest).toBe(digest({ input: 1 }));
    expect(computed).toBe(1);
  });

  it('is seen as a plain value by JSON and by a spread copy', () => {
    const node = withDigest({ id: 'a' }, () => 'x');
    expect(JSON.parse(JSON.stringify(node))).toEqual({ id: 'a', digest: digest('x') });
    const copy = { ...node };
    expect(Object.getOwnPropertyDescriptor(copy, 'digest')).toMatchObject({ value: digest('x'), enumerable: true });
  });

  it('follows what the node holds when read: a step put into a group later changes the group', () => {
    const children = [{ digest: 'one' }];
    const group = withDigest({ children }, () => children.map((c) => c.digest));
    const before = digest(['one']);
    children.push({ digest: 'two' });
    expect(group.digest).not.toBe(before);
    expect(group.digest).toBe(digest(['one', 'two']));
  });
});

describe('digest', () => {
  it('is 16 hex digits that differ for different values', () => {
    expect(digest({ a: 1 })).toMatch(/^[0-9a-f]{16}$/);
    expect(digest({ a: 1 })).not.toBe(digest({ a: 2 }));
  });
});
