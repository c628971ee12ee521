// Mapping a JSON list or map copies it only from the first entry that changes, keeps the order,
// and gives back the very same list or map when nothing changed.
import { describe, expect, it } from 'vitest';
import { mapListOnChange, mapRecordOnChange } from '../../../src/contract/copy-on-change.js';

const double = (v: unknown): unknown => (typeof v === 'number' ? v * 2 : v);

describe('copy on change', () => {
  it('gives back the same list and map when no entry changes', () => {
    const list = ['a', { b: 1 }];
    const record = { a: 'x', b: list };
    expect(mapListOnChange(list, (v) => v)).toBe(list);
    expect(mapRecordOnChange(record, (v) => v)).toBe(record);
  });

  it('copies from the first change, keeping the entries before it and the order', () => {
    const shared = { keep: true };
    const list = [shared, 'x', 2, 'y'];
    const mapped = mapListOnChange(list, double);
    expect(mapped).toEqual([shared, 'x', 4, 'y']);
    expect(mapped).not.toBe(list);
    expect(mapped[0]).toBe(shared);
    expect(list).toEqual([shared, 'x', 2, 'y']);

    const record = { first: shared, n: 3, last: 'z' };
    const out = mapRecordOnChange(record, double);
    expect(Object.entries(out)).toEqual([['first', shared], ['n', 6], ['last', 'z']]);
    expect(out.first).toBe(shared);
    expect(record.n).toBe(3);
  });

  it('maps keys too, when asked', () => {
    const record = { a: 1, secret: 'v' };
    expect(mapRecordOnChange(record, (v) => v, (k) => (k === 'secret' ? '***' : k))).toEqual({ a: 1, '***': 'v' });
    expect(mapRecordOnChange(record, (v) => v, (k) => k)).toBe(record);
  });

  it('keeps an entry named __proto__ as an entry', () => {
    const record = JSON.parse('{"__proto__": {"polluted": true}, "n": 1}') as Record<string, unknown>;
    const out = mapRecordOnChange(record, double);
    expect(Object.keys(out)).toEqual(['__proto__', 'n']);
    expect(out.n).toBe(2);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true},"n":2}');
  });
});
