// `runbook validate`'s cache, as a user meets it through the built CLI: a runbook found valid is
// answered again from the cache, a change to any file it read (an import, a vars file) is seen, a
// problem is never remembered, --no-cache neither reads nor writes, and no entry holds a secret.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidateCache } from '../../../src/cli/validate-cache.js';
import { recordInputs, takeInputs, readInput } from '../../../src/runbook/input-log.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/cli/main.js');
const work = mkdtempSync(join(tmpdir(), 'runbook-validate-cache-'));
const cacheDir = join(work, 'cache');
const runbook = join(work, 'runbook', 'upgrade.yaml');
const imported = join(work, 'runbook', 'imports', 'checks.yaml');
const SECRET = 's3cr3t-Token-9f2c';

function validate(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RUNBOOK_'))), RUNBOOK_CACHE_DIR: cacheDir };
  const r = spawnSync(process.execPath, [cli, 'validate', runbook, '--var', 'cluster=prod', '--var', `token=${SECRET}`, ...args], { cwd: work, env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const entries = (): string[] => (existsSync(join(cacheDir, 'validate')) ? readdirSync(join(cacheDir, 'validate')).filter((n) => n.endsWith('.json')) : []);

beforeAll(() => {
  expect(existsSync(cli), 'the CLI is built (npm run build)').toBe(true);
  cpSync(join(root, 'test/fixtures/valid'), join(work, 'runbook'), { recursive: true });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('runbook validate, cached', { timeout: 60_000 }, () => {
  it('answers a runbook found valid from the cache, and sees a change to a file it imports', () => {
    const first = validate();
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/upgrade\.yaml: valid \(2 sections, \d+ steps and groups\)/);
    expect(entries()).toHaveLength(1);
    const entryFile = join(cacheDir, 'validate', entries()[0]!);
    expect(statSync(entryFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(cacheDir, 'validate')).mode & 0o777).toBe(0o700);
    const written = statSync(entryFile).mtimeMs;

    // The same answer, and the entry is only read.
    expect(validate()).toEqual(first);
    expect(statSync(entryFile).mtimeMs).toBe(written);

    // An imported file changed to one with a problem: found, and not remembered.
    const original = readFileSync(imported, 'utf8');
    writeFileSync(imported, original.replace(/^(\s*)- name: /m, '$1- nmae: '));
    const broken = validate();
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/checks\.yaml:\d+:\d+: /);
    expect(entries()).toHaveLength(1);

    // Put back: valid again, from the first entry.
    writeFileSync(imported, original);
    expect(validate()).toEqual(first);
  });

  it('keys the verdict on the command line: another --var value is validated afresh', () => {
    const before = entries().length;
    expect(validate('--var', 'replicas=many').code).toBe(2);
    expect(validate('--var', 'replicas=4').code).toBe(0);
    expect(entries()).toHaveLength(before + 1);
  });

  it('--no-cache neither reads nor writes the cache', () => {
    rmSync(cacheDir, { recursive: true, force: true });
    expect(validate('--no-cache').code).toBe(0);
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('keeps no secret in the cache, in any encoding', () => {
    expect(validate().code).toBe(0);
    const forms = [SECRET, Buffer.from(SECRET).toString('base64'), Buffer.from(SECRET).toString('base64url'), Buffer.from(SECRET).toString('hex')];
    for (const name of readdirSync(join(cacheDir, 'validate'))) {
      const text = readFileSync(join(cacheDir, 'validate', name)).toString('latin1');
      for (const form of forms) expect(text).not.toContain(form);
    }
  });
});

describe('ValidateCache', () => {
  it('treats a damaged entry as a miss and a changed file as a miss', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runbook-validate-cache-unit-'));
    try {
      const cache = (await ValidateCache.open(dir))!;
      expect(cache).toBeDefined();
      const file = join(dir, 'input.yaml');
      writeFileSync(file, 'a: 1\n');
      recordInputs(cache.key);
      await readInput(file);
      const reads = takeInputs();
      const name = cache.entryName({ files: [file] });
      await cache.store(name, { stdout: 'ok\n', stderr: '', reads });
      expect(await cache.lookup(name)).toMatchObject({ stdout: 'ok\n' });

      writeFileSync(file, 'a: 2\n');
      expect(await cache.lookup(name)).toBeUndefined();

      writeFileSync(join(dir, `${name}.json`), '{"stdout": "ok\\n", "std');
      expect(await cache.lookup(name)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the newest 64 entries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runbook-validate-cache-unit-'));
    try {
      const cache = (await ValidateCache.open(dir))!;
      for (let i = 0; i < 70; i++) await cache.store(cache.entryName({ i }), { stdout: '', stderr: '', reads: [] });
      expect(readdirSync(dir).filter((n) => n.endsWith('.json'))).toHaveLength(64);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
