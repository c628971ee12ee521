// One executor at a time, twice over. The run lock (runs/<id>/lock) keeps two executors off one
// run; the target lock (locks/<digest>.lock) keeps two runs of one runbook off one cluster, so
// `run`, `resume` and `--fresh` started side by side cannot act on the same objects. A lock file
// names its owner (pid, host, start time of the process, run id); a lock whose owner is gone (the
// process died, e.g. SIGKILL) is reported and taken over, never silently. The owner's process
// start time tells a dead owner from an unrelated process that got its pid since.
//
// The lock is written whole under a private name and linked into place: link() fails when a lock
// exists, and no reader ever sees a half-written lock (which it would take for a broken one). A
// stale lock is only removed by the holder of a second, short-lived lock (`<lock>.takeover`),
// after checking again that it is still the one judged stale: two processes taking over the same
// dead lock cannot both win, and a live lock is never removed.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { RunbookError } from '../contract/errors.js';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
  /** Tells two locks of one process apart. */
  nonce: string;
  /** When the owner process started (Linux: /proc/<pid>/stat), so a reused pid is not taken for it. */
  pidStart?: string;
  /** The run that holds it. */
  runId?: string;
}

export interface HeldLock {
  release(): Promise<void>;
  /** Set when a stale lock of a dead process was taken over: what to tell the user. */
  takenOver?: string;
}

/** Another process holds a lock: a run is in progress. */
export class LockHeld extends RunbookError {}

/** The lock of one run: one executor per run. */
export function acquireRunLock(runDir: string, runId: string): Promise<HeldLock> {
  return acquireLock(join(runDir, 'lock'), { what: `run ${runId}`, runId });
}

export interface LockTarget {
  /** Who the runbook acts on: the API server URL, or "" for a runbook that needs no cluster. */
  cluster: string;
  /** The runbook file, as an absolute path. */
  runbook: string;
}

/** The lock of a runbook on a cluster: one run of it at a time, whatever its run id. */
export function acquireTargetLock(stateRoot: string, target: LockTarget, runId: string): Promise<HeldLock> {
  const digest = createHash('sha256').update(`${target.cluster}\n${target.runbook}`).digest('hex').slice(0, 24);
  const on = target.cluster ? ` on ${target.cluster}` : '';
  return acquireLock(join(stateRoot, 'locks', `${digest}.lock`), { what: `runbook ${target.runbook}${on}`, runId });
}

async function acquireLock(path: string, me: { what: string; runId: string }): Promise<HeldLock> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const takeover = `${path}.takeover`;
  const start = processStart(process.pid);
  const text = JSON.stringify({
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    nonce: token(),
    ...(start ? { pidStart: start } : {}),
    runId: me.runId,
  } satisfies LockOwner);
  const mine = `${path}.${token()}.new`;
  await writeFile(mine, text, { mode: 0o600 });
  let takenOver: string | undefined;
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      if (await linkNew(mine, path)) return { release: () => releaseIf(path, text), takenOver };
      const seen = await readText(path);
      if (seen === undefined) continue; // released meanwhile
      const owner = parse(seen);
      if (owner && owner.host !== hostname()) {
        throw new LockHeld(`${me.what} is locked by ${holder(owner, me.what)}`, {
          hint: `its liveness cannot be told from here: if that process is gone, remove ${path} and try again`,
          data: { lock: path, owner },
        });
      }
      if (owner && isAlive(owner)) {
        throw new LockHeld(`${me.what} is being executed by ${holder(owner, me.what)}`, {
          hint: `wait for it to finish, or stop it (kill ${owner.pid}); two executors would repeat each other's steps. runbook status shows where it is`,
          data: { lock: path, owner },
        });
      }
      if (!(await linkNew(mine, takeover))) {
        // Someone else is taking the stale lock over; a taker that died meanwhile is cleared.
        const taker = parse((await readText(takeover)) ?? '');
        if (taker && !isAlive(taker)) await rm(takeover, { force: true });
        else await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      try {
        if ((await readText(path)) === seen) {
          await rm(path);
          takenOver = owner
            ? `took over the lock of pid ${owner.pid}, which no longer runs (it held ${me.what}${owner.runId && !me.what.includes(owner.runId) ? ` for run ${owner.runId}` : ''} since ${owner.since})`
            : `took over an unreadable lock file of ${me.what}`;
        }
      } finally {
        await releaseIf(takeover, text);
      }
    }
    throw new LockHeld(`could not lock ${me.what}: other processes kept taking the lock at the same time`);
  } finally {
    await rm(mine, { force: true });
  }
}

/** Who holds a run's lock right now, if a live process on this host does (for messages). */
export async function liveRunHolder(runDir: string): Promise<string | undefined> {
  const owner = parse((await readText(join(runDir, 'lock'))) ?? '');
  return owner && owner.host === hostname() && isAlive(owner) ? holder(owner, owner.runId ?? '') : undefined;
}

function holder(owner: LockOwner, what: string): string {
  return `${owner.runId && !what.includes(owner.runId) ? `run ${owner.runId}, ` : ''}pid ${owner.pid} on host ${owner.host} (since ${owner.since})`;
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

function isAlive(owner: Pick<LockOwner, 'pid' | 'pidStart'>): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // The pid runs: the owner, unless it started at another time (the pid was reused).
  const now = owner.pidStart ? processStart(owner.pid) : undefined;
  return now === undefined || now === owner.pidStart;
}

/** The start time of a process in clock ticks since boot (Linux), or undefined elsewhere. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses; field 22 is starttime.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
