// Var values: where they come from (given, import binding, inherited by name, default), how text
// from --var and the environment becomes the declared type, and which values count as secrets.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Plan, VarScope, VarSpec, VarType } from '../../src/runbook/types.js';
import { coerce, parseVarFlags, readVarsFile, resolveVars, varsFromEnv } from '../../src/runbook/vars.js';

const at = { file: '/rb/main.yaml', line: 1, column: 1 };

function spec(name: string, fields: Partial<VarSpec> = {}): VarSpec {
  return { name, type: 'string', required: false, secret: false, at, ...fields };
}

function plan(root: VarSpec[], imported: Omit<VarScope, 'file'>[] = []): Plan {
  const scopes: Record<string, VarScope> = { '': { id: '', file: '/rb/main.yaml', vars: root, bindings: {} } };
  for (const s of imported) scopes[s.id] = { file: `/rb/${s.id}.yaml`, ...s };
  return { name: 'demo', file: '/rb/main.yaml', digest: 'x', sections: [], scopes, followUps: [] };
}

describe('coerce', () => {
  const ok: [VarType, unknown, unknown][] = [
    ['string', 'abc', 'abc'],
    ['string', 3, '3'],
    ['string', true, 'true'],
    ['number', '3', 3],
    ['number', '-2.5', -2.5],
    ['number', 7, 7],
    ['boolean', 'true', true],
    ['boolean', 'false', false],
    ['boolean', false, false],
    ['list', '[east, west]', ['east', 'west']],
    ['list', '["a", 1]', ['a', 1]],
    ['list', ['x'], ['x']],
    ['object', '{name: demo, replicas: 2}', { name: 'demo', replicas: 2 }],
    ['object', '{"a": {"b": true}}', { a: { b: true } }],
    ['string', undefined, undefined],
    ['number', null, null],
  ];
  for (const [type, given, want] of ok) {
    it(`${type}: ${JSON.stringify(given)} → ${JSON.stringify(want)}`, () => {
      expect(coerce(given, { type })).toEqual(want);
    });
  }

  const bad: [VarType, unknown, string][] = [
    ['number', 'many', 'expected a number, got "many"'],
    ['number', '', 'expected a number, got ""'],
    ['number', '  ', 'expected a number'],
    ['number', true, 'expected a number, got true'],
    ['number', 'Infinity', 'expected a number'],
    ['boolean', 'yes', 'expected true or false, got "yes"'],
    ['boolean', 1, 'expected true or false, got 1'],
    ['list', 'east,west', 'expected a list, got "east,west"'],
    ['list', '[east', 'expected a list, got "[east"'],
    ['list', '{a: 1}', 'expected a list'],
    ['object', '[1, 2]', 'expected a mapping, got "[1, 2]"'],
    ['object', 'plain', 'expected a mapping'],
    ['string', { a: 1 }, 'expected a string, got {"a":1}'],
  ];
  for (const [type, given, message] of bad) {
    it(`${type}: ${JSON.stringify(given)} is an error`, () => {
      expect(() => coerce(given, { type })).toThrow(message);
    });
  }
});

describe('resolveVars', () => {
  it('a given value wins over the default; given text becomes the declared type', () => {
    const p = plan([
      spec('namespace', { default: 'opendatahub' }),
      spec('replicas', { type: 'number', default: 1 }),
      spec('verbose', { type: 'boolean', default: false }),
      spec('zones', { type: 'list', default: ['east'] }),
    ]);
    const { vars, problems } = resolveVars(p, { replicas: '3', verbose: 'true', zones: '[east, west]' });
    expect(problems).toEqual([]);
    expect(vars!.scopes['']).toEqual({ namespace: 'opendatahub', replicas: 3, verbose: true, zones: ['east', 'west'] });
  });

  it('a default may be a template over the vars declared before it; one reference keeps its type', () => {
    const p = plan([
      spec('host', { default: 'example.com' }),
      spec('url', { default: 'https://{{ host }}/api' }),
      spec('replicas', { type: 'number', default: 2 }),
      spec('max', { type: 'number', default: '{{ replicas }}' }),
    ]);
    expect(resolveVars(p, {}).vars!.scopes['']).toMatchObject({ url: 'https://example.com/api', max: 2 });
    expect(resolveVars(p, { host: 'prod.local' }).vars!.scopes['']).toMatchObject({ url: 'https://prod.local/api' });
  });

  it('a value of the wrong type is one problem at the var, with an example', () => {
    const p = plan([spec('replicas', { type: 'number', required: true, at: { ...at, line: 7, column: 3 } })]);
    const { problems } = resolveVars(p, { replicas: 'many' });
    expect(problems).toEqual([
      { message: 'var "replicas": expected a number, got "many"', hint: 'e.g. --var replicas=3', at: { ...at, line: 7, column: 3 } },
    ]);
  });

  it('a list given as text that is not a list gets a flow-style example', () => {
    const { problems } = resolveVars(plan([spec('zones', { type: 'list' })]), { zones: 'east,west' });
    expect(problems[0]).toMatchObject({ message: 'var "zones": expected a list, got "east,west"', hint: expect.stringContaining("--var 'zones=[east, west]'") });
  });

  it('a value for an undeclared var is a problem, with did-you-mean', () => {
    const { problems } = resolveVars(plan([spec('namespace')]), { namespce: 'x' });
    expect(problems).toEqual([
      { message: 'unknown var "namespce": the runbook declares no such var', hint: 'did you mean "namespace"? Vars: namespace' },
    ]);
  });

  it('a required root var without a value is a problem', () => {
    const p = plan([spec('cluster', { required: true })]);
    expect(resolveVars(p, {}).problems).toEqual([
      { message: 'missing required var "cluster"', hint: expect.stringContaining('--var cluster=VALUE'), at },
    ]);
    expect(resolveVars(p, { cluster: 'prod' }).problems).toEqual([]);
  });

  it('import bindings are rendered with the importer’s values and win over defaults and inheritance', () => {
    const p = plan(
      [spec('namespace', { default: 'opendatahub' }), spec('replicas', { type: 'number', default: 3 })],
      [
        {
          id: 'checks',
          parent: '',
          vars: [spec('namespace', { default: 'fallback' }), spec('count', { type: 'number' })],
          // A single reference keeps the number; other templates give text, coerced to the type.
          bindings: { namespace: '{{ namespace }}-tools', count: '{{ replicas }}' },
        },
      ],
    );
    const { vars, problems } = resolveVars(p, { namespace: 'odh' });
    expect(problems).toEqual([]);
    expect(vars!.scopes.checks).toEqual({ namespace: 'odh-tools', count: 3 });
  });

  it('an unbound var of an imported file inherits the importer’s var of the same name, else its default', () => {
    const p = plan(
      [spec('namespace', { default: 'opendatahub' }), spec('unset')],
      [{ id: 'child', parent: '', vars: [spec('namespace', { default: 'x' }), spec('unset', { default: 'own' })], bindings: {} }],
    );
    expect(resolveVars(p, {}).vars!.scopes.child).toEqual({ namespace: 'opendatahub', unset: 'own' });
  });

  it('inheritance goes through every level of imports', () => {
    const p = plan(
      [spec('namespace', { default: 'root' })],
      [
        { id: 'a', parent: '', vars: [spec('namespace')], bindings: {} },
        { id: 'a>b', parent: 'a', vars: [spec('namespace')], bindings: {} },
      ],
    );
    expect(resolveVars(p, {}).vars!.scopes['a>b']).toEqual({ namespace: 'root' });
  });

  it('a required var of an imported file that ends up without a value is a problem', () => {
    const p = plan([spec('namespace')], [{ id: 'child', parent: '', vars: [spec('namespace', { required: true })], bindings: {} }]);
    expect(resolveVars(p, {}).problems).toEqual([
      expect.objectContaining({ message: 'required var "namespace" of /rb/child.yaml has no value' }),
    ]);
  });

  it('a binding that fails to render is a problem at the imported var', () => {
    const p = plan([spec('version', { default: 'x' })], [{ id: 'c', parent: '', vars: [spec('v', { type: 'boolean' })], bindings: { v: '{{ semverLt version "1.0" }}' } }]);
    expect(resolveVars(p, {}).problems).toEqual([expect.objectContaining({ message: 'var "v" of /rb/c.yaml: not a version: "x"' })]);
  });

  it('collects secret values, bound or given, but not empty or non-text ones', () => {
    const p = plan(
      [spec('token', { secret: true }), spec('pin', { type: 'number', secret: true }), spec('empty', { secret: true, default: '' }), spec('plain')],
      [{ id: 'child', parent: '', vars: [spec('auth', { secret: true })], bindings: { auth: 'Bearer {{ token }}' } }],
    );
    const { vars } = resolveVars(p, { token: 'hunter2', pin: '1234', plain: 'visible' });
    expect(vars!.secrets.sort()).toEqual(['Bearer hunter2', 'hunter2']);
    expect(vars!.secretNames).toEqual(['token', 'pin', 'empty']);
  });
});

describe('parseVarFlags, varsFromEnv, readVarsFile', () => {
  it('splits at the first =, keeps values as text, and reports flags without a name', () => {
    const { values, problems } = parseVarFlags(['a=b=c', 'empty=', '=x', 'novalue']);
    expect(values).toEqual({ a: 'b=c', empty: '' });
    expect(problems.map((p) => p.message)).toEqual(['--var =x: expected NAME=VALUE', '--var novalue: expected NAME=VALUE']);
    expect(problems[0]!.hint).toContain('--var dscName=default-dsc');
  });

  it('reads RUNBOOK_VAR_ variables only', () => {
    expect(varsFromEnv({ RUNBOOK_VAR_token: 's', RUNBOOK_DEBUG: '1', HOME: '/h' })).toEqual({ token: 's' });
  });

  it('reads a mapping from a vars file; anything else is a problem', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runbook-vars-'));
    await writeFile(join(dir, 'site.yaml'), 'namespace: odh\nzones: [east]\n');
    await writeFile(join(dir, 'list.yaml'), '- a\n');
    await writeFile(join(dir, 'empty.yaml'), '');
    expect(await readVarsFile(join(dir, 'site.yaml'))).toEqual({ values: { namespace: 'odh', zones: ['east'] }, problems: [] });
    expect(await readVarsFile(join(dir, 'empty.yaml'))).toEqual({ values: {}, problems: [] });
    expect((await readVarsFile(join(dir, 'list.yaml'))).problems[0]!.message).toContain('expected a mapping of var names to values');
    expect((await readVarsFile(join(dir, 'none.yaml'))).problems[0]!.message).toBe(`file not found: ${join(dir, 'none.yaml')}`);
  });
});
