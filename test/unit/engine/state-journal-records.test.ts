// The state on disk: a snapshot plus a log of changes. What a kill can leave behind (a torn last
// line, lines a newer snapshot already holds) reads back as the last completed transition.
import { appendFile, mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/contract/redact.js';
import { StateStore, newRunState, type RunState } from '../../../src/engine/state.js';

function state(runId = 'r1'): RunState {
  return {
    ...newRunState({ runbook: { name: 'x', file: '/x.yaml', digest: 'd' }, runId, vars: { v: 1 } }),
    stepDigests: { a: '1', b: '2' },
    startedAt: 't0',
    updatedAt: 't0',
  };
}

async function store(secrets: string[] = []): Promise<StateStore> {
  const s = new StateStore(await mkdtemp(join(tmpdir(), 'runbook-journal-')), new Redactor(secrets), false);
  await s.prepare('r1');
  return s;
}

/** The state as a reader sees it, without the bookkeeping fields. */
async function read(s: StateStore): Promise<Partial<RunState>> {
  const { seq: _seq, updatedAt: _u, ...rest } = (await s.load('r1'))!;
  return rest;
}

const logOf = (s: StateStore) => readFile(join(s.runDir('r1'), 'state.log'), 'utf8');

describe('state journal', () => {
  it('writes a snapshot first, then one short line per transition', async () => {
    const s = await store();
    const st = state();
    await s.save(st);
    st.steps.a = { state: 'running', attempts: 1 };
    await s.save(st);
    st.steps.a = { state: 'done', status: 'changed', attempts: 1 };
    st.registered.out = { n: 1 };
    await s.save(st);
    const lines = (await logOf(s)).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ seq: 2, steps: { a: { state: 'done', status: 'changed', attempts: 1 } }, registered: { out: { n: 1 } } });
    expect(Object.keys(lines[1].set ?? {})).toEqual(Object.keys(lines[1].set ?? {}).length ? ['updatedAt'] : []);
    const { updatedAt: _u, ...want } = st;
    expect(await read(s)).toEqual({ ...want, seq: undefined });
  });

  it('logs other fields whole, and fields removed', async () => {
    const s = await store();
    const st = state();
    st.message = 'waiting';
    await s.save(st);
    delete st.message;
    st.status = 'succeeded';
    st.findings.push({ severity: 'info', check: 'c', message: 'm' });
    await s.save(st);
    const r = await read(s);
    expect(r.message).toBeUndefined();
    expect(r.status).toBe('succeeded');
    expect(r.findings).toHaveLength(1);
  });

  it('a torn last line (a kill mid-append) is ignored', async () => {
    const s = await store();
    const st = state();
    await s.save(st);
    st.steps.a = { state: 'done', status: 'ok' };
    await s.save(st);
    await s.close();
    await appendFile(join(s.runDir('r1'), 'state.log'), '{"seq":3,"steps":{"b":{"sta');
    const r = await read(s);
    expect(Object.keys(r.steps!)).toEqual(['a']);
  });

  it('a damaged line before the last is an error, not a silent loss', async () => {
    const s = await store();
    const st = state();
    await s.save(st);
    st.steps.a = { state: 'done', status: 'ok' };
    await s.save(st);
    await s.close();
    const log = join(s.runDir('r1'), 'state.log');
    await writeFile(log, `garbage\n${await readFile(log, 'utf8')}`);
    await expect(s.load('r1')).rejects.toThrow(/state.log:1: the line is damaged/);
  });

  it('lines a newer snapshot already holds are skipped (a kill between snapshot and truncation)', async () => {
    const s = await store();
    const st = state();
    await s.save(st);
    st.steps.a = { state: 'running' };
    await s.save(st);
    const oldLog = await logOf(s);
    st.steps.a = { state: 'done', status: 'changed' };
    await s.save(st);
    await s.close();
    // A new process writes a snapshot first; put the old lines back as if the truncation never happened.
    const again = new StateStore(s.root, new Redactor(), false);
    await again.save((await again.load('r1'))!);
    await again.close();
    await writeFile(join(s.runDir('r1'), 'state.log'), oldLog);
    expect((await again.load('r1'))!.steps.a).toEqual({ state: 'done', status: 'changed' });
  });

  it('folds the log into a new snapshot once it outgrows it', async () => {
    const s = await store();
    const st = state();
    await s.save(st);
    for (let i = 0; i < 3000; i++) {
      st.steps[`s${i}`] = { state: 'done', status: 'changed', summary: 'x'.repeat(100) };
      await s.save(st);
    }
    await s.close();
    const log = await logOf(s);
    expect(log.length).toBeLessThan(600 * 1024);
    const snapshot = JSON.parse(await readFile(s.statePath('r1'), 'utf8')) as RunState;
    expect(Object.keys(snapshot.steps).length).toBeGreaterThan(1000);
    expect(Object.keys((await s.load('r1'))!.steps)).toHaveLength(3000);
  });

  it('what changes while a snapshot is being written goes into the next line', async () => {
    const s = await store();
    const st = state();
    const first = s.save(st); // a snapshot: the first write
    st.steps.late = { state: 'done', status: 'ok' };
    st.registered.late = 1;
    await first;
    await s.save(st);
    const r = await read(s);
    expect(r.steps).toEqual({ late: { state: 'done', status: 'ok' } });
    expect(r.registered).toEqual({ late: 1 });
  });

  it('a field replaced whole is written as a snapshot', async () => {
    const s = await store();
    const st = state();
    await s.save(st);
    st.steps = { a: { state: 'done', status: 'ok' } };
    await s.save(st);
    expect((await read(s)).steps).toEqual({ a: { state: 'done', status: 'ok' } });
  });

  it('a removed entry is written as a snapshot', async () => {
    const s = await store();
    const st = state();
    st.registered.a = 1;
    await s.save(st);
    delete st.registered.a;
    await s.save(st);
    expect((await read(s)).registered).toEqual({});
  });

  it('files are 0600 and hold no secret, in the snapshot or the log', async () => {
    const s = await store(['hunter2']);
    const st = state();
    st.vars = { password: 'hunter2' };
    await s.save(st);
    st.steps.a = { state: 'done', status: 'ok', summary: 'logged in with hunter2' };
    await s.save(st);
    await s.close();
    const dir = s.runDir('r1');
    for (const name of await readdir(dir)) {
      expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
      expect(await readFile(join(dir, name), 'utf8')).not.toContain('hunter2');
    }
    expect((await s.load('r1'))!.steps.a?.summary).toBe('logged in with <redacted>');
  });

  it('with fsync, durable and non-durable saves read back alike', async () => {
    const s = new StateStore(await mkdtemp(join(tmpdir(), 'runbook-journal-')), new Redactor(), true);
    await s.prepare('r1');
    const st = state();
    await s.save(st, { durable: false });
    st.steps.a = { state: 'running' };
    await s.save(st, { durable: false });
    st.steps.a = { state: 'done', status: 'ok' };
    await s.save(st);
    await s.close();
    expect((await s.load('r1'))!.steps).toEqual({ a: { state: 'done', status: 'ok' } });
  });

  it('prepare removes snapshots a killed writer left half-written', async () => {
    const s = await store();
    await writeFile(join(s.runDir('r1'), 'state.json.4242.tmp'), '{"half');
    await s.prepare('r1');
    expect(await readdir(s.runDir('r1'))).toEqual([]);
  });
  describe('loop items', () => {
    /** A loop record as the executor writes it: a new record and a new list at each item. */
    const finishItem = (st: RunState, id: string, key: string): void => {
      const before = st.steps[id]!;
      st.steps[id] = { ...before, itemsDone: [...(before.itemsDone ?? []), key] };
    };

    it('logs each finished item once, not the whole list again', async () => {
      const s = await store();
      const st = state();
      st.steps.loop = { state: 'running', itemsDone: [] };
      await s.save(st);
      const keys = Array.from({ length: 200 }, (_, i) => `ns/item-${i}`);
      for (const key of keys) {
        finishItem(st, 'loop', key);
        await s.save(st);
      }
      const lines = (await logOf(s)).trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(200);
      // Every key is written once in the whole log: appends, never the list again.
      expect(lines.flatMap((l) => l.items?.loop ?? [])).toEqual(keys);
      expect(lines.every((l) => l.steps?.loop && !('itemsDone' in l.steps.loop))).toBe(true);
      expect((await read(s)).steps!.loop!.itemsDone).toEqual(keys);
    });

    it('a kill mid-append loses only the item being recorded; a resume adds to what was read', async () => {
      const s = await store();
      const st = state();
      st.steps.loop = { state: 'running', itemsDone: ['a'] };
      await s.save(st);
      finishItem(st, 'loop', 'b');
      st.steps['loop/step[b]'] = { state: 'done', status: 'changed' };
      await s.save(st);
      await s.close();
      await appendFile(join(s.runDir('r1'), 'state.log'), '{"seq":3,"steps":{"loop":{"state":"running"}},"items":{"loop":["c');
      const back = (await s.load('r1'))!;
      expect(back.steps.loop!.itemsDone).toEqual(['a', 'b']);
      // The next process goes on from what it read: its first write is a snapshot, then appends.
      const again = new StateStore(s.root, new Redactor(), false);
      await again.save(back);
      finishItem(back, 'loop', 'c');
      await again.save(back);
      await again.close();
      expect((await again.load('r1'))!.steps.loop!.itemsDone).toEqual(['a', 'b', 'c']);
    });

    it('a list that is not the last one written plus more is written whole', async () => {
      const s = await store();
      const st = state();
      st.steps.loop = { state: 'running', itemsDone: ['a', 'b'] };
      await s.save(st);
      st.steps.loop = { state: 'running', itemsDone: ['b'] };
      await s.save(st);
      const last = JSON.parse((await logOf(s)).trim().split('\n').pop()!);
      expect(last.steps.loop.itemsDone).toEqual(['b']);
      expect(last.items).toBeUndefined();
      expect((await read(s)).steps!.loop!.itemsDone).toEqual(['b']);
    });

    it('items logged across a snapshot read back whole', async () => {
      const s = await store();
      const st = state();
      st.steps.loop = { state: 'running', itemsDone: [] };
      await s.save(st);
      const keys: string[] = [];
      // Long keys so that the log outgrows the 256 KiB floor and is folded into snapshots.
      for (let i = 0; i < 600; i++) {
        const key = `item-${i}-${'x'.repeat(600)}`;
        keys.push(key);
        finishItem(st, 'loop', key);
        await s.save(st);
      }
      expect((await read(s)).steps!.loop!.itemsDone).toEqual(keys);
    });
  });
});
