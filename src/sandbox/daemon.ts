// The process behind `runbook sandbox up`: starts a sandbox, writes where it is to the record file,
// and keeps it running until SIGTERM/SIGINT (`runbook sandbox down`).
import { processStartTime } from './controlplane/pids.js';
import { writeSandboxRecord, type SandboxRecord } from './record.js';
import { startSandbox, type Sandbox } from './sandbox.js';

const [recordPath, scenario, speed, siteJson] = process.argv.slice(2) as [string, string, string, string | undefined];
const site = (siteJson ? JSON.parse(siteJson) : {}) as { crds?: string; catalogs?: string[] };
const log = (m: string): void => void process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);
const base: SandboxRecord = { pid: process.pid, startTime: processStartTime(process.pid), scenario, starting: true };

let sandbox: Sandbox | undefined;
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  log('stopping');
  // Still starting: exit now. The control plane's watchdog sees its owner gone and stops it;
  // `sandbox down` waits for the processes named in the record's instance folder.
  if (!sandbox) process.exit(143);
  await sandbox.stop();
  log('stopped');
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

try {
  sandbox = await startSandbox({
    scenario,
    speed: Number(speed),
    ...site,
    log,
    // Recorded as soon as it runs, so a `down` during the start knows which processes to wait for.
    onControlPlane: (cp) => writeSandboxRecord(recordPath, { ...base, dir: cp.dir }),
  });
  writeSandboxRecord(recordPath, {
    ...base,
    starting: false,
    scenario: sandbox.scenario,
    server: sandbox.controlPlane.server,
    kubeconfig: sandbox.kubeconfigPath,
    viewerKubeconfig: sandbox.viewerKubeconfigPath,
    ...(sandbox.faultProxy ? { faultProxy: sandbox.faultProxy.server } : {}),
    http: sandbox.http,
    dir: sandbox.controlPlane.dir,
    startedAt: new Date().toISOString(),
  });
  log('ready');
} catch (err) {
  log(`failed: ${(err as Error).message}`);
  process.exit(1);
}
