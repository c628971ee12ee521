// The command line ships as one CommonJS bundle started by a small launcher with the code cache
// the build saved (tools/bundle-cli.mjs, run by npm run build). What its modules find beside them
// and what the CommonJS packages inside it read must work as they did unbundled; these run the
// built CLI as a user does.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/package-root.js';

const root = packageRoot();
const cli = join(root, 'dist', 'cli', 'main.js');
const bundle = join(root, 'dist', 'cli', 'runbook.cjs');
const cacheDir = mkdtempSync(join(tmpdir(), 'runbook-bundle-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

function runCli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, RUNBOOK_CACHE_DIR: cacheDir, ...env }, encoding: 'utf8' });
}

describe('the bundled command line', () => {
  it('is built as a bundle: the entry launches it, and no module of tsc is loaded', () => {
    expect(existsSync(bundle), 'runbook is built (npm run build)').toBe(true);
    const entry = readFileSync(cli, 'utf8');
    expect(entry.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(entry).toContain("from './launch.js'");
    expect(entry).toContain('runbook.cjs');
    expect(entry).not.toMatch(/from\s*["']\.\/commands\//);
    // The launcher wraps the bundle in a function: a hashbang there would not parse.
    expect(readFileSync(bundle, 'utf8').startsWith('#!')).toBe(false);
  });

  it('is ASCII, as the launcher reads it', () => {
    expect(readFileSync(bundle).every((byte) => byte < 0x80)).toBe(true);
  });

  it('leaves no module reading import.meta, which a CommonJS bundle lacks', () => {
    // Every module's import.meta.url is rewritten to its file under dist/.
    expect(readFileSync(bundle, 'utf8')).not.toContain('import.meta');
  });

  it('starts with the code cache the build saved', () => {
    const r = runCli(['--version'], { NODE_DEBUG: 'runbook' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^RUNBOOK \d+: code cache used$/m);
  });

  it('validates with the validators compiled at build time, never loading ajv itself', () => {
    const r = runCli(['validate', 'runbooks/upgrade-2.25-to-3.3.yaml', '--no-cache'], { NODE_DEBUG: 'module' });
    expect(r.stdout).toContain(': valid (');
    expect(r.status).toBe(0);
    // The compiled validators require ajv's runtime helpers (ajv/dist/runtime/...), never ajv.
    expect(r.stderr).toMatch(/looking for "ajv\/dist\/runtime\//);
    expect(r.stderr).not.toMatch(/looking for "ajv" in/);
  });

  it('validates without loading the Node modules only some steps use', () => {
    // Written at exit by a preload: which of Node's own modules the process loaded.
    const preload = join(cacheDir, 'module-list.cjs');
    writeFileSync(preload, "process.on('exit', () => require('node:fs').writeSync(2, '\\nLOADED ' + JSON.stringify(process.moduleLoadList)));");
    const r = spawnSync(process.execPath, ['-r', preload, cli, 'validate', 'runbooks/upgrade-2.25-to-3.3.yaml', '--no-cache'], {
      cwd: root,
      env: { ...process.env, RUNBOOK_CACHE_DIR: cacheDir },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const loaded = JSON.parse(/^LOADED (.*)$/m.exec(r.stderr)![1]!) as string[];
    expect(loaded).toContain('NativeModule fs');
    // net is not listed: Node loads it for a standard stream that is a pipe, as here.
    for (const lazy of ['child_process', 'http', 'https', 'tls', 'worker_threads']) expect(loaded).not.toContain(`NativeModule ${lazy}`);
  });

  it('writes the validate cache with write-file-atomic, which reads __filename', () => {
    const r = runCli(['validate', 'bench/runbooks/foreach-migration.yaml']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const entries = readdirSync(join(cacheDir, 'validate'));
    expect(entries.some((name) => name.endsWith('.json'))).toBe(true);
  });
});
