// One executor per run at a time. The lock file names its owner; a lock whose owner is gone (the
// process died, e.g. SIGKILL) is reported and taken over, never silently.
import { hostname } from 'node:os';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RunbookError } from './errors.js';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

export interface HeldLock {
  release(): Promise<void>;
  /** Set when a stale lock of a dead process was taken over: what to tell the user. */
  takenOver?: string;
}

export async function acquireRunLock(runDir: string, runId: string): Promise<HeldLock> {
  const path = join(runDir, 'lock');
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  let takenOver: string | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(JSON.stringify(me));
      await fh.close();
      return { release: () => rm(path, { force: true }), takenOver };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await readOwner(path);
    if (owner && owner.host !== me.host) {
      throw new RunbookError(`run ${runId} is locked by pid ${owner.pid} on host ${owner.host} since ${owner.since}`, {
        hint: `if that process is gone, remove ${path} and try again`,
      });
    }
    if (owner && isAlive(owner.pid)) {
      throw new RunbookError(`run ${runId} is being executed by pid ${owner.pid} (since ${owner.since})`, {
        hint: `wait for it to finish, or stop it (kill ${owner.pid}); two executors on one run would repeat steps`,
      });
    }
    takenOver = owner
      ? `took over the lock of pid ${owner.pid}, which no longer runs (it held run ${runId} since ${owner.since})`
      : `took over an unreadable lock file of run ${runId}`;
    await rm(path, { force: true });
  }
  throw new RunbookError(`could not lock run ${runId}: another process took the lock at the same time`);
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
