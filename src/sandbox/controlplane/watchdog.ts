import { spawn } from 'node:child_process';
import { recordPath } from './instance-record.js';

// Node has no PR_SET_PDEATHSIG, and the servers run in their own process groups, so nothing
// stops them when the owning Node process dies (SIGKILL, a crashed test runner, a closed
// terminal). This detached watchdog polls the owner and, once it is gone, terminates every
// process group listed in the instance record and removes the instance folder. It is plain
// JavaScript run with `node -e` so it works the same from src/ under vitest and from dist/.
const WATCHDOG_SOURCE = String.raw`
const fs = require('node:fs');
const [ownerPid, ownerStartTime, recordFile, instanceDir] = process.argv.slice(1);
const statOf = (pid) => {
  try {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch { return undefined; }
};
const alive = (pid, startTime) => {
  try { process.kill(pid, 0); } catch (e) { if (e.code !== 'EPERM') return false; }
  const stat = statOf(pid);
  if (!stat) return true;
  return stat[0] !== 'Z' && (!startTime || stat[19] === startTime);
};
const signalAll = (procs, signal) => {
  for (const p of procs) { try { process.kill(-p.pid, signal); } catch {} }
};
const reap = () => {
  let procs = [];
  try { procs = JSON.parse(fs.readFileSync(recordFile, 'utf8')).processes; } catch {}
  procs = procs.filter((p) => alive(p.pid, p.startTime));
  signalAll(procs, 'SIGTERM');
  const deadline = Date.now() + 5000;
  const wait = setInterval(() => {
    const left = procs.filter((p) => alive(p.pid, p.startTime));
    if (left.length > 0 && Date.now() < deadline) return;
    clearInterval(wait);
    signalAll(left, 'SIGKILL');
    try { fs.rmSync(instanceDir, { recursive: true, force: true }); } catch {}
    process.exit(0);
  }, 100);
};
const poll = setInterval(() => {
  if (alive(Number(ownerPid), ownerStartTime || undefined)) return;
  clearInterval(poll);
  reap();
}, 500);
`;

/** Starts the watchdog for the instance in `instanceDir`; returns its pid. */
export function startWatchdog(instanceDir: string, ownerPid: number, ownerStartTime: string | undefined): number {
  const child = spawn(
    process.execPath,
    ['-e', WATCHDOG_SOURCE, String(ownerPid), ownerStartTime ?? '', recordPath(instanceDir), instanceDir],
    { detached: true, stdio: 'ignore' },
  );
  child.on('error', () => {});
  child.unref();
  if (child.pid === undefined) throw new Error('could not start the control-plane watchdog');
  return child.pid;
}
