// Runs the built CLI as a user does (a child process, JSON-lines output) and hands back what a
// test asserts on: the exit code, the events, the closing summary and its API call counts.
// Also imported by the benches, which run compiled from node_modules/.cache/runbook-bench/: the CLI
// and the runbooks are found from the package root, never from this file's depth.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../../../src/contract/findings.js';
import { packageRoot } from '../../../src/package-root.js';

export const REPO = packageRoot();
export const CLI = join(REPO, 'dist', 'cli', 'main.js');

export interface CliSummary {
  type: 'summary';
  runId: string;
  status: string;
  counts: Record<string, number>;
  apiCalls?: { reads: number; writes: number; watches: number };
  report: string;
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  events: Record<string, unknown>[];
  summary: CliSummary | undefined;
  findings: Finding[];
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Called with each JSON event as it arrives; may kill the child (crash tests). */
  onEvent?: (event: Record<string, unknown>, kill: (signal: NodeJS.Signals) => void) => void;
  timeoutMs?: number;
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  // A missing CLI would only show as exit 1 with Node's "Cannot find module" on stderr.
  if (!existsSync(CLI)) return Promise.reject(new Error(`the CLI ${CLI} does not exist: build first (npm run build)`));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, CI: 'true', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    const events: Record<string, unknown>[] = [];
    const kill = (signal: NodeJS.Signals): void => void child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      pending += d.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        try {
          const event = JSON.parse(line) as Record<string, unknown>;
          events.push(event);
          options.onEvent?.(event, kill);
        } catch {
          /* not an event line */
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const summary = events.find((e) => e.type === 'summary') as CliSummary | undefined;
      const findings = events.filter((e) => e.type === 'finding').map((e) => e.finding as Finding);
      resolve({ code, signal, stdout, stderr, events, summary, findings });
    });
  });
}

/** Ids of steps that really ran their apply and changed something in this invocation. */
export function changedSteps(run: CliRun): string[] {
  return run.events
    .filter((e) => e.type === 'node:end')
    .filter((e) => (e.node as { kind: string }).kind === 'step')
    .filter((e) => (e.result as { status: string; resumed?: boolean }).status === 'changed' && !(e.result as { resumed?: boolean }).resumed)
    .map((e) => (e.node as { id: string }).id);
}

/** Why a run did not succeed: its failed steps' errors, its blocking findings, or its last stderr lines. */
export function failureOf(run: CliRun): string {
  const failed = run.events
    .filter((e) => e.type === 'node:end' && (e.result as { status: string }).status === 'failed')
    .map((e) => `${(e.node as { id: string }).id}: ${(e.result as { error?: { message: string } }).error?.message ?? 'failed'}`);
  if (failed.length) return failed.join('; ');
  const blocking = run.findings.filter((f) => f.severity === 'prohibited' || f.severity === 'critical').map((f) => `${f.severity} ${f.stepId ?? f.check}: ${f.message}`);
  if (blocking.length) return `blocked by ${blocking.join('; ')}`;
  const message = run.summary ? `${run.summary.status}` : `no summary${run.signal ? ` (${run.signal})` : ''}`;
  return `${message}: ${run.stderr.trim().split('\n').slice(-5).join(' | ')}`;
}
