// The YAML families of mistakes, as an admin meets them through the built CLI: each is exit 2 with
// the file:line:column of the mistake itself (where a flow collection opened, the byte that is not
// UTF-8, the alias with no anchor), whether in the runbook, a file it imports or a vars file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'runbook-validate-yaml-'));

const HEAD = 'apiVersion: runbook.dev/v1\nkind: Runbook\nmetadata: { name: y }\n';
const GOOD = `${HEAD}vars:\n  ns: { default: x }\nsections:\n  - name: s\n    steps:\n      - name: a\n        set: { value: "1" }\n`;

function newestMtime(path: string): number {
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function write(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

function validate(...args: string[]): { code: number | null; stderr: string } {
  // RUNBOOK_VAR_* from the caller would change what the CLI reports.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RUNBOOK_')));
  const r = spawnSync(process.execPath, [cli, 'validate', ...args], { cwd: dir, env, encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr };
}

/** The located problem lines of the CLI's output: `file:line:col: message`. */
function located(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /^\S+:\d+:\d+: /.test(l));
}

beforeAll(() => {
  // `npm test` builds first; a run of this file alone builds when dist is missing or older than src.
  if (existsSync(cli) && statSync(cli).mtimeMs >= newestMtime(join(root, 'src'))) return;
  spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root });
  expect(existsSync(cli)).toBe(true);
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each case starts the CLI (all step types load), which takes seconds on a busy machine.
describe('runbook validate: YAML families', { timeout: 120_000 }, () => {
  it('an alias without an anchor, in the runbook and in a vars file', () => {
    const runbook = write('alias.yaml', `${HEAD}sections:\n  - name: s\n    steps:\n      - name: a\n        set: { value: *nothing }\n`);
    const r = validate(runbook);
    expect(r.code).toBe(2);
    expect(located(r.stderr)).toEqual([`${runbook}:8:23: YAML: the alias *nothing refers to no anchor: no value above it is marked &nothing`]);

    write('good.yaml', GOOD);
    write('vars-alias.yaml', 'ns: *foo\n');
    const v = validate('good.yaml', '--vars-file', 'vars-alias.yaml');
    expect(v.code).toBe(2);
    expect(located(v.stderr)).toEqual(['vars-alias.yaml:1:5: YAML: the alias *foo refers to no anchor: no value above it is marked &foo']);
  });

  it('invalid UTF-8 in the runbook, in an imported file and in a vars file, at its byte', () => {
    const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');
    const runbook = write('utf8.yaml', latin1(`${HEAD}sections:\n  - name: s\n    steps:\n      - name: caf\u00e9\n        set: { value: "1" }\n`));
    const r = validate(runbook);
    expect(r.code).toBe(2);
    expect(located(r.stderr)).toEqual([`${runbook}:7:18: the file is not UTF-8: byte e9 (bytes e9 0a 20 20) cannot start or continue a character`]);

    const imported = write('imp/bad.yaml', latin1(`${HEAD}sections:\n  - name: s\n    steps:\n      - name: b\u00ff\n        set: { value: "1" }\n`));
    write('top.yaml', `${HEAD}imports:\n  - file: imp/bad.yaml\nsections:\n  - name: t\n    steps:\n      - name: a\n        set: { value: "1" }\n`);
    const i = validate('top.yaml');
    expect(i.code).toBe(2);
    expect(located(i.stderr)).toEqual([`${imported}:7:16: the file is not UTF-8: byte ff (bytes ff 0a 20 20) cannot start or continue a character`]);

    write('good.yaml', GOOD);
    write('vars-utf8.yaml', latin1('ns: caf\u00e9\n'));
    const v = validate('good.yaml', '--vars-file', 'vars-utf8.yaml');
    expect(v.code).toBe(2);
    expect(located(v.stderr)).toEqual(['vars-utf8.yaml:1:8: the file is not UTF-8: byte e9 (bytes e9 0a) cannot start or continue a character']);
  });

  it('an unclosed { or [ points at where it opened, not where the parser gave up', () => {
    const map = write('flowmap.yaml', `${HEAD}sections:\n  - name: s\n    steps:\n      - name: a\n        set: { value: "1"\n      - name: b\n        set: { value: "2" }\n`);
    const m = validate(map);
    expect(m.code).toBe(2);
    expect(located(m.stderr)).toEqual([`${map}:8:14: YAML syntax: the mapping { opened here is never closed`]);

    const list = write('flowseq.yaml', `${HEAD}sections:\n  - name: s\n    steps:\n      - name: a\n        tags: [a, b\n        set: { value: "1" }\n`);
    const l = validate(list);
    expect(l.code).toBe(2);
    expect(located(l.stderr)).toEqual([`${list}:8:15: YAML syntax: the list [ opened here is never closed`]);

    write('good.yaml', GOOD);
    write('vars-flow.yaml', 'ns: {a: 1\nother: 2\n');
    const v = validate('good.yaml', '--vars-file', 'vars-flow.yaml');
    expect(v.code).toBe(2);
    expect(located(v.stderr)).toEqual(['vars-flow.yaml:1:5: YAML syntax: the mapping { opened here is never closed']);
  });

  it('an unquoted template as a key is said as such, without the follow-on', () => {
    const runbook = write(
      'template-key.yaml',
      `${HEAD}vars:\n  a: { default: x }\nsections:\n  - name: s\n    steps:\n      - name: run\n        exec:\n          command: [echo]\n          env:\n            X: "1"\n            {{ a }}: "1"\n`,
    );
    const r = validate(runbook);
    expect(r.code).toBe(2);
    expect(located(r.stderr)).toEqual([`${runbook}:14:13: a mapping key starting with "{{" must be quoted: YAML reads an unquoted {{ as the start of a mapping, not a template`]);
    expect(r.stderr).toMatch(/^1 problem found; nothing was run\.$/m);
  });
});
