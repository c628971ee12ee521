// One executor per run: a live owner refuses a second one; the lock of a dead owner is taken over,
// and the taker says so.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireRunLock } from '../../src/engine/lock.js';

const dir = () => mkdtemp(join(tmpdir(), 'runbook-lock-'));

/** The pid of a process that has exited (and was reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('run lock', () => {
  it('is taken, names its owner, and is released', async () => {
    const d = await dir();
    const lock = await acquireRunLock(d, 'r1');
    expect(lock.takenOver).toBeUndefined();
    const owner = JSON.parse(await readFile(join(d, 'lock'), 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, host: hostname() });
    await lock.release();
    expect(await readdir(d)).toEqual([]);
    await (await acquireRunLock(d, 'r1')).release();
  });

  it('a live owner refuses a second executor', async () => {
    const d = await dir();
    const lock = await acquireRunLock(d, 'r1');
    await expect(acquireRunLock(d, 'r1')).rejects.toThrow(`run r1 is being executed by pid ${process.pid}`);
    await lock.release();
  });

  it('an owner on another host refuses too: its liveness cannot be told from here', async () => {
    const d = await dir();
    await writeFile(join(d, 'lock'), JSON.stringify({ pid: 1, host: 'elsewhere', since: '2026-01-01T00:00:00Z' }));
    await expect(acquireRunLock(d, 'r1')).rejects.toThrow(/locked by pid 1 on host elsewhere/);
  });

  it('the lock of a dead owner is taken over with a notice', async () => {
    const d = await dir();
    const pid = deadPid();
    await writeFile(join(d, 'lock'), JSON.stringify({ pid, host: hostname(), since: '2026-01-01T00:00:00Z' }));
    const lock = await acquireRunLock(d, 'r1');
    expect(lock.takenOver).toBe(`took over the lock of pid ${pid}, which no longer runs (it held run r1 since 2026-01-01T00:00:00Z)`);
    expect(JSON.parse(await readFile(join(d, 'lock'), 'utf8')).pid).toBe(process.pid);
    await lock.release();
    expect(await readdir(d)).toEqual([]);
  });

  it('an unreadable lock file is taken over with a notice', async () => {
    const d = await dir();
    await writeFile(join(d, 'lock'), '{not json');
    const lock = await acquireRunLock(d, 'r1');
    expect(lock.takenOver).toMatch(/unreadable lock file of run r1/);
    await lock.release();
  });

  it('of many takers of a dead lock at once, exactly one wins', async () => {
    for (let round = 0; round < 10; round++) {
      const d = await dir();
      await writeFile(join(d, 'lock'), JSON.stringify({ pid: deadPid(), host: hostname(), since: 'then' }));
      // Jitter, so the takers interleave differently each round.
      const take = async () => (await new Promise((r) => setTimeout(r, Math.random() * 3)), acquireRunLock(d, 'r1'));
      const results = await Promise.allSettled(Array.from({ length: 8 }, take));
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(String(r.reason)).toMatch(/being executed by pid|kept taking the lock/);
      expect(await readdir(d)).toEqual(['lock']);
    }
  });
});
