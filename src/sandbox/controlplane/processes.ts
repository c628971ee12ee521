import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isProcessAlive } from './pids.js';

export interface ServerProcess {
  name: string;
  pid: number;
  logFile: string;
  /** Set once the process has exited; lets readiness waits fail fast instead of timing out. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  exited: Promise<void>;
}

export interface StartServerOptions {
  name: string;
  binary: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a server in its own process group (detached = setsid), so that a Ctrl-C aimed at the
 * test runner's group does not hit it half-way, and so that stopping it can signal the whole
 * group. It is unref'd: a forgotten stop() must not keep Node alive — the watchdog reaps it.
 */
export function startServer(options: StartServerOptions): ServerProcess {
  const fd = openSync(options.logFile, 'a');
  try {
    const child = spawn(options.binary, options.args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: options.env ?? process.env,
    });
    if (child.pid === undefined) throw new Error(`could not start ${options.binary}`);
    const server: ServerProcess = {
      name: options.name,
      pid: child.pid,
      logFile: options.logFile,
      exit: undefined,
      exited: new Promise((resolve) => {
        child.on('exit', (code, signal) => {
          server.exit = { code, signal };
          resolve();
        });
      }),
    };
    child.on('error', () => {}); // spawn failures surface as an early exit
    child.unref();
    return server;
  } finally {
    closeSync(fd); // the child holds its own copy
  }
}

/** SIGTERM to the process group, then SIGKILL if it has not exited within the grace period. */
export async function stopServer(server: ServerProcess, graceMs: number): Promise<void> {
  if (server.exit) return;
  signalGroup(server.pid, 'SIGTERM');
  if (!(await settlesWithin(server.exited, graceMs))) {
    signalGroup(server.pid, 'SIGKILL');
    if (!(await settlesWithin(server.exited, 5_000))) await waitUntilGone(server.pid, 5_000);
  }
}

/** Like a race against sleep(), but clears its timer so Node is not kept alive for the grace period. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid) && Date.now() < deadline) await sleep(50);
}
