// One executor per run: a live owner refuses a second one; the lock of a dead owner is taken over,
// and the taker says so.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LockHeld, acquireRunLock, acquireTargetLock } from '../../../src/engine/lock.js';

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
    await expect(acquireRunLock(d, 'r1')).rejects.toThrow(/run r1 is locked by pid 1 on host elsewhere/);
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

describe('target lock: one run of a runbook on a cluster at a time', () => {
  const upgrade = { cluster: 'https://api.prod.example.com:6443', runbook: '/srv/runbooks/upgrade.yaml' };

  it('a second run of the same runbook on the same cluster is refused, naming the holder', async () => {
    const d = await dir();
    const first = await acquireTargetLock(d, upgrade, 'upgrade-20261130-a');
    const second = acquireTargetLock(d, upgrade, 'upgrade-20261130-b');
    await expect(second).rejects.toBeInstanceOf(LockHeld);
    await expect(acquireTargetLock(d, upgrade, 'upgrade-20261130-b')).rejects.toThrow(
      new RegExp(`^runbook /srv/runbooks/upgrade.yaml on https://api.prod.example.com:6443 is being executed by run upgrade-20261130-a, pid ${process.pid} on host ${hostname()} \\(since `),
    );
    // Another cluster, or another runbook, is another target.
    await (await acquireTargetLock(d, { ...upgrade, cluster: 'https://api.test.example.com:6443' }, 'c')).release();
    await (await acquireTargetLock(d, { ...upgrade, runbook: '/srv/runbooks/assess.yaml' }, 'd')).release();
    await first.release();
    await (await acquireTargetLock(d, upgrade, 'upgrade-20261130-b')).release();
  });

  it('a lock whose pid now belongs to another process (started at another time) is taken over', async () => {
    const d = await dir();
    const lock = await acquireTargetLock(d, upgrade, 'mine');
    const [file] = (await readdir(join(d, 'locks'))).filter((f) => f.endsWith('.lock'));
    const path = join(d, 'locks', file!);
    await lock.release();
    // This very process, but "started" at another time: the pid was reused by an unrelated process.
    await writeFile(path, JSON.stringify({ pid: process.pid, host: hostname(), since: '2026-01-01T00:00:00Z', nonce: 'x', pidStart: '1', runId: 'old-run' }));
    const taken = await acquireTargetLock(d, upgrade, 'new-run');
    expect(taken.takenOver).toBe(`took over the lock of pid ${process.pid}, which no longer runs (it held runbook /srv/runbooks/upgrade.yaml on https://api.prod.example.com:6443 for run old-run since 2026-01-01T00:00:00Z)`);
    await taken.release();
  });
});

