// The proxy that tells the state journal which entries of a record were set since the last line,
// without scanning the record.
import { describe, expect, it } from 'vitest';
import { DirtyKeys } from '../../../src/engine/dirty-keys.js';

describe('DirtyKeys', () => {
  it('takes the entries set since the last take, with their current values, once', () => {
    const record: Record<string, unknown> = { a: 1 };
    const t = new DirtyKeys(record);
    expect(t.take()).toBeUndefined();
    t.proxy.b = 2;
    t.proxy.b = 3;
    Object.defineProperty(t.proxy, 'c', { value: 4, enumerable: true, configurable: true, writable: true });
    expect(t.take()).toEqual({ b: 3, c: 4 });
    expect(t.take()).toBeUndefined();
    // Reads and JSON go through: the record is the same record.
    expect(JSON.stringify(t.proxy)).toBe('{"a":1,"b":3,"c":4}');
    expect(record.b).toBe(3);
    expect(t.removed).toBe(false);
  });

  it('notes a removal, for which the whole record is written again', () => {
    const t = new DirtyKeys({ a: 1 });
    delete t.proxy.a;
    expect(t.removed).toBe(true);
    expect(t.proxy).toEqual({});
  });

  it('a record behind an earlier proxy is tracked afresh, not proxied twice', () => {
    const first = new DirtyKeys({});
    first.proxy.a = 1;
    const second = new DirtyKeys(first.proxy);
    second.proxy.b = 2;
    expect(second.take()).toEqual({ b: 2 });
    // The first tracker no longer sees writes through the second proxy.
    expect(first.take()).toEqual({ a: 1 });
  });
});
