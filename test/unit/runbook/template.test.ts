// Handlebars templates as runbooks use them: strict about unknown names, a lone reference keeps
// its type, the helpers, and the static inspection the validator relies on.
import { describe, expect, it } from 'vitest';
import { HELPER_NAMES, TemplateError, inspectTemplate, isTemplate, renderDeep, renderString, renderText } from '../../../src/runbook/template.js';

const ctx = {
  name: 'demo',
  replicas: 3,
  zones: ['east', 'west'],
  obj: { a: { b: 1 } },
  empty: '',
  nothing: null,
  flag: false,
  version: '4.19.9',
  'dash-name': 'x',
};

describe('renderString', () => {
  const cases: [string, unknown][] = [
    ['{{ replicas }}', 3],
    ['{{replicas}}', 3],
    [' {{ replicas }} ', 3],
    ['{{{ obj }}}', { a: { b: 1 } }],
    ['{{ obj.a.b }}', 1],
    ['{{ zones }}', ['east', 'west']],
    ['{{ zones.0 }}', 'east'],
    ['{{ flag }}', false],
    ['{{ nothing }}', null],
    ['{{ dash-name }}', 'x'],
    ['{{ @root.name }}', 'demo'],
    ['n={{ replicas }}', 'n=3'],
    ['<{{ name }}>&', '<demo>&'],
    ['{{#if flag}}on{{else}}off{{/if}}', 'off'],
    ['{{#each zones}}{{this}};{{/each}}', 'east;west;'],
  ];
  for (const [template, want] of cases) {
    it(`${template} → ${JSON.stringify(want)}`, () => {
      expect(renderString(template, ctx)).toEqual(want);
    });
  }

  const unknown: [string, string][] = [
    ['{{ missing }}', '"missing" is not defined'],
    ['x-{{ missing }}', '"missing" is not defined'],
    ['{{ obj.a.c }}', '"obj.a.c" is not defined'],
    ['x{{ obj.a.c }}', '"obj.a.c" is not defined'],
    ['{{ obj.x.y }}', '"obj.x" is not defined'],
    ['{{ default missing.x "fb" }}', '"missing.x" is not defined: "missing" is undefined'],
  ];
  it('two values side by side are joined as text, not added', () => {
    expect(renderString('{{ replicas }}{{ replicas }}', ctx)).toBe('33');
    expect(renderText('{{ obj.a.b }}{{ replicas }}', ctx)).toBe('13');
    expect(renderText('{{#if name}}{{ replicas }}{{ obj.a.b }}{{/if}}', ctx)).toBe('31');
    expect(renderText('{{#each zones}}{{ @index }}{{ @index }}{{/each}}', ctx)).toBe('0011');
  });

  it('a block on a line of its own leaves no blank line (manifests rely on it)', () => {
    expect(renderText('{{#if name}}\nkind: A\n{{/if}}\nb: 1\n', ctx)).toBe('kind: A\nb: 1\n');
  });

  it('a syntax error found at render time is explained as the validator explains it', () => {
    expect(() => renderText('{{ name }', ctx)).toThrow('unexpected "}": expected "}}"');
  });

  for (const [template, message] of unknown) {
    it(`${template} fails: ${message}`, () => {
      expect(() => renderString(template, ctx)).toThrow(TemplateError);
      expect(() => renderString(template, ctx)).toThrow(message);
    });
  }
});

describe('helpers', () => {
  const cases: [string, string][] = [
    ['{{ json zones }}', '["east","west"]'],
    ['{{ json obj }}', '{"a":{"b":1}}'],
    ['{{ yaml obj }}', 'a:\n  b: 1'],
    ['{{ default empty "fb" }}', 'fb'],
    ['{{ default nothing "fb" }}', 'fb'],
    ['{{ default name "fb" }}', 'demo'],
    ['{{ default flag "fb" }}', 'false'],
    ['{{ base64 name }}', 'ZGVtbw=='],
    ['{{ base64decode "ZGVtbw==" }}', 'demo'],
    ['{{ lower "ABC" }}', 'abc'],
    ['{{ upper name }}', 'DEMO'],
    ['{{ trim "  a  " }}', 'a'],
    ['{{ quote name }}', '"demo"'],
    ['{{ join zones "," }}', 'east,west'],
    ['{{ indent (yaml obj) 4 }}', '    a:\n      b: 1'],
    ['{{ eq replicas 3 }}', 'true'],
    ['{{#if (and (eq replicas 3) (not flag))}}yes{{/if}}', 'yes'],
    ['{{ semverCompare version "4.20" }}', '-1'],
    ['{{ semverCompare "v4.20.1" "4.20.1" }}', '0'],
    ['{{ semverGte version "4.19" }}', 'true'],
    ['{{ semverLt version "4.19" }}', 'false'],
    ['{{ semverSatisfies version ">=4.18 <5" }}', 'true'],
    ['{{ semverSatisfies "4.20.0-rc.1" ">=4.19" }}', 'true'],
  ];
  for (const [template, want] of cases) {
    it(`${template} → ${JSON.stringify(want)}`, () => {
      expect(renderText(template, ctx)).toBe(want);
    });
  }

  it('a semver helper given something that is not a version says so', () => {
    expect(() => renderText('{{ semverGte "abc" "1.0" }}', ctx)).toThrow('not a version: "abc"');
  });

  it('every registered helper is a known helper name', () => {
    for (const h of ['json', 'yaml', 'default', 'base64', 'lower', 'upper', 'semverCompare', 'semverGte', 'semverLt', 'semverSatisfies', 'if', 'each']) {
      expect(HELPER_NAMES.has(h)).toBe(true);
    }
  });
});

describe('renderDeep and isTemplate', () => {
  it('renders template strings anywhere in a value, keeping single references typed', () => {
    const input = { count: '{{ replicas }}', args: ['get', '{{ name }}-x'], keep: 'plain', n: 1, raw: '{{ name }}' };
    expect(renderDeep(input, ctx, ['raw'])).toEqual({ count: 3, args: ['get', 'demo-x'], keep: 'plain', n: 1, raw: '{{ name }}' });
  });

  it('a template is a string containing {{', () => {
    expect(isTemplate('a {{ b }}')).toBe(true);
    expect(isTemplate('a { b }')).toBe(false);
    expect(isTemplate(3)).toBe(false);
  });
});

describe('inspectTemplate', () => {
  it('lists the names read and the helpers called, with where they are written', () => {
    const t = '{{ a }} {{ b.c }} {{ json d }} {{ default (lower k) "x" }}';
    const { refs, helpers, error } = inspectTemplate(t);
    expect(error).toBeUndefined();
    expect(refs.map((r) => [r.name, r.path, t.slice(r.offset, r.offset + r.path.length)])).toEqual([
      ['a', 'a', 'a'],
      ['b', 'b.c', 'b.c'],
      ['d', 'd', 'd'],
      ['k', 'k', 'k'],
    ]);
    expect(helpers.map((h) => [h.name, t.slice(h.offset, h.offset + h.name.length)])).toEqual([
      ['json', 'json'],
      ['default', 'default'],
      ['lower', 'lower'],
    ]);
  });

  it('walks if/else bodies, but not each/with bodies, whose names are relative to the item', () => {
    const { refs } = inspectTemplate('{{#if e}}{{ f }}{{else if g}}{{ h }}{{else}}{{ i }}{{/if}}{{#each list}}{{ name }}{{/each}}{{ @root.x }}{{ this }}');
    expect(refs.map((r) => r.name)).toEqual(['e', 'f', 'g', 'h', 'i', 'list']);
  });

  it('gives offsets on later lines of a multi-line template', () => {
    const t = 'line one\n  {{ second }}';
    expect(t.slice(inspectTemplate(t).refs[0]!.offset)).toBe('second }}');
  });

  const errors: [string, string, string][] = [
    ['{{ ns }', 'unexpected "}": expected "}}"', '}'],
    ['a {{#if x}}b', '{{#if}} is not closed: add {{/if}}', '{{#if x}}b'],
    ['{{/if}}', 'a {{/block}} closes a block that was never opened', '{{/if}}'],
    ['{{ }}', 'empty {{ }}: write a name or a helper call inside', '}}'],
    ['{{#each xs}}{{/with}}', '{{/with}} does not close {{#each}}', '{{/with}}'],
    ['0123456789012345678901234567890 {{ a b c }', 'unexpected "}": expected "}}"', '}'],
  ];
  for (const [t, message, from] of errors) {
    it(`syntax error in ${JSON.stringify(t)}: ${message}`, () => {
      const { error } = inspectTemplate(t);
      expect(error?.message).toBe(message);
      expect(t.slice(error!.offset)).toBe(from);
    });
  }
});
