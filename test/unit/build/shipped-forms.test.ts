// The build saves the data of every shipped runbook file (src/build/shipped-forms.ts); the loader
// trusts a form found by its file's digest, so a form must be exactly what parsing the file gives.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formOf, saveForms, yamlFiles } from '../../../src/build/shipped-forms.js';
import { packageRoot } from '../../../src/package-root.js';
import { FORMS_DIR, formName } from '../../../src/runbook/shipped-forms.js';
import { parseYamlSource } from '../../../src/runbook/source.js';

const work = mkdtempSync(join(tmpdir(), 'runbook-build-forms-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('formOf', () => {
  it('saves the parsed data as ASCII JSON, named by the text', () => {
    const text = 'kind: Runbook\nmetadata:\n  name: café\n  count: 0x1f\n';
    const form = formOf('a.yaml', text);
    expect(form).toEqual({ name: formName(text), json: '{"kind":"Runbook","metadata":{"name":"caf\\u00e9","count":31}}' });
  });

  it('saves nothing for a file with problems, or data JSON cannot carry', () => {
    expect(formOf('a.yaml', 'a: 1\na: 2\n')).toEqual({ skipped: expect.stringMatching(/^it has problems \(YAML syntax: duplicate key "a"\)/) });
    expect(formOf('a.yaml', 'value: {{ name }}\n')).toEqual({ skipped: expect.stringMatching(/must be quoted/) });
    for (const text of ['x: .nan\n', 'x: .inf\n', 'x: -0\n', 'x: [1, -.inf]\n']) {
      expect(formOf('a.yaml', text), text).toEqual({ skipped: 'its data does not survive JSON (NaN, an infinity or -0)' });
    }
  });
});

describe('saveForms', () => {
  it('writes one form per YAML file under the folder, after emptying the target', () => {
    const runbooks = join(work, 'runbooks');
    mkdirSync(join(runbooks, 'nested'), { recursive: true });
    writeFileSync(join(runbooks, 'a.yaml'), 'kind: Runbook\n');
    writeFileSync(join(runbooks, 'nested', 'b.yml'), 'steps: [1, 2]\n');
    writeFileSync(join(runbooks, 'nested', 'bad.yaml'), 'x: .nan\n');
    writeFileSync(join(runbooks, 'notes.txt'), 'not YAML\n');
    const target = join(work, 'forms');
    mkdirSync(target);
    writeFileSync(join(target, 'left-by-an-older-build.json'), '{}');

    const result = saveForms(runbooks, target);

    expect(result).toEqual({ saved: 2, skipped: ['nested/bad.yaml: its data does not survive JSON (NaN, an infinity or -0)'] });
    expect(readdirSync(target).sort()).toEqual([formName('kind: Runbook\n'), formName('steps: [1, 2]\n')].sort());
    expect(JSON.parse(readFileSync(join(target, formName('steps: [1, 2]\n')), 'utf8'))).toEqual({ steps: [1, 2] });
  });
});

describe('the forms of the build', () => {
  const root = packageRoot();
  const built = join(root, 'dist', 'runbook', FORMS_DIR);
  const shipped = yamlFiles(join(root, 'runbooks'));

  it('are one for each shipped file, and nothing else', () => {
    expect(existsSync(built), 'runbook is built (npm run build)').toBe(true);
    expect(shipped.length).toBeGreaterThan(40);
    const names = shipped.map((f) => formName(readFileSync(f).toString('utf8')));
    expect(readdirSync(built).sort()).toEqual([...new Set(names)].sort());
  });

  it('hold what parsing each file gives', () => {
    for (const file of shipped) {
      const text = readFileSync(file).toString('utf8');
      const saved = readFileSync(join(built, formName(text)), 'latin1');
      expect(JSON.parse(saved), file).toStrictEqual(parseYamlSource(file, text).source?.value);
    }
  });
});

describe('a run of the built command line', () => {
  const root = packageRoot();
  const work2 = mkdtempSync(join(tmpdir(), 'runbook-forms-cli-'));
  afterAll(() => rmSync(work2, { recursive: true, force: true }));

  it('reads the shipped files from their forms, and still points into them', () => {
    const upgrade = join(root, 'runbooks', 'upgrade-2.25-to-3.3.yaml');
    const lines = readFileSync(upgrade, 'utf8').split('\n');
    const declared = lines.findIndex((l) => /^ {2}rhoaiMeshMembers:/.test(l)) + 1;
    expect(declared).toBeGreaterThan(0);
    const vars = join(work2, 'site.vars.yaml');
    writeFileSync(vars, 'rhoaiMeshMembers: 3\n');

    const r = spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'validate', '--no-cache', upgrade, '--vars-file', vars], {
      cwd: work2,
      env: { ...process.env, NODE_DEBUG: 'runbook', RUNBOOK_CACHE_DIR: work2 },
      encoding: 'utf8',
    });

    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${upgrade}: its data is the form the build saved`);
    expect(r.stderr).toContain(`${vars}:1:19: var "rhoaiMeshMembers": expected a list, got 3`);
    expect(r.stderr).toContain(`declared as type list at ${upgrade}:${declared}:3`);
  });
});
