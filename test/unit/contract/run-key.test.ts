// Run keys: a node's id plus one [item-key] per enclosing loop, built, taken apart and matched.
import { describe, expect, it } from 'vitest';
import {
  anyRunKeyMatches,
  isInLoopItem,
  itemKeyOf,
  itemKeysAt,
  parseRunKey,
  runKeyMatches,
  runKeyOf,
  runKeyWithin,
  splitRunKey,
  withItemKey,
} from '../../../src/contract/run-key.js';

describe('building a run key', () => {
  it('appends one bracketed item key per loop, outermost first', () => {
    expect(withItemKey('convert/replace', 'ns/model')).toBe('convert/replace[ns/model]');
    expect(withItemKey('[a]', 'b')).toBe('[a][b]');
    expect(runKeyOf('outer/inner/x', ['a', 'b'])).toBe('outer/inner/x[a][b]');
    expect(runKeyOf('before/notify', [])).toBe('before/notify');
  });

  it('is parsed back into the same id and keys', () => {
    const keys = ['team-a/model', 'v1.2', '0'];
    expect(parseRunKey(runKeyOf('a/loop/step', keys))).toEqual({ id: 'a/loop/step', keys });
  });
});

describe('parsing a run key', () => {
  it('splits an id from its item keys', () => {
    expect(parseRunKey('before/notify')).toEqual({ id: 'before/notify', keys: [] });
    expect(parseRunKey('a/g[x][*]')).toEqual({ id: 'a/g', keys: ['x', '*'] });
  });

  it('refuses brackets that do not pair up, and empty keys', () => {
    for (const bad of ['a/g[x', 'a/g]', 'a/g[x]y', 'a/g[]', 'a/g[x][]', 'a/g[[x]]']) expect(parseRunKey(bad), bad).toBeUndefined();
  });

  it('splits at the first bracket into the plan id and the item suffix', () => {
    expect(splitRunKey('main/loop/g/x[a][b]')).toEqual({ id: 'main/loop/g/x', suffix: '[a][b]' });
    expect(splitRunKey('main/loop')).toEqual({ id: 'main/loop', suffix: '' });
  });

  it('tells a key inside a loop item from one outside', () => {
    expect(isInLoopItem('a/g[x]')).toBe(true);
    expect(isInLoopItem('a/g')).toBe(false);
  });

  it("reads an item's key off a key of that loop only", () => {
    expect(itemKeyOf('a/loop[ns/x]', 'a/loop')).toBe('ns/x');
    expect(itemKeyOf('a/loop[p][q]', 'a/loop[p]')).toBe('q');
    expect(itemKeyOf('a/loop2[x]', 'a/loop')).toBeUndefined();
    expect(itemKeyOf('a/loop', 'a/loop')).toBeUndefined();
  });

  it('lists the item keys recorded under a loop, each once, in the order met', () => {
    const state = ['a/loop', 'a/loop/s[x]', 'a/loop/s[y]', 'a/loop/t[x]', 'a/loop/s[x]', 'a/other/s[z]', 'a/loop/s2[w]'];
    expect(itemKeysAt(state, 'a/loop/s')).toEqual(['x', 'y']);
    expect(itemKeysAt(['o/i/s[a][b]', 'o/i/s[a][c]', 'o/i/s[d][e]'], 'o/i/s[a]')).toEqual(['b', 'c']);
    expect(itemKeysAt(state, 'a/none')).toEqual([]);
  });
});

describe('a run key within another', () => {
  const cases: [string, string, boolean][] = [
    ['main/loop', 'main/loop', true],
    ['main/loop', 'main/loop/g/x[a]', true],
    ['main/loop/g[a]', 'main/loop/g/x[a]', true],
    ['main/loop/g[a]', 'main/loop/g/x[b]', false],
    ['main/loop/g[a]', 'main/loop/g[a][b]', true],
    ['main/loop/g', 'main/loop/gx', false],
    ['main/loop/g/x', 'main/loop/g', false],
  ];
  for (const [outer, inner, within] of cases) {
    it(`${outer} ${within ? 'holds' : 'does not hold'} ${inner}`, () => expect(runKeyWithin(outer, inner)).toBe(within));
  }
});

describe('matching --approve patterns', () => {
  const cases: [string, string, boolean][] = [
    ['before/notify', 'before/notify', true],
    ['convert/replace[*]', 'convert/replace[ns/model]', true],
    ['convert/replace[team-a/*]', 'convert/replace[team-a/model]', true],
    ['convert/replace[team-a/*]', 'convert/replace[team-b/model]', false],
    ['convert/replace[*]', 'convert/replace', false],
    ['convert/replace[*]', 'convert/replace[a][b]', false],
    ['convert/other[*]', 'convert/replace[a]', false],
    // Glob characters other than * are plain text.
    ['a/g[x.y]', 'a/g[xzy]', false],
    ['a/g[(x)]', 'a/g[(x)]', true],
  ];
  for (const [pattern, key, matches] of cases) {
    it(`${pattern} ${matches ? 'names' : 'does not name'} ${key}`, () => expect(runKeyMatches(pattern, key)).toBe(matches));
  }

  it('passes a key named by any of several patterns', () => {
    expect(anyRunKeyMatches(['x', 'convert/replace[*]'], 'convert/replace[a]')).toBe(true);
    expect(anyRunKeyMatches(new Set(['x', 'y[*]']), 'convert/replace[a]')).toBe(false);
    expect(anyRunKeyMatches([], 'x')).toBe(false);
  });
});
