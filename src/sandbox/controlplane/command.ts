import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Output (stdout and stderr) is appended here instead of flooding the terminal. */
  logFile: string;
}

/** Runs a command to completion; on failure the error carries the log's last lines. */
export async function runLogged(command: string, args: string[], options: RunOptions): Promise<void> {
  const fd = openSync(options.logFile, 'a');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', fd, fd] });
      child.on('error', reject);
      child.on('exit', (exitCode, signal) => resolve(signal ? null : exitCode));
    });
    if (code !== 0) {
      throw new Error(
        `${command} ${args.join(' ')} failed (${code === null ? 'killed by a signal' : `exit code ${code}`}); ` +
          `log: ${options.logFile}\n${lastLines(options.logFile, 30)}`,
      );
    }
  } finally {
    closeSync(fd);
  }
}

export function lastLines(file: string, count: number): string {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines.slice(-count).join('\n');
  } catch {
    return '(log file unreadable)';
  }
}

export function formatElapsed(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}
