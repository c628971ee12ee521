// The built CLI on the validation corpus: what an admin sees. Exit code 2 with one
// file:line:column line per problem and a count, never a stack trace; exit 0 for a good runbook;
// and `runbook schema` prints a JSON Schema that accepts the good runbook.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const cli = join(root, 'dist/cli/main.js');
const invalid = 'test/fixtures/invalid';
const valid = 'test/fixtures/valid/upgrade.yaml';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function runCli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  // Only the variables the CLI needs: RUNBOOK_VAR_* or RUNBOOK_DEBUG from the caller would change
  // what it reports.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RUNBOOK_')));
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const STACK_LINE = /^\s+at /m;

beforeAll(() => {
  // `npm test` builds first; a run of this file alone builds when dist is missing or older than src.
  if (existsSync(cli) && statSync(cli).mtimeMs >= newestMtime(join(root, 'src'))) return;
  spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root });
  expect(existsSync(cli)).toBe(true);
}, 180_000);

// Each case starts the CLI (all step types load), which takes seconds on a busy machine.
describe('runbook validate', { timeout: 60_000 }, () => {
  it('reports every problem of a file with its position, and the count', () => {
    const r = runCli('validate', `${invalid}/several-problems.yaml`);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const located = r.stderr.split('\n').filter((l) => /several-problems\.yaml:\d+:\d+: /.test(l));
    expect(located.map((l) => /:(\d+:\d+): /.exec(l)![1])).toEqual(['6:38', '11:9', '13:18', '16:31', '17:35']);
    expect(r.stderr).toContain('several-problems.yaml:11:9: step "Check": unknown step type "asert"\n  hint: did you mean "assert"?');
    expect(r.stderr).toMatch(/^5 problems found; nothing was run\.$/m);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('reports a YAML syntax error as one problem', () => {
    const r = runCli('validate', `${invalid}/yaml-tab.yaml`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/yaml-tab\.yaml:8:1: YAML syntax: Tabs are not allowed as indentation\n {2}hint: /);
    expect(r.stderr).toMatch(/^1 problem found; nothing was run\.$/m);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('points into the imported file that closes an import cycle', () => {
    const r = runCli('validate', `${invalid}/import-cycle.yaml`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/imports\/cycle-b\.yaml:9:17: import cycle: import-cycle\.yaml → imports\/cycle-b\.yaml → import-cycle\.yaml/);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('prints no runtime warning for an unquoted template', () => {
    const r = runCli('validate', `${invalid}/unquoted-template.yaml`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unquoted-template\.yaml:13:20: a value starting with "\{\{" must be quoted/);
    expect(r.stderr).not.toContain('Warning');
  });

  it('adds up the problems of several files', () => {
    const r = runCli('validate', `${invalid}/several-problems.yaml`, `${invalid}/wrong-kind.yaml`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/wrong-kind\.yaml:2:7: the file is a Playbook, not a Runbook/);
    expect(r.stderr).toMatch(/^6 problems found; nothing was run\.$/m);
  });

  it('takes required vars from --var', () => {
    expect(runCli('validate', `${invalid}/missing-required-var.yaml`).code).toBe(2);
    const r = runCli('validate', `${invalid}/missing-required-var.yaml`, '--var', 'cluster=prod');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('accepts the valid runbook', () => {
    const r = runCli('validate', valid, '--var', 'cluster=prod');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/upgrade\.yaml: valid \(2 sections, \d+ steps and groups\)/);
  });

  it('refuses a var named like a template helper, at its declaration', () => {
    const r = runCli('validate', `${invalid}/var-named-like-helper.yaml`);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /var-named-like-helper\.yaml:7:3: var "log" has the name of a template helper: "\{\{ log \}\}" would call the helper, not read the value\n {2}hint: rename it, e\.g\. "logValue"; these names are taken by helpers: .*\blog\b/,
    );
    expect(r.stderr).toMatch(/^1 problem found; nothing was run\.$/m);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('points at the vars file line of a value YAML does not keep as written, and of a wrong type', () => {
    const r = runCli('validate', valid, '--vars-file', 'test/fixtures/vars/lossy.yaml');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines.filter((l) => /^\S/.test(l))).toEqual([
      'test/fixtures/vars/lossy.yaml:3:12: var "namespace" is a string, but YAML reads 3.30 as the number 3.3',
      'test/fixtures/vars/lossy.yaml:4:11: var "replicas": expected a number, got "many"',
      'test/fixtures/vars/lossy.yaml:5:8: var "token" is a string, but its value is not read as the text written (the value is secret and not shown)',
      'test/fixtures/vars/lossy.yaml:6:6: var "url" is a string, but YAML 1.1 reads yes as the boolean true',
      '4 problems found; nothing was run.',
    ]);
    expect(r.stderr).toContain('  hint: quote it to keep the text as written: namespace: "3.30"');
    expect(r.stderr).toMatch(/ {2}hint: e\.g\. replicas: 3 \(declared as type number at .*test\/fixtures\/valid\/upgrade\.yaml:14:3\)/);
    expect(r.stderr).toContain('  hint: quote it to keep the text as written: url: "yes"');
    // The secret's value is not printed, even a wrong one.
    expect(r.stderr).not.toContain('0x1F');
    expect(r.stderr).not.toContain('31');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('accepts the same values quoted in the vars file, and as text on the command line', () => {
    expect(runCli('validate', valid, '--vars-file', 'test/fixtures/vars/quoted.yaml')).toMatchObject({ code: 0, stderr: '' });
    const r = runCli('validate', valid, '--var', 'cluster=prod', '--var', 'namespace=3.30', '--var', 'url=yes', '--var', 'token=0x1F');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    // A --var overrides the vars file's value, and takes its text as written.
    expect(runCli('validate', valid, '--vars-file', 'test/fixtures/vars/lossy.yaml', '--var', 'namespace=3.30', '--var', 'replicas=3', '--var', 'token=0x1F', '--var', 'url=yes')).toMatchObject({ code: 0, stderr: '' });
  });

  it('rejects a --var that is not of the declared type, with an example', () => {
    const r = runCli('validate', valid, '--var', 'cluster=prod', '--var', 'replicas=many');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/upgrade\.yaml:\d+:\d+: var "replicas": expected a number, got "many"\n {2}hint: e\.g\. --var replicas=3/);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });
});

describe('runbook schema', { timeout: 60_000 }, () => {
  it('prints a JSON Schema that ajv compiles and that accepts the valid runbook and its import', () => {
    const r = runCli('schema');
    expect(r.code).toBe(0);
    const validate = new Ajv().compile(JSON.parse(r.stdout) as object);
    for (const file of [valid, 'test/fixtures/valid/imports/checks.yaml']) {
      const ok = validate(parseYaml(readFileSync(join(root, file), 'utf8')));
      expect(validate.errors ?? [], file).toEqual([]);
      expect(ok).toBe(true);
    }
    expect(validate(parseYaml(readFileSync(join(root, invalid, 'two-step-types.yaml'), 'utf8')))).toBe(false);
  });
});
