// The command line ships as a bundle (tools/bundle-cli.mjs, run by npm run build). What its
// modules find beside them and what the CommonJS packages inside it read must work as they did
// unbundled; these run the built CLI as a user does.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/package-root.js';

const root = packageRoot();
const cli = join(root, 'dist', 'cli', 'main.js');
const chunks = join(root, 'dist', 'chunks');
const cacheDir = mkdtempSync(join(tmpdir(), 'runbook-bundle-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

function runCli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, RUNBOOK_CACHE_DIR: cacheDir, ...env }, encoding: 'utf8' });
}

describe('the bundled command line', () => {
  it('is built as a bundle: its entry loads chunks, not the modules tsc wrote', () => {
    expect(existsSync(chunks), 'runbook is built (npm run build)').toBe(true);
    const entry = readFileSync(cli, 'utf8');
    expect(entry.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(entry).toContain('../chunks/');
    expect(entry).not.toMatch(/from\s*["']\.\/commands\//);
  });

  it('leaves no module reading the URL of the chunk it landed in', () => {
    // Every module's import.meta.url is rewritten to its file under dist/; only the banner, which
    // builds those URLs, reads the chunk's own.
    for (const file of [cli, ...readdirSync(chunks).map((f) => join(chunks, f))]) {
      const body = readFileSync(file, 'utf8').split('\n').filter((line) => !line.includes('__runbookModuleUrl = '));
      expect(body.join('\n'), file).not.toContain('import.meta.url');
    }
  });

  it('validates with the validators compiled at build time, never loading ajv itself', () => {
    const r = runCli(['validate', 'runbooks/upgrade-2.25-to-3.3.yaml', '--no-cache'], { NODE_DEBUG: 'module' });
    expect(r.stdout).toContain(': valid (');
    expect(r.status).toBe(0);
    // The compiled validators require ajv's runtime helpers (ajv/dist/runtime/...), never ajv.
    expect(r.stderr).toMatch(/looking for "ajv\/dist\/runtime\//);
    expect(r.stderr).not.toMatch(/looking for "ajv" in/);
  });

  it('writes the validate cache with write-file-atomic, which reads __filename', () => {
    const r = runCli(['validate', 'bench/runbooks/foreach-migration.yaml']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const entries = readdirSync(join(cacheDir, 'validate'));
    expect(entries.some((name) => name.endsWith('.json'))).toBe(true);
  });

  it('answers --help without loading a command', () => {
    // The packages a command needs are bundled into its chunks, each wrapped under its path.
    const packagesIn = (args: string[]): string[] => {
      const r = spawnSync(process.execPath, ['--import', join(root, 'test/fixtures/load-log/register.mjs'), cli, ...args], { cwd: root, env: { ...process.env, RUNBOOK_CACHE_DIR: cacheDir }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const files = [...r.stderr.matchAll(/^loaded (file:\S+)$/gm)].map((m) => fileURLToPath(m[1]!));
      return ['yaml', 'handlebars', 'semver'].filter((p) => files.some((f) => readFileSync(f, 'utf8').includes(`"node_modules/${p}/`)));
    };
    expect(packagesIn(['validate', 'bench/runbooks/foreach-migration.yaml', '--no-cache'])).toEqual(['yaml', 'handlebars', 'semver']);
    expect(packagesIn(['--help'])).toEqual([]);
  });
});
