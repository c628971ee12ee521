// A runbook whose steps need no cluster (exec, assert over values, confirm) runs with no kubeconfig
// anywhere: the permission preflight only asks a cluster when a step's input needs one.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../../../dist/cli/main.js', import.meta.url));

describe('runbook run without a cluster', () => {
  it('runs steps that need none', { timeout: 60_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'runbook-no-cluster-'));
    writeFileSync(
      join(dir, 'local.yaml'),
      [
        'apiVersion: runbook.dev/v1',
        'kind: Runbook',
        'metadata: { name: local }',
        'sections:',
        '  - name: main',
        '    steps:',
        '      - { name: check, assert: { that: "1 < 2", message: math } }',
        '      - { name: run, exec: { command: ["true"] } }',
      ].join('\n'),
    );
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, CI: 'true' };
    const r = spawnSync(process.execPath, [CLI, 'run', 'local.yaml', '-o', 'plain'], { cwd: dir, env, encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/Kubernetes configuration/);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/SUCCEEDED/);
  });
});
