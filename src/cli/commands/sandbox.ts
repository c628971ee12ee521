// `runbook sandbox up|down|status|run`: a simulated RHOAI cluster on a real control plane, to
// rehearse an upgrade before touching production.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { RunbookError } from '../../contract/errors.js';
import type { StepRegistry } from '../../contract/registry.js';
import { readInstanceRecord, type RecordedProcess } from '../../sandbox/controlplane/instance-record.js';
import { isSameProcessAlive, processStartTime } from '../../sandbox/controlplane/pids.js';
import { signalGroup } from '../../sandbox/controlplane/processes.js';
import { isRecordAlive, readSandboxRecord, writeSandboxRecord, type SandboxRecord } from '../../sandbox/record.js';
import { loadScenario } from '../../sandbox/scenario/load.js';
import { EXIT } from '../exit-codes.js';
import type { RunFlags } from '../global-options.js';
import { runCommand } from './run.js';

export interface SandboxFlags {
  scenario: string;
  speed: string;
  stateDir: string;
  /** The site's CRDs: a file or folder (oc get crd -o yaml). */
  crds?: string;
  /** The site's rendered catalogs: FILE, or NAME=FILE for one CatalogSource (repeatable). */
  catalog?: string[];
}

/** --crds and --catalog as absolute paths, read once so a bad file is reported before anything starts. */
async function siteInputs(flags: SandboxFlags): Promise<{ crds?: string; catalogs: string[] }> {
  const { loadSiteCrds } = await import('../../sandbox/crds/site.js');
  const { loadCatalogFile, parseCatalogSpec } = await import('../../sandbox/catalog/load.js');
  const crds = flags.crds ? resolve(flags.crds) : undefined;
  if (crds) await loadSiteCrds(crds);
  const catalogs = (flags.catalog ?? []).map((spec) => {
    const { source, file } = parseCatalogSpec(spec);
    loadCatalogFile(resolve(file), file);
    return source === '*' ? resolve(file) : `${source}=${resolve(file)}`;
  });
  return { ...(crds ? { crds } : {}), catalogs };
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
  const running = readSandboxRecord(p.record);
  if (running && isRecordAlive(running)) {
    throw new RunbookError(
      running.starting
        ? `a sandbox is already starting (pid ${running.pid}, scenario ${running.scenario})`
        : `a sandbox is already running (pid ${running.pid}, scenario ${running.scenario}, ${running.server})`,
      { hint: running.starting ? `its progress is in ${p.log}; stop it with: runbook sandbox down` : `use it with KUBECONFIG=${running.kubeconfig}, or stop it with: runbook sandbox down` },
    );
  }
  await loadScenario(flags.scenario); // A bad scenario is reported before anything starts.
  const site = await siteInputs(flags);
  const speed = parseSpeed(flags.speed);
  await mkdir(p.dir, { recursive: true, mode: 0o700 });
  rmSync(p.record, { force: true });
  const out = openSync(p.log, 'w', 0o600);
  const child = spawn(process.execPath, [DAEMON, p.record, flags.scenario, String(speed), JSON.stringify(site)], { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  // Recorded at once, so `down` (or a second `up`) knows of it while it starts.
  if (child.pid !== undefined) writeSandboxRecord(p.record, { pid: child.pid, startTime: processStartTime(child.pid), scenario: flags.scenario, starting: true });

  // Show the daemon's progress while it builds and starts: the first build takes many minutes.
  let shown = 0;
  const show = (): void => {
    const text = readFileSync(p.log, 'utf8');
    if (text.length > shown) process.stderr.write(text.slice(shown));
    shown = text.length;
  };
  let record: SandboxRecord | undefined;
  for (;;) {
    show();
    record = readSandboxRecord(p.record);
    if (record?.server && !record.starting) break;
    if (exited !== undefined) {
      show();
      rmSync(p.record, { force: true });
      // 143: SIGTERM, i.e. `runbook sandbox down` (or a Ctrl-C on it) while it started.
      throw new RunbookError(exited === 143 ? 'the sandbox was stopped while it started' : `the sandbox did not start (exit ${exited})`, { hint: `the log is in ${p.log}` });
    }
    await sleep(250);
  }
  process.stdout.write(
    [
      `sandbox running: scenario ${record.scenario}, API server ${record.server} (pid ${record.pid})`,
      `use it with:`,
      `  export KUBECONFIG=${record.kubeconfig}`,
      ...(record.http ? [`  export RUNBOOK_CONNECT_TO=${record.http.connectTo} NODE_EXTRA_CA_CERTS=${record.http.caFile}   # http steps reach the workloads' endpoints`] : []),
      `  runbook run runbooks/upgrade-2.25-to-3.3.yaml`,
      `a view-only user: ${record.viewerKubeconfig}`,
      ...(record.faultProxy ? [`these kubeconfigs go through a proxy that injects API faults (${record.faultProxy}), as the scenario asks`] : []),
      `stop it with: runbook sandbox down${flags.stateDir === '.runbook' ? '' : ` --state-dir ${flags.stateDir}`}`,
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}

export async function sandboxDown(flags: Pick<SandboxFlags, 'stateDir'>): Promise<number> {
  const p = paths(flags.stateDir);
  const record = readSandboxRecord(p.record);
  if (!record || !isRecordAlive(record)) {
    rmSync(p.record, { force: true });
    process.stdout.write('no sandbox is running\n');
    return EXIT.ok;
  }
  // Read before the daemon stops: stopping removes the control plane's folder with this list.
  const instance = record.dir ? readInstanceRecord(record.dir) : undefined;
  const servers: RecordedProcess[] = [
    ...(instance?.processes ?? []),
    ...(instance?.watchdogPid !== undefined ? [{ name: 'watchdog', pid: instance.watchdogPid, startTime: instance.watchdogStartTime }] : []),
  ];
  process.kill(record.pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (isRecordAlive(record) && Date.now() < deadline) await sleep(200);
  if (isRecordAlive(record)) process.kill(record.pid, 'SIGKILL');
  // The daemon stops its servers before it exits; if it could not (killed, or stopped while
  // starting), their watchdog would, a few seconds later. Make sure before saying it is down.
  await stopLeftovers(servers);
  rmSync(p.record, { force: true });
  process.stdout.write(`sandbox stopped (pid ${record.pid})\n`);
  return EXIT.ok;
}

async function stopLeftovers(servers: RecordedProcess[]): Promise<void> {
  let left = servers.filter((s) => isSameProcessAlive(s.pid, s.startTime));
  // The watchdog needs a moment to notice its owner is gone and act; give it that first.
  const graceUntil = Date.now() + 10_000;
  while (left.length > 0 && Date.now() < graceUntil) {
    await sleep(200);
    left = left.filter((s) => isSameProcessAlive(s.pid, s.startTime));
  }
  for (const s of left) signalGroup(s.pid, 'SIGKILL');
  const killUntil = Date.now() + 5_000;
  while (left.some((s) => isSameProcessAlive(s.pid, s.startTime)) && Date.now() < killUntil) await sleep(100);
}

export async function sandboxStatus(flags: Pick<SandboxFlags, 'stateDir'>): Promise<number> {
  const p = paths(flags.stateDir);
  const record = readSandboxRecord(p.record);
  if (!record || !isRecordAlive(record)) {
    process.stdout.write('no sandbox is running (start one with: runbook sandbox up)\n');
    return EXIT.ok;
  }
  if (record.starting) {
    process.stdout.write(`sandbox starting: scenario ${record.scenario}, pid ${record.pid}; progress in ${p.log}\n`);
    return EXIT.ok;
  }
  process.stdout.write(`sandbox running since ${record.startedAt}: scenario ${record.scenario}, ${record.server}, pid ${record.pid}\n  export KUBECONFIG=${record.kubeconfig}\n${record.http ? `  export RUNBOOK_CONNECT_TO=${record.http.connectTo} NODE_EXTRA_CA_CERTS=${record.http.caFile}\n` : ''}`);
  return EXIT.ok;
}

/** Starts a sandbox, runs the runbook on it without questions, prints the summary, stops. */
export async function sandboxRun(file: string, flags: SandboxFlags & RunFlags, registry: StepRegistry): Promise<number> {
  const { startSandbox } = await import('../../sandbox/sandbox.js');
  const log = (m: string): void => void process.stderr.write(`sandbox: ${m}\n`);
  // Validate the runbook before minutes of starting a cluster.
  const { prepare } = await import('../prepare.js');
  await prepare(resolve(file), flags, registry);
  const site = await siteInputs(flags);
  const sandbox = await startSandbox({ scenario: flags.scenario, speed: parseSpeed(flags.speed), log, ...site });
  try {
    return await runCommand({
      file,
      registry,
      mode: 'run',
      flags: {
        ...flags,
        kubeconfig: sandbox.kubeconfigPath,
        context: undefined,
        yes: true,
        fresh: true,
        stateDir: join(flags.stateDir, 'sandbox'),
        // The workloads' HTTP endpoints answer on the sandbox's loopback server.
        connectTo: [sandbox.http.connectTo, ...(flags.connectTo ?? [])],
        cacert: [sandbox.http.caFile, ...(flags.cacert ?? [])],
      },
    });
  } finally {
    log('stopping');
    await sandbox.stop();
  }
}
