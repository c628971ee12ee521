// --approve names a gate inside a loop by its item key (`id[key]`) or a pattern (`id[*]`); the end
// of a stopped run and `runbook status` name the gates it waits for in exactly that form, quoted
// for the shell; a loop gate named without a key is refused before anything runs. Local runbook:
// no cluster, no terminal (CI), so every gate stops the run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));

function workspace(): { dir: string; cli: (...args: string[]) => { status: number | null; stdout: string; stderr: string } } {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-approve-'));
  writeFileSync(
    join(dir, 'local.yaml'),
    [
      'apiVersion: runbook.dev/v1',
      'kind: Runbook',
      'metadata: { name: local }',
      'sections:',
      '  - name: main',
      '    steps:',
      '      - { name: told, id: main/told, confirm: { message: "Users were told?" } }',
      '      - name: replace each',
      '        id: main/each',
      '        forEach: { items: \'["team-a/m1", "team-b/m2"]\', as: m }',
      '        steps:',
      '          - name: replace',
      '            id: main/each/replace',
      '            confirm: "Replace {{ m }}?"',
      '            exec: { command: ["sh", "-c", "echo {{ m }} >> replaced"] }',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, CI: 'true' };
  return {
    dir,
    cli: (...args) => {
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env, encoding: 'utf8' });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
  };
}

describe('--approve for gates inside a loop', () => {
  it('stops at the first item, names it as --approve takes it, and passes the items named', { timeout: 60_000 }, () => {
    const { dir, cli } = workspace();
    const first = cli('run', 'local.yaml', '-o', 'plain', '--approve', 'main/told');
    expect(first.status, first.stderr).toBe(4);
    const runId = readdirSync(join(dir, '.runbook', 'runs'))[0]!;
    expect(first.stderr).toContain(`next: runbook resume ${runId} --approve 'main/each/replace[team-a/m1]'`);

    const status = cli('status', runId);
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('\nwaiting for approval:\n  main/each/replace[team-a/m1]\n');
    expect(status.stdout).toContain(`resume with: runbook resume ${runId} --approve 'main/each/replace[team-a/m1]'`);

    // The id alone is refused before anything runs, with the forms that work.
    const bare = cli('resume', runId, '-o', 'plain', '--approve', 'main/each/replace');
    expect(bare.status).toBe(2);
    expect(bare.stderr).toContain('--approve main/each/replace: main/each/replace is inside a loop; name the item');
    expect(bare.stderr).toContain("hint: --approve 'main/each/replace[ITEM-KEY]' for one item, --approve 'main/each/replace[*]' for every item");

    const one = cli('resume', runId, '-o', 'plain', '--approve', 'main/each/replace[team-a/m1]');
    expect(one.status, one.stderr).toBe(4);
    expect(readFileSync(join(dir, 'replaced'), 'utf8')).toBe('team-a/m1\n');
    expect(cli('status', runId).stdout).toContain('\nwaiting for approval:\n  main/each/replace[team-b/m2]\n');

    const all = cli('resume', runId, '-o', 'plain', '--approve', 'main/each/replace[*]');
    expect(all.status, all.stderr).toBe(0);
    expect(readFileSync(join(dir, 'replaced'), 'utf8')).toBe('team-a/m1\nteam-b/m2\n');
    const state = JSON.parse(cli('status', runId, '-o', 'json').stdout) as { approved: string[] };
    expect(state.approved).toEqual(['main/told', 'main/each/replace[team-a/m1]', 'main/each/replace[team-b/m2]']);
  });

  it('refuses ids no step has, keys on a gate outside any loop, and unpaired brackets', { timeout: 60_000 }, () => {
    const { cli } = workspace();
    const r = cli('run', 'local.yaml', '-o', 'plain', '--approve', 'main/each/replac[*]', '--approve', 'main/told[x]', '--approve', 'main/each/replace[a');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--approve main/each/replac[*]: no step has the id main/each/replac\n  hint: did you mean main/each/replace?');
    expect(r.stderr).toContain('--approve main/told[x]: main/told is not inside a loop and has no item key\n  hint: --approve main/told');
    expect(r.stderr).toContain('--approve main/each/replace[a: brackets do not pair up');
  });
});
