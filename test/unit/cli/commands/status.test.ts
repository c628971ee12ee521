// `runbook status` over a file state folder: every run with where it stands, damaged runs named,
// one run in detail with how to go on; a run recorded as running whose executor is gone is shown
// as interrupted.
import { appendFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { statusCommand } from '../../../../src/cli/commands/status.js';
import { EXIT } from '../../../../src/cli/exit-codes.js';
import { RunbookError } from '../../../../src/contract/errors.js';
import { Redactor } from '../../../../src/contract/redact.js';
import { STATE_VERSION, StateStore, type RunState } from '../../../../src/engine/state.js';

function state(runId: string, extra: Partial<RunState> = {}): RunState {
  return {
    version: STATE_VERSION,
    runId,
    runbook: { name: 'up', file: '/runbooks/up.yaml', digest: 'd' },
    stepDigests: {},
    status: 'failed',
    dryRun: 'none',
    startedAt: '2026-03-02T09:30:00.000Z',
    updatedAt: '2026-03-02T09:31:00.000Z',
    vars: {},
    options: { only: [], skip: [] },
    steps: {},
    registered: {},
    findings: [],
    approved: [],
    ...extra,
  };
}

async function folder(runs: RunState[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'runbook-status-'));
  const store = new StateStore(root, new Redactor(), false);
  // The store stamps each save with the time: a fixed one.
  vi.useFakeTimers({ now: new Date('2026-03-02T09:31:00.000Z'), toFake: ['Date'] });
  for (const r of runs) {
    await store.prepare(r.runId);
    await store.save(r);
  }
  await store.close();
  vi.useRealTimers();
  return root;
}

function stdout(): string[] {
  const out: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
  return out;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('status command', () => {
  it('one run: each step, and the resume command with the gates it waits for', async () => {
    const root = await folder([
      state('up-1', {
        status: 'waiting-approval',
        message: 'waiting for approval of step replace[a]',
        steps: {
          backup: { state: 'done', status: 'changed', durationMs: 61_000 },
          'replace[a]': { state: 'waiting' },
        },
      }),
    ]);
    const out = stdout();
    expect(await statusCommand('up-1', { stateDir: root })).toBe(EXIT.ok);
    const text = out.join('');
    expect(text).toMatch(/^run up-1: waiting-approval — waiting for approval of step replace\[a\]\nrunbook: \/runbooks\/up\.yaml\n/);
    expect(text).toContain('  changed      backup (1m1s)\n  waiting      replace[a]\n');
    expect(text).toContain("\nwaiting for approval:\n  replace[a]\n\nresume with: runbook resume up-1 --approve 'replace[a]'\n");
  });

  it('a loop whose items wait at a gate waits with them, and one flag passes every item', async () => {
    const root = await folder([
      state('up-3', {
        status: 'waiting-approval',
        steps: {
          convert: { state: 'running' },
          'convert/replace[ns-1/a]': { state: 'waiting' },
          'convert/replace[ns-2/b]': { state: 'waiting' },
        },
      }),
    ]);
    const out = stdout();
    expect(await statusCommand('up-3', { stateDir: root })).toBe(EXIT.ok);
    const text = out.join('');
    expect(text).toContain('  waiting      convert\n');
    expect(text).not.toContain('interrupted');
    expect(text).toContain("resume with: runbook resume up-3 --approve 'convert/replace[ns-1/a]' --approve 'convert/replace[ns-2/b]'\n");
    expect(text).toContain("         or: runbook resume up-3 --approve 'convert/replace[*]'   (every item of the loop)\n");
  });

  it('a run recorded as running with no live executor is interrupted; a failed one says how to resume', async () => {
    const root = await folder([state('up-2', { status: 'running', steps: { backup: { state: 'running' } } }), state('up-3')]);
    const out = stdout();
    await statusCommand('up-2', { stateDir: root });
    expect(out.join('')).toMatch(/^run up-2: interrupted — its executor is no longer running\n/);
    expect(out.join('')).toContain('  interrupted  backup\n');
    vi.restoreAllMocks();
    const failed = stdout();
    await statusCommand('up-3', { stateDir: root });
    expect(failed.join('')).toMatch(/\nresume with: runbook resume up-3\n$/);
  });

  it('every run, newest first, damaged ones named with their hint; as JSON too', async () => {
    const root = await folder([state('old', { startedAt: '2026-03-01T00:00:00.000Z' }), state('new', { status: 'succeeded' }), state('bad')]);
    await appendFile(join(root, 'runs', 'bad', 'state.log'), 'garbage\n{"seq":9}\n');
    const out = stdout();
    await statusCommand(undefined, { stateDir: root });
    const lines = out.join('').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^bad {2}damaged {10}the state of run bad is damaged: .*state\.log:\d+: the line is damaged/);
    expect(lines[1]).toMatch(/^ {2}hint: runbook resume bad --repair/);
    expect(lines.slice(2)).toEqual(['new  succeeded        2026-03-02T09:31:00.000Z  /runbooks/up.yaml', 'old  failed           2026-03-02T09:31:00.000Z  /runbooks/up.yaml']);
    vi.restoreAllMocks();
    const json = stdout();
    await statusCommand(undefined, { stateDir: root, output: 'json' });
    expect((JSON.parse(json.join('')) as { runId: string; status: string }[]).map((r) => [r.runId, r.status])).toEqual([
      ['bad', 'damaged'],
      ['new', 'succeeded'],
      ['old', 'failed'],
    ]);
  });

  it('no runs says where it looked; an unknown run id is an error with a hint', async () => {
    const root = await mkdtemp(join(tmpdir(), 'runbook-status-'));
    const out = stdout();
    await statusCommand(undefined, { stateDir: root });
    expect(out.join('')).toBe(`no runs in ${root}\n`);
    const err = await statusCommand('nope', { stateDir: root }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunbookError);
    expect((err as RunbookError).message).toBe(`no run nope in ${root}`);
  });
});
