// Var values: where they come from (given, import binding, inherited by name, default), how text
// from --var and the environment becomes the declared type, and which values count as secrets.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Plan, VarScope, VarSpec, VarType } from '../../../src/runbook/types.js';
import { varsFromEnv } from '../../../src/runbook/env-vars.js';
import { coerce, parseVarFlags, plainTextChange, readVarsFile, resolveVars } from '../../../src/runbook/vars.js';

const at = { file: '/rb/main.yaml', line: 1, column: 1 };

function spec(name: string, fields: Partial<VarSpec> = {}): VarSpec {
  return { name, type: 'string', required: false, secret: false, at, ...fields };
}

function plan(root: VarSpec[], imported: Omit<VarScope, 'file'>[] = []): Plan {
  const scopes: Record<string, VarScope> = { '': { id: '', file: '/rb/main.yaml', vars: root, bindings: {} } };
  for (const s of imported) scopes[s.id] = { file: `/rb/${s.id}.yaml`, ...s };
  return { name: 'demo', file: '/rb/main.yaml', digest: 'x', sections: [], scopes, followUps: [], signOffs: [] };
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

describe('vars of imported files, set from the top', () => {
  const imports = () =>
    plan(
      [spec('dscName', { default: '' })],
      [
        { id: 'before/llama.yaml', vars: [spec('backupCommand', { default: 'none' }), spec('dscName', { default: 'x' })], bindings: {}, parent: '', qualifiers: ['llama-before', 'before/llama', 'before/llama.yaml'] },
        { id: 'after/llama.yaml', vars: [spec('backupCommand', { default: 'none' }), spec('outputDir', { default: '' })], bindings: { outputDir: '/bound' }, parent: '', qualifiers: ['llama-after', 'after/llama', 'after/llama.yaml'] },
        { id: 'names.yaml', vars: [spec('secretToken', { secret: true })], bindings: {}, parent: '', qualifiers: ['names'] },
      ],
    );

  it('a plain name reaches every import that declares it and does not bind it', () => {
    const { vars, problems } = resolveVars(imports(), { backupCommand: 'tar' });
    expect(problems).toEqual([]);
    expect(vars!.scopes['before/llama.yaml']!.backupCommand).toBe('tar');
    expect(vars!.scopes['after/llama.yaml']!.backupCommand).toBe('tar');
  });

  it('a qualified name reaches only the imports it names, even a bound var, and wins over the plain name', () => {
    const { vars, problems } = resolveVars(imports(), { 'llama-after.backupCommand': 'cp', backupCommand: 'tar', 'after/llama.outputDir': '/mine' });
    expect(problems).toEqual([]);
    expect(vars!.scopes['before/llama.yaml']!.backupCommand).toBe('tar');
    expect(vars!.scopes['after/llama.yaml']).toMatchObject({ backupCommand: 'cp', outputDir: '/mine' });
  });

  it('a root var of the same name is the root one, passed on as before', () => {
    const { vars } = resolveVars(imports(), { dscName: 'prod' });
    expect(vars!.scopes['']!.dscName).toBe('prod');
    expect(vars!.scopes['before/llama.yaml']!.dscName).toBe('prod');
  });

  it('a bound var by its plain name, or a qualifier that names nothing, is unknown with a did-you-mean', () => {
    const { problems } = resolveVars(imports(), { outputDir: '/x', 'llama-aftr.backupCommand': 'y' });
    expect(problems.map((p) => [p.message, p.hint])).toEqual([
      ['unknown var "outputDir": neither the runbook nor a file it imports declares it', expect.stringContaining('did you mean "llama-after.outputDir"?')],
      ['unknown var "llama-aftr.backupCommand": neither the runbook nor a file it imports declares it', expect.stringContaining('did you mean "llama-after.backupCommand"?')],
    ]);
  });

  it('a secret of an imported file is redacted and never recorded under the name it was given', () => {
    const { vars } = resolveVars(imports(), { 'names.secretToken': 's3cr3t-value' });
    expect(vars!.secrets).toContain('s3cr3t-value');
    expect(vars!.secretNames).toContain('names.secretToken');
  });
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
      { message: 'unknown var "namespce": neither the runbook nor a file it imports declares it', hint: 'did you mean "namespace"? runbook vars FILE lists every var and how to set it' },
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
    const site = join(dir, 'site.yaml');
    expect(await readVarsFile(site)).toEqual({
      values: { namespace: 'odh', zones: ['east'] },
      problems: [],
      origins: {
        namespace: { keyAt: { file: site, line: 1, column: 1 }, at: { file: site, line: 1, column: 12 }, plain: 'odh' },
        zones: { keyAt: { file: site, line: 2, column: 1 }, at: { file: site, line: 2, column: 8 } },
      },
    });
    expect(await readVarsFile(join(dir, 'empty.yaml'))).toEqual({ values: {}, problems: [], origins: {} });
    expect((await readVarsFile(join(dir, 'list.yaml'))).problems[0]!.message).toContain('expected a mapping of var names to values');
    expect((await readVarsFile(join(dir, 'none.yaml'))).problems[0]!.message).toBe(`file not found: ${join(dir, 'none.yaml')}`);
  });
});

// A string var takes text as written. From a vars file, an unquoted value is what YAML makes of it:
// 3.30 is the number 3.3. Such values are refused at their line:column in the vars file, with a
// hint to quote them; values that survive as written are taken.
describe('vars file values for string vars', () => {
  const refused: [string, RegExp][] = [
    ['3.30', /^YAML reads 3\.30 as the number 3\.3$/],
    ['1.0', /as the number 1$/],
    ['1e3', /as the number 1000$/],
    ['0o17', /as the number 15$/],
    ['0x1F', /as the number 31$/],
    ['017', /as the number 17$/],
    ['.5', /as the number 0\.5$/],
    ['+1', /as the number 1$/],
    ['-0', /as the number 0$/],
    ['.inf', /as the number Infinity$/],
    ['12345678901234567890', /as the number 12345678901234567000$/],
    ['True', /as the boolean true$/],
    ['FALSE', /as the boolean false$/],
    ['yes', /^YAML 1\.1 reads yes as the boolean true$/],
    ['no', /^YAML 1\.1 reads no as the boolean false$/],
    ['on', /YAML 1\.1 reads on as the boolean true$/],
    ['off', /YAML 1\.1 reads off as the boolean false$/],
    ['y', /YAML 1\.1 reads y as the boolean true$/],
    ['N', /YAML 1\.1 reads N as the boolean false$/],
    ['1_000', /^YAML 1\.1 reads 1_000 as the number 1000$/],
    ['0b101', /YAML 1\.1 reads 0b101 as the number 5$/],
    ['12:30', /YAML 1\.1 reads 12:30 as the number 750$/],
    ['first\n  second', /folds an unquoted value over several lines/],
  ];
  const kept = ['3', '-7', '4.19', '3.3', 'true', 'false', 'prod', '2024-01-01', 'v1.2.3', '0.5', 'a:b', 'null-ish', '3.30a'];

  const write = async (text: string): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'runbook-vars-'));
    const file = join(dir, 'site.yaml');
    await writeFile(file, text);
    return file;
  };
  /** `version` (string), read from a vars file holding `text` on line 2. */
  const judge = async (text: string, fields: Partial<VarSpec> = {}) => {
    const file = await write(`# site values\nversion: ${text}\n`);
    const read = await readVarsFile(file);
    expect(read.problems).toEqual([]);
    return { file, ...resolveVars(plan([spec('version', { at: { ...at, line: 5, column: 3 }, ...fields })]), read.values, read.origins) };
  };

  for (const [text, why] of refused) {
    it(`${JSON.stringify(text)} is refused at its line:column in the vars file`, async () => {
      const { file, problems } = await judge(text);
      expect(problems).toHaveLength(1);
      expect(problems[0]!.at).toEqual({ file, line: 2, column: 10 });
      expect(problems[0]!.message.startsWith('var "version" is a string, but ')).toBe(true);
      expect(problems[0]!.message.slice('var "version" is a string, but '.length)).toMatch(why);
      expect(problems[0]!.hint).toMatch(text.includes('\n') ? /block scalar/ : `quote it to keep the text as written: version: "${text}"`);
    });
  }

  for (const text of kept) {
    it(`${JSON.stringify(text)} is taken as the text written`, async () => {
      const { problems, vars } = await judge(text);
      expect(problems).toEqual([]);
      expect(vars!.scopes['']!.version).toBe(text);
    });
  }

  it('quoted values and block scalars are text as written', async () => {
    for (const [written, want] of [['"3.30"', '3.30'], ["'yes'", 'yes'], ['"0x1F"', '0x1F'], ['|-\n  first\n  second', 'first\nsecond']] as const) {
      const { problems, vars } = await judge(written);
      expect(problems).toEqual([]);
      expect(vars!.scopes['']!.version).toBe(want);
    }
  });

  it('an empty value or ~ is no value, as before', async () => {
    for (const written of ['', '~', 'null']) {
      const { problems, vars } = await judge(written, { default: 'fallback' });
      expect(problems).toEqual([]);
      expect(vars!.scopes['']!.version).toBeNull();
    }
  });

  it('the value of a secret var is not shown, even when refused', async () => {
    const { problems } = await judge('0x1F', { secret: true });
    expect(problems[0]!.message).toBe('var "version" is a string, but its value is not read as the text written (the value is secret and not shown)');
    expect(JSON.stringify(problems)).not.toMatch(/0x1F|31/);
  });

  it('non-string vars take YAML values as YAML reads them', async () => {
    for (const [written, type, want] of [['0x1F', 'number', 31], ['1e3', 'number', 1000], ['true', 'boolean', true], ['[3.30]', 'list', [3.3]]] as const) {
      const { problems, vars } = await judge(written, { type });
      expect(problems).toEqual([]);
      expect(vars!.scopes['']!.version).toEqual(want);
    }
  });

  it('a wrong type points at the vars file, with an example in vars-file form and the declaration', async () => {
    const { file, problems } = await judge('many', { type: 'number' });
    expect(problems).toEqual([
      {
        message: 'var "version": expected a number, got "many"',
        hint: 'e.g. version: 3 (declared as type number at /rb/main.yaml:5:3)',
        at: { file, line: 2, column: 10 },
      },
    ]);
  });

  it('an unknown name points at its key in the vars file', async () => {
    const file = await write('versoin: "1"\n');
    const read = await readVarsFile(file);
    expect(resolveVars(plan([spec('version')]), read.values, read.origins).problems).toEqual([
      { message: 'unknown var "versoin": neither the runbook nor a file it imports declares it', hint: expect.stringContaining('did you mean "version"?'), at: { file, line: 1, column: 1 } },
    ]);
  });

  it('a refused root value does not also make the imported var bound to it "without a value"', async () => {
    const file = await write('version: 3.30\n');
    const read = await readVarsFile(file);
    const p = plan(
      [spec('version', { required: true })],
      [
        { id: 'bound', parent: '', vars: [spec('v', { required: true })], bindings: { v: 'release-{{ version }}' } },
        { id: 'inherits', parent: '', vars: [spec('version', { required: true })], bindings: {} },
      ],
    );
    const { problems } = resolveVars(p, read.values, read.origins);
    expect(problems.map((x) => x.message)).toEqual(['var "version" is a string, but YAML reads 3.30 as the number 3.3']);
  });

  it('plainTextChange judges the text against what YAML read', () => {
    expect(plainTextChange('3.30', 3.3)).toMatch(/number 3\.3/);
    expect(plainTextChange('3', 3)).toBeUndefined();
    expect(plainTextChange('true', true)).toBeUndefined();
    expect(plainTextChange('~', null)).toBeUndefined();
    expect(plainTextChange('on', 'on')).toMatch(/YAML 1\.1/);
  });
});

// --var and RUNBOOK_VAR_* give text: a string var takes it exactly as written.
describe('--var and RUNBOOK_VAR_ values for string vars', () => {
  const texts = ['3.30', '1e3', '0o17', '0x1F', 'yes', 'no', 'on', 'off', '1_000', '.5', '007', 'True', '~', 'null', ' padded ', ''];
  for (const text of texts) {
    it(`--var version=${text} is the text ${JSON.stringify(text)}`, () => {
      const flags = parseVarFlags([`version=${text}`]);
      expect(flags.problems).toEqual([]);
      const { vars, problems } = resolveVars(plan([spec('version')]), flags.values);
      expect(problems).toEqual([]);
      expect(vars!.scopes['']!.version).toBe(text);
    });
  }
  it('RUNBOOK_VAR_version=3.30 is the text "3.30"', () => {
    const { vars } = resolveVars(plan([spec('version')]), varsFromEnv({ RUNBOOK_VAR_version: '3.30' }));
    expect(vars!.scopes['']!.version).toBe('3.30');
  });
});
