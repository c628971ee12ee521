// `runbook new`: each kind writes a runbook (and a vars file where it runs ours) that validates as
// written; an existing file is never overwritten without --force; a wrong kind or name is exit 2.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const cli = join(root, 'dist/cli/main.js');

function runCli(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RUNBOOK_')));
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Every case runs the CLI in child processes, and the site-overlay and assessment cases load the
// shipped upgrade twice: on a loaded machine one took 39 s, and the plain CLI calls over 20 s. The
// timeout is there to catch a hang, not to measure the machine's speed.
describe('runbook new', { timeout: 240_000 }, () => {
  for (const [kind, withVars] of [['site-overlay', true], ['blank', false], ['assessment', true]] as const) {
    it(`${kind}: writes files that validate as written`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'runbook-new-'));
      const made = runCli(dir, 'new', kind, `acme-${kind}`);
      expect(made.code, made.stderr).toBe(0);
      expect(existsSync(join(dir, `acme-${kind}.yaml`))).toBe(true);
      expect(existsSync(join(dir, `acme-${kind}.vars.yaml`))).toBe(withVars);
      const valid = runCli(dir, 'validate', `acme-${kind}.yaml`, ...(withVars ? ['--vars-file', `acme-${kind}.vars.yaml`] : []));
      expect(valid.code, valid.stderr).toBe(0);
      if (kind === 'site-overlay') {
        const text = readFileSync(join(dir, `acme-${kind}.yaml`), 'utf8');
        expect(text).toContain('file: runbook:upgrade-2.25-to-3.3.yaml');
        expect(text).toContain('before: during/approve-installplan');
        // The vars file lists the upgrade's vars, settable from the site runbook.
        expect(readFileSync(join(dir, `acme-${kind}.vars.yaml`), 'utf8')).toContain('# catalogSource: redhat-operators');
      }
    });
  }

  it('refuses to overwrite, and --force overwrites', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runbook-new-'));
    expect(runCli(dir, 'new', 'blank', 'x').code).toBe(0);
    const again = runCli(dir, 'new', 'blank', 'x');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('x.yaml exists');
    expect(runCli(dir, 'new', 'blank', 'x', '--force').code).toBe(0);
  });

  it('a wrong kind or name is exit 2 with what to write instead', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runbook-new-'));
    const kind = runCli(dir, 'new', 'overlay', 'x');
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain('one of: site-overlay');
    const name = runCli(dir, 'new', 'blank', 'Acme_Upgrade');
    expect(name.code).toBe(2);
    expect(name.stderr).toContain('lower-case');
  });
});
