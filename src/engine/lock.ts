// One executor per run at a time. The lock file names its owner; a lock whose owner is gone (the
// process died, e.g. SIGKILL) is reported and taken over, never silently.
//
// The lock is written whole under a private name and linked into place: link() fails when a lock
// exists, and no reader ever sees a half-written lock (which it would take for a broken one). A
// stale lock is only removed by the holder of a second, short-lived lock (`lock.takeover`), after
// checking again that it is still the one judged stale: two processes taking over the same dead
// lock cannot both win, and a live lock is never removed.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunbookError } from './errors.js';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
  /** Tells two locks of one process apart. */
  nonce: string;
}

export interface HeldLock {
  release(): Promise<void>;
  /** Set when a stale lock of a dead process was taken over: what to tell the user. */
  takenOver?: string;
}

export async function acquireRunLock(runDir: string, runId: string): Promise<HeldLock> {
  const path = join(runDir, 'lock');
  const takeover = join(runDir, 'lock.takeover');
  const text = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString(), nonce: token() } satisfies LockOwner);
  const mine = join(runDir, `lock.${token()}.new`);
  await writeFile(mine, text, { mode: 0o600 });
  let takenOver: string | undefined;
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      if (await linkNew(mine, path)) return { release: () => releaseIf(path, text), takenOver };
      const seen = await readText(path);
      if (seen === undefined) continue; // released meanwhile
      const owner = parse(seen);
      if (owner && owner.host !== hostname()) {
        throw new RunbookError(`run ${runId} is locked by pid ${owner.pid} on host ${owner.host} since ${owner.since}`, {
          hint: `if that process is gone, remove ${path} and try again`,
        });
      }
      if (owner && isAlive(owner.pid)) {
        throw new RunbookError(`run ${runId} is being executed by pid ${owner.pid} (since ${owner.since})`, {
          hint: `wait for it to finish, or stop it (kill ${owner.pid}); two executors on one run would repeat steps`,
        });
      }
      if (!(await linkNew(mine, takeover))) {
        // Someone else is taking the stale lock over; a taker that died meanwhile is cleared.
        const taker = parse((await readText(takeover)) ?? '');
        if (taker && !isAlive(taker.pid)) await rm(takeover, { force: true });
        else await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      try {
        if ((await readText(path)) === seen) {
          await rm(path);
          takenOver = owner
            ? `took over the lock of pid ${owner.pid}, which no longer runs (it held run ${runId} since ${owner.since})`
            : `took over an unreadable lock file of run ${runId}`;
        }
      } finally {
        await releaseIf(takeover, text);
      }
    }
    throw new RunbookError(`could not lock run ${runId}: other processes kept taking the lock at the same time`);
  } finally {
    await rm(mine, { force: true });
  }
}

async function linkNew(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Removes the lock only while it is still ours. */
async function releaseIf(path: string, text: string): Promise<void> {
  if ((await readText(path)) === text) await rm(path, { force: true });
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function parse(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as LockOwner;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o : undefined;
  } catch {
    return undefined;
  }
}

function token(): string {
  return randomBytes(6).toString('hex');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
