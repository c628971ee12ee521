// CEL expressions as runbooks use them in when, until, forEach and assert: numbers from YAML and
// JSON, presence tests, optional chaining, the semver functions, plain JSON results and errors
// that say where.
import { describe, expect, it } from 'vitest';
import { ExpressionError, checkSyntax, evaluate, evaluateBoolean, syntaxError } from '../../../src/runbook/expressions.js';

const ctx = {
  obj: { status: { phase: 'Ready', conditions: [{ type: 'Available', status: 'True' }] }, spec: { replicas: 2 } },
  replicas: 3,
  ratio: 1.5,
  zones: ['east', 'west'],
  name: 'demo',
  nothing: null,
  unset: undefined,
  version: '4.19.9',
  // Strings before and after what CEL must convert (an int, an undefined), in lists and maps.
  mixed: [{ name: 'a' }, { name: 'b', port: 8080, tag: 'x' }, undefined, 'last'],
  record: { first: 'x', count: 2, gone: undefined, after: ['y', 3] },
};

describe('evaluate', () => {
  const cases: [string, unknown][] = [
    // Whole numbers are ints, as Kubernetes reads JSON integers; results are plain numbers.
    ['replicas * 2', 6],
    ['mixed[1].port + 1 == 8081 && mixed[1].tag == "x" && mixed[0].name == "a" && mixed[2] == null && mixed[3] == "last"', true],
    ['record.count * 2 + record.after[1] == 7 && record.first == "x" && record.gone == null && record.after[0] == "y"', true],
    ['record.after', ['y', 3]],
    ['replicas * 2 + size(zones)', 8],
    ['replicas / 2', 1],
    ['replicas == 3', true],
    ['replicas == 3.0', true],
    ['obj.spec.replicas < replicas', true],
    ['size(zones) == obj.spec.replicas', true],
    // Mixing an int and a double gives a double instead of "no such overload".
    ['replicas * ratio', 4.5],
    ['ratio * 2', 3],
    ['replicas + 0.5', 3.5],
    ['double(replicas) / 2.0', 1.5],
    ['int(ratio)', 1],
    // Presence and optional chaining.
    ['has(obj.status.phase)', true],
    ['has(obj.spec.paused)', false],
    ['obj.?spec.?paused.orValue(false)', false],
    ['obj.spec.?replicas.orValue(0)', 2],
    ['obj.status.conditions.exists(c, c.type == "Available" && c.status == "True")', true],
    ['zones.map(z, z + "-1")', ['east-1', 'west-1']],
    ['zones.filter(z, z.startsWith("e"))', ['east']],
    ['{"name": name, "count": replicas}', { name: 'demo', count: 3 }],
    ['[1, 2.5]', [1, 2.5]],
    ['nothing == null', true],
    ['unset == null', true],
    // Versions, coerced so "v4.20" and "4.19" compare.
    ['semverCompare(version, "4.19.10")', -1],
    ['semverCompare("v4.20", "4.20.0")', 0],
    ['semverGte(version, "4.19")', true],
    ['semverLt("4.19", version)', true],
    ['semverSatisfies("4.20.0-rc.1", ">=4.19")', true],
    ['semverSatisfies(version, ">=4.20 <5")', false],
  ];
  for (const [expression, want] of cases) {
    it(`${expression} → ${JSON.stringify(want)}`, () => {
      const got = evaluate(expression, ctx);
      expect(got).toEqual(want);
      expect(JSON.stringify(got)).toBe(JSON.stringify(want));
    });
  }

  it('ints come back as numbers, never BigInt, also inside lists and maps', () => {
    const hasBigInt = (v: unknown): boolean =>
      typeof v === 'bigint' || (typeof v === 'object' && v !== null && Object.values(v).some(hasBigInt));
    for (const e of ['replicas', 'size(zones)', 'semverCompare(version, "5.0")', '[replicas, [1]]', '{"n": {"m": replicas}}']) {
      expect(hasBigInt(evaluate(e, ctx)), e).toBe(false);
    }
    expect(typeof evaluate('replicas', ctx)).toBe('number');
  });

  const failures: [string, string][] = [
    ['obj.spec.paused', 'No such key: paused'],
    ['missingVar == 1', 'Unknown variable: missingVar'],
    ['name + 1', 'no such overload'],
    ['semverGte("abc", "1.0")', 'not a version: "abc"'],
    ['replicas / 0', 'division by zero'],
  ];
  for (const [expression, message] of failures) {
    it(`${expression} fails: ${message}`, () => {
      expect(() => evaluate(expression, ctx)).toThrow(ExpressionError);
      expect(() => evaluate(expression, ctx)).toThrow(message);
    });
  }
});

describe('evaluateBoolean', () => {
  it('returns a boolean, and refuses any other result', () => {
    expect(evaluateBoolean('replicas > 1', ctx)).toBe(true);
    expect(() => evaluateBoolean('replicas', ctx)).toThrow('expected true or false, got 3');
    expect(() => evaluateBoolean('name', ctx)).toThrow('expected true or false, got "demo"');
  });
});

describe('syntax errors', () => {
  const cases: [string, string, number][] = [
    ['replicas >', 'unexpected end of expression', 10],
    ['a && (b', 'expected ")", found the end of the expression', 7],
    ['a ==== b', 'unexpected "=="', 4],
    ['1 +* 2', 'unexpected "*"', 3],
    ['a ? b', 'expected ":", found the end of the expression', 5],
    ['x in [1, 2', 'expected "]", found the end of the expression', 10],
    ['a = b', 'unexpected character "="', 2],
    ['"abc', 'a string is not closed: add the closing quote', 0],
    ['a.b.', 'expected a name, found the end of the expression', 4],
  ];
  for (const [expression, message, offset] of cases) {
    it(`${JSON.stringify(expression)}: ${message} at ${offset}`, () => {
      expect(syntaxError(expression)).toEqual({ message, offset });
      expect(checkSyntax(expression)).toBe(message);
      expect(() => evaluate(expression, ctx)).toThrow(message);
    });
  }

  it('a valid expression has none', () => {
    expect(syntaxError('has(obj.status) && size(zones) > 0')).toBeUndefined();
    expect(checkSyntax('obj.?spec.orValue({})')).toBeUndefined();
  });
});

describe('values given back', () => {
  it('returns the objects a filter keeps as the objects it was given, not copies', () => {
    const objects = [{ name: 'a', n: 1 }, { name: 'b', n: 2 }, { name: 'c', n: 3 }];
    const kept = evaluate('objects.filter(o, o.n >= 2)', { objects }) as unknown[];
    expect(kept).toEqual([{ name: 'b', n: 2 }, { name: 'c', n: 3 }]);
    expect(kept[0]).toBe(objects[1]);
    expect(evaluate('object', { object: objects[0] })).toBe(objects[0]);
    // What an expression makes is converted back to JSON values: CEL ints become numbers.
    expect(evaluate('objects.map(o, {"n": o.n * 2})', { objects })).toEqual([{ n: 2 }, { n: 4 }, { n: 6 }]);
  });
});
