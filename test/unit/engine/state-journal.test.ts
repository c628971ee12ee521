// What a crash can leave of a run's state on disk, and what is read back from it. The files are
// written by the journal itself and then cut, damaged or left half-replaced the way a kill (or a
// disk) would leave them: a torn last line is the normal trace of a kill and reads back silently;
// damage anywhere else is named with its file and line, never passed over; a kill during a
// snapshot rewrite loses no change that was written.
import { appendFile, copyFile, mkdir, mkdtemp, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StateDamaged } from '../../../src/contract/errors.js';
import { Redactor } from '../../../src/contract/redact.js';
import { LOG, RunJournal, SNAPSHOT, readIntact, readRunState, removeTemporaries, setAsideDamaged } from '../../../src/engine/state-journal.js';
import { STATE_VERSION, StateStore, type RunState } from '../../../src/engine/state.js';

function state(runId = 'r1'): RunState {
  return {
    version: STATE_VERSION,
    runId,
    runbook: { name: 'x', file: '/x.yaml', digest: 'd' },
    stepDigests: {},
    status: 'running',
    dryRun: 'none',
    startedAt: '2026-03-02T09:30:00.000Z',
    updatedAt: '2026-03-02T09:30:00.000Z',
    vars: {},
    options: { only: [], skip: [] },
    steps: {},
    registered: {},
    findings: [],
    approved: [],
  };
}

/** A run's folder where a StateStore rooted two levels up keeps it: <root>/runs/<runId>. */
async function runDir(runId = 'r1'): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'runbook-state-journal-')), 'runs', runId);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** A journal that wrote a snapshot and then one line per step: a, b, c done. */
async function threeSteps(): Promise<{ dir: string; st: RunState }> {
  const dir = await runDir();
  const journal = new RunJournal(dir, new Redactor(), false);
  const st = state();
  await journal.write(st);
  for (const id of ['a', 'b', 'c']) {
    st.steps[id] = { state: 'done', status: 'changed', attempts: 1 };
    await journal.write(st);
  }
  await journal.close();
  return { dir, st };
}

const logLines = async (dir: string): Promise<string[]> => (await readFile(join(dir, LOG), 'utf8')).split('\n').filter(Boolean);

afterEach(() => {
  vi.useRealTimers();
});

describe('a torn last line', () => {
  it('is ignored without a word, however it was cut', async () => {
    const { dir } = await threeSteps();
    const lines = await logLines(dir);
    // Cut inside the JSON, and cut just before the newline (the line parses, but was never ended).
    for (const torn of [lines[2]!.slice(0, 17), lines[2]!]) {
      await writeFile(join(dir, LOG), `${lines[0]}\n${lines[1]}\n${torn}`);
      const read = await readIntact(dir);
      expect(read.damage).toBeUndefined();
      expect(Object.keys(read.state!.steps)).toEqual(['a', 'b']);
      expect(read.state!.seq).toBe(2);
    }
  });

  it('an empty log, or none, reads back as the snapshot', async () => {
    const { dir } = await threeSteps();
    await writeFile(join(dir, LOG), '');
    expect((await readRunState(dir))!.steps).toEqual({});
    await rename(join(dir, LOG), join(dir, 'elsewhere'));
    expect((await readRunState(dir))!.steps).toEqual({});
  });
});

describe('damage', () => {
  it('a damaged line in the middle is named with its file and line; what comes before it is kept', async () => {
    const { dir } = await threeSteps();
    const lines = await logLines(dir);
    await writeFile(join(dir, LOG), `${lines[0]}\n{"seq":2,"steps":{"b":{"state":"do\n${lines[2]}\n`);
    const read = await readIntact(dir);
    expect(read.damage).toBeInstanceOf(StateDamaged);
    expect(read.damage!.message).toBe(`the state of run r1 is damaged: ${join(dir, LOG)}:2: the line is damaged (not one recorded change)`);
    expect(read.damage!.data).toMatchObject({ runId: 'r1', dir, file: join(dir, LOG), line: 2, runbook: '/x.yaml' });
    expect(read.damage!.hint).toContain('runbook resume r1 --repair');
    expect(Object.keys(read.state!.steps)).toEqual(['a']);
    expect(read.state!.seq).toBe(1);
    await expect(readRunState(dir)).rejects.toThrow(read.damage!.message);
  });

  it('a line that is JSON but no recorded change (no sequence number) is damage too', async () => {
    const { dir } = await threeSteps();
    const lines = await logLines(dir);
    await writeFile(join(dir, LOG), `${lines[0]}\n{"steps":{}}\n${lines[1]}\n`);
    const read = await readIntact(dir);
    expect(read.damage?.data).toMatchObject({ line: 2 });
  });

  it('a change missing between two lines is named: the line after the gap', async () => {
    const { dir } = await threeSteps();
    const lines = await logLines(dir);
    await writeFile(join(dir, LOG), `${lines[0]}\n${lines[2]}\n`);
    const read = await readIntact(dir);
    expect(read.damage!.message).toContain(`${join(dir, LOG)}:2: change 2 is missing before this line`);
    expect(Object.keys(read.state!.steps)).toEqual(['a']);
  });

  it('a snapshot that is not JSON, or not a run state, is named; nothing is read from the log', async () => {
    const { dir } = await threeSteps();
    await writeFile(join(dir, SNAPSHOT), '{"runId": "r1", "ste');
    let read = await readIntact(dir);
    expect(read.state).toBeUndefined();
    expect(read.damage!.message).toMatch(new RegExp(`${join(dir, SNAPSHOT)} is not valid JSON`));
    expect(read.damage!.data).toMatchObject({ file: join(dir, SNAPSHOT) });
    await writeFile(join(dir, SNAPSHOT), '[1, 2]');
    read = await readIntact(dir);
    expect(read.damage!.message).toContain('is not a run state (no runId or steps)');
  });

  it('no snapshot at all is no run, not damage', async () => {
    expect(await readIntact(await runDir())).toEqual({});
    expect(await readRunState(await runDir())).toBeUndefined();
  });
});

describe('replay', () => {
  it('a snapshot and the lines after it give the state: keyed entries, fields set and removed, lines already in the snapshot skipped', async () => {
    const dir = await runDir();
    const snapshot = { ...state(), seq: 2, message: 'waiting', steps: { a: { state: 'done', status: 'ok' } } };
    await writeFile(join(dir, SNAPSHOT), JSON.stringify(snapshot));
    await writeFile(
      join(dir, LOG),
      [
        // Lines 1 and 2 are already in the snapshot (a kill before the log was emptied).
        { seq: 1, steps: { a: { state: 'running' } } },
        { seq: 2, steps: { a: { state: 'done', status: 'ok' } } },
        { seq: 3, steps: { b: { state: 'running', attempts: 1 } }, registered: { found: { n: 2 } }, stepDigests: { b: 'd2' } },
        { seq: 4, steps: { b: { state: 'done', status: 'changed', attempts: 1 } }, set: { status: 'succeeded' }, unset: ['message'] },
      ]
        .map((l) => `${JSON.stringify(l)}\n`)
        .join(''),
    );
    const read = (await readRunState(dir))!;
    expect(read.steps).toEqual({ a: { state: 'done', status: 'ok' }, b: { state: 'done', status: 'changed', attempts: 1 } });
    expect(read.registered).toEqual({ found: { n: 2 } });
    expect(read.stepDigests).toEqual({ b: 'd2' });
    expect(read.status).toBe('succeeded');
    expect(read).not.toHaveProperty('message');
    expect(read.seq).toBe(4);
  });

  it('loop items appended line by line are added to the list the loop had, in order', async () => {
    const dir = await runDir();
    await writeFile(join(dir, SNAPSHOT), JSON.stringify({ ...state(), seq: 0, steps: { loop: { state: 'running', itemsDone: ['ns/a'] } } }));
    await writeFile(
      join(dir, LOG),
      [
        { seq: 1, steps: { loop: { state: 'running' }, 'step[ns/b]': { state: 'done', status: 'changed' } }, items: { loop: ['ns/b'] } },
        { seq: 2, steps: { loop: { state: 'running' } }, items: { loop: ['ns/c', 'ns/d'] } },
        // A new loop's first items: no list before them.
        { seq: 3, steps: { inner: { state: 'running' } }, items: { inner: ['x'] } },
      ]
        .map((l) => `${JSON.stringify(l)}\n`)
        .join(''),
    );
    const read = (await readRunState(dir))!;
    expect(read.steps.loop!.itemsDone).toEqual(['ns/a', 'ns/b', 'ns/c', 'ns/d']);
    expect(read.steps.inner!.itemsDone).toEqual(['x']);
    expect(read.steps['step[ns/b]']).toEqual({ state: 'done', status: 'changed' });
  });

  it('what the journal writes for a loop reads back as the loop it was given', async () => {
    const dir = await runDir();
    const journal = new RunJournal(dir, new Redactor(), false);
    const st = state();
    st.steps.loop = { state: 'running', itemsDone: [] };
    await journal.write(st);
    for (const key of ['a', 'b', 'c']) {
      st.steps.loop = { ...st.steps.loop, itemsDone: [...st.steps.loop.itemsDone!, key] };
      st.steps[`step[${key}]`] = { state: 'done', status: 'ok' };
      await journal.write(st);
    }
    await journal.close();
    expect((await logLines(dir)).map((l) => (JSON.parse(l) as { items?: unknown }).items)).toEqual([{ loop: ['a'] }, { loop: ['b'] }, { loop: ['c'] }]);
    const read = (await readRunState(dir))!;
    expect(read.steps.loop!.itemsDone).toEqual(['a', 'b', 'c']);
    expect(Object.keys(read.steps)).toEqual(['loop', 'step[a]', 'step[b]', 'step[c]']);
  });
});

describe('a kill while the snapshot is rewritten', () => {
  /**
   * The files as a compaction leaves them at each point a kill can hit: the old snapshot and the
   * whole log, plus the new snapshot half-written, or whole but not yet renamed, or renamed with
   * the log not yet emptied. None loses a change that was written.
   */
  it('loses nothing written to the log, at any point of the rewrite', async () => {
    const { dir, st } = await threeSteps();
    const want = (await readRunState(dir))!;
    expect(Object.keys(want.steps)).toEqual(['a', 'b', 'c']);
    const oldSnapshot = await readFile(join(dir, SNAPSHOT), 'utf8');
    const log = await readFile(join(dir, LOG), 'utf8');
    // The snapshot the rewrite would write: the same state, numbered with the last change it holds.
    const fresh = await runDir();
    const journal = new RunJournal(fresh, new Redactor(), false);
    await journal.write({ ...st, seq: 3 });
    await journal.close();
    const newSnapshot = await readFile(join(fresh, SNAPSHOT), 'utf8');
    const temp = `${SNAPSHOT}.4242.tmp`;

    const points: Record<string, Record<string, string>> = {
      'half of the new snapshot written': { [SNAPSHOT]: oldSnapshot, [LOG]: log, [temp]: newSnapshot.slice(0, 40) },
      'the new snapshot written, not renamed': { [SNAPSHOT]: oldSnapshot, [LOG]: log, [temp]: newSnapshot },
      'renamed, the log not emptied': { [SNAPSHOT]: newSnapshot, [LOG]: log },
      'the log emptied': { [SNAPSHOT]: newSnapshot, [LOG]: '' },
    };
    for (const [point, files] of Object.entries(points)) {
      const d = await runDir();
      for (const [name, text] of Object.entries(files)) await writeFile(join(d, name), text);
      const read = await readIntact(d);
      expect(read.damage, point).toBeUndefined();
      expect({ ...read.state, seq: undefined }, point).toEqual({ ...want, seq: undefined });

      // The next process removes the half-written temporaries and goes on writing after them.
      const store = new StateStore(join(d, '..', '..'), new Redactor(), false);
      await store.prepare('r1');
      expect((await readdir(d)).filter((n) => n.endsWith('.tmp')), point).toEqual([]);
      const back = (await store.load('r1'))!;
      back.steps.d = { state: 'done', status: 'ok' };
      await store.save(back);
      back.steps.e = { state: 'done', status: 'ok' };
      await store.save(back);
      await store.close();
      expect(Object.keys((await store.load('r1'))!.steps), point).toEqual(['a', 'b', 'c', 'd', 'e']);
    }
  });

  it('a write that fails leaves the journal to start again from a snapshot, and the state readable', async () => {
    const dir = await runDir();
    const journal = new RunJournal(dir, new Redactor(), false);
    const st = state();
    await journal.write(st);
    st.steps.a = { state: 'done', status: 'ok' };
    await journal.write(st);
    // A value that cannot be written (JSON has no BigInt) fails the append.
    st.registered.bad = 1n;
    await expect(journal.write(st)).rejects.toThrow(/BigInt/);
    delete st.registered.bad;
    st.steps.b = { state: 'done', status: 'ok' };
    await journal.write(st);
    await journal.close();
    expect(Object.keys((await readRunState(dir))!.steps)).toEqual(['a', 'b']);
  });
});

describe('the store over damaged files', () => {
  it('a state of another format is named, with what to do', async () => {
    const root = await mkdtemp(join(tmpdir(), 'runbook-state-journal-'));
    const store = new StateStore(root, new Redactor(), false);
    await store.prepare('r1');
    await writeFile(store.statePath('r1'), JSON.stringify({ ...state(), version: 99 }));
    const err = await store.load('r1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateDamaged);
    expect((err as StateDamaged).message).toBe(`${store.statePath('r1')}: state format 99 is not supported (this runbook reads format ${STATE_VERSION})`);
    expect((err as StateDamaged).hint).toMatch(/runbook version that started it/);
  });

  it('scan lists the readable runs and names the damaged ones', async () => {
    const root = await mkdtemp(join(tmpdir(), 'runbook-state-journal-'));
    const store = new StateStore(root, new Redactor(), false);
    for (const id of ['good', 'bad']) await store.prepare(id);
    for (const id of ['good', 'bad']) await store.save({ ...state(id), startedAt: `2026-03-0${id === 'good' ? 2 : 1}T00:00:00.000Z` });
    await store.close();
    await appendFile(join(store.runDir('bad'), LOG), 'not json\n{"seq":1}\n');
    const { runs, damaged } = await store.scan();
    expect(runs.map((r) => r.runId)).toEqual(['good']);
    expect(damaged.map((d) => d.data?.runId)).toEqual(['bad']);
    expect(await store.list()).toHaveLength(1);
  });

  it('repair keeps what is proven, sets the damaged files aside, and the run goes on from a new snapshot', async () => {
    vi.useFakeTimers({ now: new Date('2026-03-02T10:00:00.000Z'), toFake: ['Date'] });
    const root = await mkdtemp(join(tmpdir(), 'runbook-state-journal-'));
    const store = new StateStore(root, new Redactor(), false);
    await store.prepare('r1');
    const st = state();
    await store.save(st);
    for (const id of ['a', 'b', 'c']) {
      st.steps[id] = { state: 'done', status: 'ok' };
      await store.save(st);
    }
    await store.close();
    const dir = store.runDir('r1');
    const lines = await logLines(dir);
    await writeFile(join(dir, LOG), `${lines[0]}\ngarbage\n${lines[2]}\n`);

    const { state: kept, setAside, damage } = await store.repair('r1');
    expect(damage?.data).toMatchObject({ line: 2 });
    expect(Object.keys(kept!.steps)).toEqual(['a']);
    expect(kept).not.toHaveProperty('seq');
    expect(setAside).toEqual([join(dir, `${SNAPSHOT}.damaged-20260302T100000000Z`), join(dir, `${LOG}.damaged-20260302T100000000Z`)]);
    expect((await readFile(setAside[1]!, 'utf8')).split('\n')[1]).toBe('garbage');

    kept!.steps.b = { state: 'done', status: 'ok' };
    await store.save(kept!);
    await store.close();
    expect(Object.keys((await store.load('r1'))!.steps)).toEqual(['a', 'b']);
    // A repair of a run that is not damaged changes nothing.
    expect(await store.repair('r1')).toMatchObject({ setAside: [] });
  });

  it('setAsideDamaged moves only the files there are; removeTemporaries only temporary snapshots', async () => {
    const dir = await runDir();
    await writeFile(join(dir, SNAPSHOT), '{}');
    expect(await setAsideDamaged(dir)).toHaveLength(1);
    await copyFile(join(dir, (await readdir(dir))[0]!), join(dir, `${SNAPSHOT}.7.tmp`));
    await writeFile(join(dir, 'notes.tmp'), '');
    await removeTemporaries(dir, await readdir(dir));
    expect((await readdir(dir)).sort()).toEqual(['notes.tmp', expect.stringMatching(/^state\.json\.damaged-/)]);
  });
});

describe('when the log is folded into a snapshot', () => {
  it('not right after one large line, but once the log is more than twice that line', async () => {
    const dir = await runDir();
    const journal = new RunJournal(dir, new Redactor(), false);
    const st = state();
    await journal.write(st);
    const snapshotBytes = (await readFile(join(dir, SNAPSHOT))).length;
    // A query's registered objects: one line of about 600 KB, far more than the snapshot.
    st.registered.objects = Array.from({ length: 3000 }, (_, i) => ({ metadata: { name: `wb-${i}`, namespace: 'team' }, spec: { image: 'x'.repeat(150) } }));
    await journal.write(st);
    const big = (await readFile(join(dir, LOG))).length;
    expect(big).toBeGreaterThan(500_000);
    expect((await readFile(join(dir, SNAPSHOT))).length).toBe(snapshotBytes);
    // Item records of about 40 KB each: the log passes twice the large line after some 15 of them.
    let steps = 0;
    while ((await readFile(join(dir, SNAPSHOT))).length === snapshotBytes) {
      st.steps[`item-${steps++}`] = { state: 'done', status: 'changed', attempts: 1, reason: 'y'.repeat(40_000) };
      await journal.write(st);
      expect(steps).toBeLessThan(40);
    }
    expect(steps).toBeGreaterThan(10);
    expect(await logLines(dir)).toEqual([]);
    await journal.close();
    const read = (await readRunState(dir))!;
    expect(read.registered.objects).toHaveLength(3000);
    expect(Object.keys(read.steps)).toHaveLength(steps);
  });
});
