// The process behind `runbook sandbox up`: starts a sandbox, writes where it is to the record file,
// and keeps it running until SIGTERM/SIGINT (`runbook sandbox down`).
import { writeFileSync } from 'node:fs';
import { startSandbox } from './sandbox.js';

const [recordPath, scenario, speed] = process.argv.slice(2) as [string, string, string];
const log = (m: string): void => void process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);

try {
  const sandbox = await startSandbox({ scenario, speed: Number(speed), log });
  const record = {
    pid: process.pid,
    scenario: sandbox.scenario,
    server: sandbox.controlPlane.server,
    kubeconfig: sandbox.controlPlane.kubeconfigPath,
    viewerKubeconfig: sandbox.controlPlane.viewerKubeconfigPath,
    dir: sandbox.controlPlane.dir,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(recordPath, JSON.stringify(record, null, 2), { mode: 0o600 });
  log('ready');
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log('stopping');
    await sandbox.stop();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
} catch (err) {
  log(`failed: ${(err as Error).message}`);
  process.exit(1);
}
