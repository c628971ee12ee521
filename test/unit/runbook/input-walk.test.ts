// One walk of a step's input finds its templates and its expression fields, at their paths, as
// the step type declares them.
import { describe, expect, it } from 'vitest';
import { walkInput, type InputFields } from '../../../src/runbook/input-walk.js';

function finds(input: unknown, fields: InputFields): string[] {
  const out: string[] = [];
  walkInput(input, fields, {
    template: (text, at) => out.push(`template ${at.join('/')}: ${text}`),
    expression: (value, at, field) => out.push(`expression ${field} at ${at.join('/')}: ${JSON.stringify(value)}`),
  });
  return out;
}

describe('walkInput', () => {
  const fields: InputFields = { expressionFields: ['for.expression', 'failWhen[].expression', 'select', 'matrix[][]'], rawFields: ['script'] };

  it('hands over each expression field and each template, with its path', () => {
    const input = {
      for: { expression: 'a > 1', other: '{{ t1 }}' },
      failWhen: [{ expression: 'b', message: '{{ t2 }}' }, { expression: ['c', 'd'] }],
      select: ['x', 'y'],
      matrix: [['m == 1', 'plain'], 'not an item of an item'],
      script: '{{ left as written }}',
      deep: { list: [['{{ t3 }}', 'no template', 7, null, true]] },
    };
    expect(finds(input, fields)).toEqual([
      'expression for.expression at for/expression: "a > 1"',
      'template for/other: {{ t1 }}',
      'expression failWhen[].expression at failWhen/0/expression: "b"',
      'template failWhen/0/message: {{ t2 }}',
      'expression failWhen[].expression at failWhen/1/expression: ["c","d"]',
      'expression select at select: ["x","y"]',
      'expression matrix[][] at matrix/0/0: "m == 1"',
      'expression matrix[][] at matrix/0/1: "plain"',
      // matrix/1 is a string where a list was declared: neither an expression nor a template.
      'template deep/list/0/0: {{ t3 }}',
    ]);
  });

  it('leaves raw fields alone only at the top, and reads a field of that name deeper', () => {
    expect(finds({ script: '{{ a }}', nested: { script: '{{ b }}' } }, fields)).toEqual(['template nested/script: {{ b }}']);
  });

  it('finds only templates where the type declares no fields, a string input included', () => {
    expect(finds({ for: { expression: '{{ x }}' }, list: ['{{ y }}'] }, {})).toEqual(['template for/expression: {{ x }}', 'template list/0: {{ y }}']);
    expect(finds('{{ whole }}', {})).toEqual(['template : {{ whole }}']);
    expect(finds(undefined, fields)).toEqual([]);
  });

  it('matches a field only where its whole path does', () => {
    // `expression` alone, or under another parent, is no expression field.
    expect(finds({ expression: '{{ a }}', other: { expression: '{{ b }}' }, for: [{ expression: 'c' }] }, fields)).toEqual([
      'template expression: {{ a }}',
      'template other/expression: {{ b }}',
    ]);
  });
});
