// Choosing a run to continue reads each earlier run's summary, not its whole state, while the
// state files are the ones the summary was written after; any change to them and the state is
// read (and its damage named) in full again.
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/contract/redact.js';
import { readTrustedSummary, writeRunSummary } from '../../../src/engine/run-summary.js';
import { LOG, SNAPSHOT } from '../../../src/engine/state-journal.js';
import { StateStore, newRunState, type RunState } from '../../../src/engine/state.js';

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((r) => rm(r, { recursive: true, force: true })));
});

async function store(): Promise<StateStore> {
  const root = await mkdtemp(join(tmpdir(), 'runbook-run-summary-'));
  roots.push(root);
  return new StateStore(root, new Redactor(), false);
}

/** A run of /x.yaml that went through `statuses`, saved as the executor saves it. */
async function recorded(s: StateStore, runId: string, ...statuses: RunState['status'][]): Promise<RunState> {
  const state = newRunState({ runbook: { name: 'x', file: '/x.yaml', digest: 'd' }, runId, now: new Date('2026-03-02T09:30:00Z') });
  await s.prepare(runId);
  await s.save(state);
  for (const status of statuses) {
    state.steps[`step-${status}`] = { state: 'done', status: 'ok' };
    state.status = status;
    await s.save(state);
  }
  await s.close();
  return state;
}

// A time that survives being set again exactly (utimes cannot restore sub-millisecond times).
const ROUND_TIME = new Date('2026-03-02T10:00:00Z');

/** Rewrites a file in place with other bytes of the same length and its old time: a change no stamp shows. */
async function scribbleUnseen(path: string): Promise<void> {
  const text = await readFile(path, 'utf8');
  await writeFile(path, '#'.repeat(Buffer.byteLength(text)));
  await utimes(path, ROUND_TIME, ROUND_TIME);
}

describe('run summaries', () => {
  it('are written when a run stops and stand for its state while the files are untouched', async () => {
    const s = await store();
    const state = await recorded(s, 'r1', 'succeeded');
    for (const name of [SNAPSHOT, LOG]) await utimes(join(s.runDir('r1'), name), ROUND_TIME, ROUND_TIME);
    await writeRunSummary(s.runDir('r1'), state);
    expect(await readTrustedSummary(s.runDir('r1'))).toEqual({
      runId: 'r1',
      runbook: { name: 'x', file: '/x.yaml', digest: 'd' },
      status: 'succeeded',
      dryRun: 'none',
      startedAt: '2026-03-02T09:30:00.000Z',
    });
    // Proof that the state itself is not read: damage the stamps cannot see goes unnoticed here,
    // and is found by the full scan that `runbook status` makes.
    await scribbleUnseen(join(s.runDir('r1'), SNAPSHOT));
    expect((await s.scanSummaries()).runs.map((r) => r.runId)).toEqual(['r1']);
    expect((await s.scan()).damaged.map((d) => d.message)).toEqual([expect.stringContaining('state.json is not valid JSON')]);
  });

  it('are not written while a run is under way', async () => {
    const s = await store();
    await recorded(s, 'r1');
    expect(await readTrustedSummary(s.runDir('r1'))).toBeUndefined();
    expect((await s.scanSummaries()).runs.map((r) => [r.runId, r.status])).toEqual([['r1', 'running']]);
  });

  it('stop standing for the state once its log changes, and damage there is named', async () => {
    const s = await store();
    await recorded(s, 'r1', 'failed');
    await appendFile(join(s.runDir('r1'), LOG), 'not a change\n');
    expect(await readTrustedSummary(s.runDir('r1'))).toBeUndefined();
    const { runs, damaged } = await s.scanSummaries();
    expect(runs).toEqual([]);
    expect(damaged.map((d) => d.message)).toEqual([expect.stringMatching(/state\.log:\d+: the line is damaged/)]);
  });

  it('stop standing for the state when the run is resumed, and the resumed run is read in full', async () => {
    const s = await store();
    const state = await recorded(s, 'r1', 'failed');
    state.status = 'running';
    state.steps.again = { state: 'running' };
    await s.save(state);
    await s.close();
    expect(await readTrustedSummary(s.runDir('r1'))).toBeUndefined();
    expect((await s.scanSummaries()).runs.map((r) => r.status)).toEqual(['running']);
    expect((await s.findUnfinished('/x.yaml'))?.steps.again).toEqual({ state: 'running' });
  });

  it('that are not well formed are passed over for the state', async () => {
    const s = await store();
    await recorded(s, 'r1', 'waiting-approval');
    await writeFile(join(s.runDir('r1'), 'ended.json'), '{"runId": 3}');
    expect(await readTrustedSummary(s.runDir('r1'))).toBeUndefined();
    expect((await s.scanSummaries()).runs.map((r) => r.status)).toEqual(['waiting-approval']);
  });

  it('lead to the whole state of the run chosen to continue', async () => {
    const s = await store();
    await recorded(s, 'old', 'succeeded');
    const failed = await recorded(s, 'r2', 'failed');
    const found = await s.findUnfinished('/x.yaml');
    expect(found?.runId).toBe('r2');
    expect(found?.steps).toEqual(failed.steps);
    expect(await s.findUnfinished('/other.yaml')).toBeUndefined();
  });
});

describe('runs recorded without a summary', () => {
  it('are summed up by the first scan that reads them in full, unless still under way', async () => {
    const s = await store();
    await recorded(s, 'stopped', 'failed');
    await recorded(s, 'going');
    await rm(join(s.runDir('stopped'), 'ended.json'));
    expect((await s.scanSummaries()).runs.map((r) => [r.runId, r.status]).sort()).toEqual([
      ['going', 'running'],
      ['stopped', 'failed'],
    ]);
    expect((await readTrustedSummary(s.runDir('stopped')))?.status).toBe('failed');
    expect(await readTrustedSummary(s.runDir('going'))).toBeUndefined();
  });
});

describe('a summary that cannot be written', () => {
  it('fails neither the save that ends a run nor the scan, and leaves no temporary file', async () => {
    const s = await store();
    await s.prepare('r1');
    // A folder with something in it where the summary goes: the rename onto it fails.
    await mkdir(join(s.runDir('r1'), 'ended.json', 'in-the-way'), { recursive: true });
    await recorded(s, 'r1', 'failed');
    expect(await readTrustedSummary(s.runDir('r1'))).toBeUndefined();
    expect((await s.scanSummaries()).runs.map((r) => [r.runId, r.status])).toEqual([['r1', 'failed']]);
    expect((await readdir(s.runDir('r1'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
