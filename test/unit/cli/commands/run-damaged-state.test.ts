// Damaged state is named, never replaced: a broken snapshot or a damaged line in the middle of the
// change log is reported with its file (and line) and exit 6 by `resume`, `run` and `status`;
// `run` does not start over it silently (--fresh does, saying what it leaves); `resume --repair`
// keeps what is intact, sets the damaged files aside, and checks again what it cannot prove done.
// A torn last line (a kill mid-append) stays the silent, normal case. Local runbooks: no cluster.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../../../dist/cli/main.js', import.meta.url));

function workspace(): { dir: string; cli: (...args: string[]) => { status: number | null; stdout: string; stderr: string } } {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-state-'));
  // Three steps; the second fails until the file "ok" exists, so the run stops in the middle.
  writeFileSync(
    join(dir, 'local.yaml'),
    [
      'apiVersion: runbook.dev/v1',
      'kind: Runbook',
      'metadata: { name: local }',
      'sections:',
      '  - name: main',
      '    steps:',
      '      - { name: one, id: main/one, exec: { command: ["sh", "-c", "echo one >> trail"] } }',
      '      - { name: two, id: main/two, exec: { command: ["test", "-e", "ok"] } }',
      '      - { name: three, id: main/three, exec: { command: ["sh", "-c", "echo three >> trail"] } }',
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

function stoppedRun(): { dir: string; runDir: string; runId: string; cli: ReturnType<typeof workspace>['cli'] } {
  const w = workspace();
  const first = w.cli('run', 'local.yaml', '-o', 'plain');
  expect(first.status, first.stderr).toBe(1);
  const runId = readdirSync(join(w.dir, '.runbook', 'runs'))[0]!;
  return { ...w, runDir: join(w.dir, '.runbook', 'runs', runId), runId };
}

describe('damaged run state', () => {
  it('a damaged line in the middle of state.log is named with its line; run and resume refuse, status lists it', { timeout: 60_000 }, () => {
    const { cli, runDir, runId } = stoppedRun();
    const log = join(runDir, 'state.log');
    const lines = readFileSync(log, 'utf8').split('\n');
    expect(lines.length).toBeGreaterThan(2);
    writeFileSync(log, ['{"seq": garbage', ...lines.slice(1)].join('\n'));

    const resume = cli('resume', runId);
    expect(resume.status).toBe(6);
    expect(resume.stderr).toContain(`error: the state of run ${runId} is damaged: ${log}:1: the line is damaged`);
    expect(resume.stderr).toContain(`hint: runbook resume ${runId} --repair`);
    expect(resume.stderr).not.toContain('unexpected');

    const run = cli('run', 'local.yaml');
    expect(run.status).toBe(6);
    expect(run.stderr).toContain('--fresh starts a new run beside it');

    const status = cli('status');
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^${runId} +damaged +the state of run ${runId} is damaged`, 'm'));
  });

  it('resume --repair keeps what is proven, sets the damaged files aside and finishes', { timeout: 60_000 }, () => {
    const { dir, cli, runDir, runId } = stoppedRun();
    const log = join(runDir, 'state.log');
    appendFileSync(log, 'damaged line\n{"seq": 999}\n');
    writeFileSync(join(dir, 'ok'), '');
    const repaired = cli('resume', runId, '--repair', '-o', 'plain');
    expect(repaired.status, repaired.stderr).toBe(0);
    expect(repaired.stderr).toMatch(new RegExp(`note: repaired run ${runId}: \\d+ steps proven done are kept, every other step is checked again; set aside: .*state\\.json\\.damaged-\\S+, .*state\\.log\\.damaged-`));
    // Step one was proven done before the damage: it did not run again.
    expect(readFileSync(join(dir, 'trail'), 'utf8')).toBe('one\nthree\n');
    expect(readdirSync(runDir).filter((f) => f.includes('.damaged-'))).toHaveLength(2);
  });

  it('an unreadable snapshot: resume says so; --fresh starts beside it and says what it leaves', { timeout: 60_000 }, () => {
    const { cli, runDir, runId } = stoppedRun();
    writeFileSync(join(runDir, 'state.json'), '{"runId": "cut short');
    const resume = cli('resume');
    expect(resume.status).toBe(6);
    expect(resume.stderr).toContain(`${join(runDir, 'state.json')} is not valid JSON`);
    const fresh = cli('run', 'local.yaml', '--fresh', '-o', 'plain');
    expect(fresh.stderr).toContain(`note: left as it is: the state of run ${runId} is damaged`);
    expect(existsSync(join(runDir, 'state.json'))).toBe(true);
  });

  it('a torn last line (a kill mid-append) is no damage: resume continues silently', { timeout: 60_000 }, () => {
    const { dir, cli, runDir, runId } = stoppedRun();
    appendFileSync(join(runDir, 'state.log'), '{"seq":99,"steps":{"main/thr');
    writeFileSync(join(dir, 'ok'), '');
    const resume = cli('resume', runId, '-o', 'plain');
    expect(resume.status, resume.stderr).toBe(0);
    expect(resume.stderr).not.toContain('damaged');
  });
});
