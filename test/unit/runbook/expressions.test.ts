// A function is checked by how it is called, against the overloads the runtime registers: the
// style (global or on a receiver), the number of arguments and, where a literal shows it, their
// types. Every call reported here throws "no matching overload" when evaluated.
import { describe, expect, it } from 'vitest';
import { evaluate, syntaxError, unknownFunction } from '../../../src/runbook/expressions.js';

describe('calls checked by how they are called', () => {
  it.each([
    ['orValue(vars.v, "x") == "x"', 0, 'orValue is not called like that: write x.orValue(y)'],
    ['vars.v.semverGte("1.0.0")', 7, 'semverGte is not called like that: write semverGte(x, y)'],
    ['vars.v.startsWith("1") && startsWith(vars.v, "1")', 26, 'startsWith is not called like that: write x.startsWith(y)'],
    ['size(x, 1)', 0, 'size is not called like that: write size(x) or x.size()'],
    ['bind(a, 1, a)', 0, 'write cel.bind(x, y, z)'],
    ['size(1) > 0', 0, 'size(int): size takes size(string) or size(bytes) or size(list<dyn>) or size(map<dyn, dyn>)'],
    ['semverGte(1, "1.0.0")', 0, 'semverGte(int, string): semverGte takes semverGte(string, string)'],
    ['"abc".startsWith(1)', 6, 'string.startsWith(int): startsWith takes string.startsWith(string)'],
    ['x.filter(i, i.name.startsWith(1)).size() > 0', 19, 'dyn.startsWith(int)'],
  ])('%s', (expression, offset, message) => {
    const error = syntaxError(expression);
    expect(error?.message).toContain(message);
    expect(error?.offset).toBe(offset);
    // What the check stands for: the runtime refuses the call.
    expect(() => evaluate(expression, { vars: { v: '1.0.0' }, x: [{ name: 'a' }], a: 1 })).toThrow(/no matching overload|not called/);
  });

  it.each([
    'vars.v.startsWith("1")',
    'semverGte(vars.v, "1.0.0") && semverSatisfies(vars.v, ">=1.0.0 <2")',
    '"abc".size() > 1 && size("abc") > 1',
    'vars.?a.orValue(1) == 1',
    'x.all(k, k > 1) && {"a": 1}.all(k, k == "a") && [1, 2].map(i, i * 2).size() == 2',
    'cel.bind(a, 1, a + 1) == 2 && optional.of(1).hasValue()',
    'size(x) == 0 && dyn(x).size() == 0 && string(1) == "1" && int("1") == 1',
    'type(x) == list && has(vars.v)',
    'dropKeys({"a": 1}, "a") == {} && mergePatch({"a": 1}, {"b": 2}).b == 2',
    'shellSplit("a b").size() == 2 && "a,b".split(",").join(",") == "a,b" && "abc".substring(1, 2) == "b"',
  ])('accepts %s', (expression) => {
    expect(syntaxError(expression)).toBeUndefined();
    expect(unknownFunction(expression)).toBeUndefined();
    expect(evaluate(expression, { vars: { v: '1.0.0' }, x: [] })).toBe(true);
  });

  it('finds an unknown function wherever it is called, after known ones', () => {
    expect(unknownFunction('size(x) > 0 && x.exists(i, nosuch(i))')).toEqual({ name: 'nosuch', offset: 27 });
    expect(unknownFunction('name.startWith("a")')).toEqual({ name: 'startWith', offset: 5 });
  });
});
