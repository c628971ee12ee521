import { readFileSync } from 'node:fs';

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The kernel's start time of a process (clock ticks since boot, /proc/<pid>/stat field 22), or
 * undefined where /proc is missing. Together with the pid it names a process unambiguously, so a
 * recycled pid is never mistaken for the process we recorded.
 */
export function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.[19];
}

/** Fields 3… of /proc/<pid>/stat (state first), or undefined where /proc is missing. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces; split after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` still runs and, if we know its start time, is the very process we recorded.
 * A zombie counts as dead: kill(pid, 0) succeeds on it until its parent reaps it.
 */
export function isSameProcessAlive(pid: number, startTime: string | undefined): boolean {
  if (!isProcessAlive(pid)) return false;
  const stat = procStat(pid);
  if (!stat) return true;
  return stat[0] !== 'Z' && (startTime === undefined || stat[19] === startTime);
}
