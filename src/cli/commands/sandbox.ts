// `runbook sandbox up|down|status|run`: a simulated RHOAI cluster on a real control plane, to
// rehearse an upgrade before touching production.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { RunbookError } from '../../engine/errors.js';
import type { StepRegistry } from '../../engine/registry.js';
import { loadScenario } from '../../sandbox/scenario/load.js';
import { EXIT } from '../exit-codes.js';
import type { RunFlags } from '../global-options.js';
import { runCommand } from './run.js';

interface SandboxRecord {
  pid: number;
  scenario: string;
  server: string;
  kubeconfig: string;
  viewerKubeconfig: string;
  startedAt: string;
}

export interface SandboxFlags {
  scenario: string;
  speed: string;
  stateDir: string;
}

const DAEMON = fileURLToPath(new URL('../../sandbox/daemon.js', import.meta.url));

function paths(stateDir: string): { dir: string; record: string; log: string } {
  const dir = resolve(stateDir, 'sandbox');
  return { dir, record: join(dir, 'sandbox.json'), log: join(dir, 'sandbox.log') };
}

export function parseSpeed(speed: string): number {
  if (speed === 'instant') return 0;
  if (speed === 'realistic') return 1;
  const n = Number(speed);
  if (!Number.isFinite(n) || n < 0) throw new RunbookError(`--speed ${speed}: expected instant, realistic or a factor such as 0.1`);
  return n;
}

export async function sandboxUp(flags: SandboxFlags): Promise<number> {
  const p = paths(flags.stateDir);
  const running = readRecord(p.record);
  if (running && alive(running.pid)) {
    throw new RunbookError(`a sandbox is already running (pid ${running.pid}, scenario ${running.scenario}, ${running.server})`, {
      hint: `use it with KUBECONFIG=${running.kubeconfig}, or stop it with: runbook sandbox down`,
    });
  }
  await loadScenario(flags.scenario); // A bad scenario is reported before anything starts.
  const speed = parseSpeed(flags.speed);
  await mkdir(p.dir, { recursive: true, mode: 0o700 });
  rmSync(p.record, { force: true });
  const out = openSync(p.log, 'w', 0o600);
  const child = spawn(process.execPath, [DAEMON, p.record, flags.scenario, String(speed)], { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));

  // Show the daemon's progress while it builds and starts: the first build takes many minutes.
  let shown = 0;
  const show = (): void => {
    const text = readFileSync(p.log, 'utf8');
    if (text.length > shown) process.stderr.write(text.slice(shown));
    shown = text.length;
  };
  for (;;) {
    show();
    if (existsSync(p.record) && statSync(p.record).size > 0) break;
    if (exited !== undefined) {
      show();
      throw new RunbookError(`the sandbox did not start (exit ${exited})`, { hint: `the log is in ${p.log}` });
    }
    await sleep(250);
  }
  const record = readRecord(p.record)!;
  process.stdout.write(
    [
      `sandbox running: scenario ${record.scenario}, API server ${record.server} (pid ${record.pid})`,
      `use it with:`,
      `  export KUBECONFIG=${record.kubeconfig}`,
      `  runbook run runbooks/upgrade-2.25-to-3.3.yaml`,
      `a view-only user: ${record.viewerKubeconfig}`,
      `stop it with: runbook sandbox down`,
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}

export async function sandboxDown(flags: Pick<SandboxFlags, 'stateDir'>): Promise<number> {
  const p = paths(flags.stateDir);
  const record = readRecord(p.record);
  if (!record || !alive(record.pid)) {
    rmSync(p.record, { force: true });
    process.stdout.write('no sandbox is running\n');
    return EXIT.ok;
  }
  process.kill(record.pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (alive(record.pid) && Date.now() < deadline) await sleep(200);
  if (alive(record.pid)) process.kill(record.pid, 'SIGKILL');
  rmSync(p.record, { force: true });
  process.stdout.write(`sandbox stopped (pid ${record.pid})\n`);
  return EXIT.ok;
}

export async function sandboxStatus(flags: Pick<SandboxFlags, 'stateDir'>): Promise<number> {
  const record = readRecord(paths(flags.stateDir).record);
  if (!record || !alive(record.pid)) {
    process.stdout.write('no sandbox is running (start one with: runbook sandbox up)\n');
    return EXIT.ok;
  }
  process.stdout.write(`sandbox running since ${record.startedAt}: scenario ${record.scenario}, ${record.server}, pid ${record.pid}\n  export KUBECONFIG=${record.kubeconfig}\n`);
  return EXIT.ok;
}

/** Starts a sandbox, runs the runbook on it without questions, prints the summary, stops. */
export async function sandboxRun(file: string, flags: SandboxFlags & RunFlags, registry: StepRegistry): Promise<number> {
  const { startSandbox } = await import('../../sandbox/sandbox.js');
  const log = (m: string): void => void process.stderr.write(`sandbox: ${m}\n`);
  // Validate the runbook before minutes of starting a cluster.
  const { prepare } = await import('../prepare.js');
  await prepare(resolve(file), flags, registry);
  const sandbox = await startSandbox({ scenario: flags.scenario, speed: parseSpeed(flags.speed), log });
  try {
    return await runCommand({
      file,
      registry,
      mode: 'run',
      flags: { ...flags, kubeconfig: sandbox.controlPlane.kubeconfigPath, context: undefined, yes: true, fresh: true, stateDir: join(flags.stateDir, 'sandbox') },
    });
  } finally {
    log('stopping');
    await sandbox.stop();
  }
}

function readRecord(path: string): SandboxRecord | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SandboxRecord;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
