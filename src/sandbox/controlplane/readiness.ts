import { setTimeout as sleep } from 'node:timers/promises';
import { lastLines } from './command.js';
import type { ServerProcess } from './processes.js';

const POLL_INTERVAL_MS = 100;
const LOG_LINES_IN_ERRORS = 25;

export interface WaitOptions {
  /** Absolute time (Date.now()) after which waiting fails. */
  deadline: number;
  /** The server this wait is about: its log is quoted when waiting fails. */
  server: ServerProcess;
  /** Servers that must stay up meanwhile; an exit fails the wait at once instead of at the deadline. */
  mustStayUp: ServerProcess[];
}

/** Polls `check` until it returns true; a thrown error only means "not yet". */
export async function waitUntil(what: string, check: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  let lastProblem = 'no answer yet';
  for (;;) {
    for (const server of options.mustStayUp) {
      if (server.exit) {
        const how = server.exit.signal ? `signal ${server.exit.signal}` : `exit code ${server.exit.code}`;
        throw new Error(`${server.name} exited (${how}) while waiting for ${what}. ${describeLog(server)}`);
      }
    }
    try {
      if (await check()) return;
      lastProblem = 'condition not met';
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > options.deadline) {
      throw new Error(`timed out waiting for ${what} (last: ${lastProblem}). ${describeLog(options.server)}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

export function describeLog(server: ServerProcess): string {
  return `Log of ${server.name}: ${server.logFile}; its last lines:\n${lastLines(server.logFile, LOG_LINES_IN_ERRORS)}`;
}
