// YAML with positions: syntax errors reported once and where the mistake is, and positions inside
// a string value for errors found in templates and expressions.
import { describe, expect, it } from 'vitest';
import { parseSource, positionOf, positionWithin, type SourceFile } from '../../../src/runbook/source.js';

function parsed(text: string): SourceFile {
  const { source, problems } = parseSource('/rb/x.yaml', text);
  expect(problems).toEqual([]);
  return source!;
}

const at = (line: number, column: number) => ({ file: '/rb/x.yaml', line, column });

describe('parseSource', () => {
  it('reports every duplicate key, by name', () => {
    const { problems } = parseSource('/rb/x.yaml', 'a: 1\na: 2\nb:\n  "c": 1\n  "c": 2\n');
    expect(problems.map((p) => [p.message, p.at])).toEqual([
      ['YAML syntax: duplicate key "a"', at(2, 1)],
      ['YAML syntax: duplicate key "c"', at(5, 3)],
    ]);
  });

  it('reports one syntax error, not the ones it sets off', () => {
    const { problems } = parseSource('/rb/x.yaml', 'a:\n\t- b\n\t- c\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toBe('YAML syntax: Tabs are not allowed as indentation');
  });

  it('puts an unquoted template back as text, so the rest of the file keeps its meaning', () => {
    const { source, problems } = parseSource('/rb/x.yaml', 'a: {{ name }}\nb: [x, {{ y }}]\n');
    expect(problems.map((p) => p.at)).toEqual([at(1, 4), at(2, 8)]);
    expect(source!.value).toEqual({ a: '{{ name }}', b: ['x', '{{ y }}'] });
  });

  it('leaves a real flow mapping alone', () => {
    expect(parsed('a: { b: 1 }\n').value).toEqual({ a: { b: 1 } });
  });
});

describe('positionOf', () => {
  const s = parsed('steps:\n  - name: a\n    exec: { command: [x] }\n');

  it('finds values, keys, and the nearest ancestor of a missing path', () => {
    expect(positionOf(s, ['steps', 0, 'exec', 'command', 0])).toEqual(at(3, 23));
    expect(positionOf(s, ['steps', 0, 'exec'], true)).toEqual(at(3, 5));
    expect(positionOf(s, ['steps', 0, 'nope', 'deeper'])).toEqual(at(2, 5));
    expect(positionOf(s, ['steps', 5])).toEqual(at(2, 3));
  });
});

describe('positionWithin', () => {
  const s = parsed(
    [
      'plain: a == b +',
      "single: 'a == b +'",
      'double: "a == b +"',
      'escaped: "\\ta == b +"',
      'literal: |',
      '  first line',
      '  a == b +',
      'folded: >',
      '  a == b +',
      '',
    ].join('\n'),
  );
  const cases: [string, number, { line: number; column: number }][] = [
    ['plain', 5, { line: 1, column: 13 }],
    ['single', 5, { line: 2, column: 15 }],
    ['double', 5, { line: 3, column: 15 }],
    // An escape makes the text longer in the file than in the value: the value's start is safe.
    ['escaped', 5, { line: 4, column: 10 }],
    ['literal', 'first line\na == '.length, { line: 7, column: 8 }],
    ['folded', 5, { line: 8, column: 9 }],
  ];
  for (const [key, offset, want] of cases) {
    it(`${key} scalar, offset ${offset}`, () => {
      expect(positionWithin(s, [key], offset)).toEqual({ file: '/rb/x.yaml', ...want });
    });
  }
});
