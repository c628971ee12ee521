import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiEndpoint } from './api-requests.js';
import { writeServiceAccountKeys } from './certs.js';
import { bindViewer, hasDefaultNamespace, isReady, isViewRoleAggregated, startNamespaceDeletionProbe } from './cluster-setup.js';
import type { ControlPlane, ControlPlaneLogFiles } from './control-plane.js';
import { expireFirstRevision } from './etcd-history.js';
import { VIEWER_USER, writeTokenAuthFile } from './identities.js';
import { writeInstanceRecord, type InstanceRecord } from './instance-record.js';
import { writeKubeconfig } from './kubeconfig.js';
import { processStartTime } from './pids.js';
import { freeLocalPorts } from './ports.js';
import { startServer, stopServer, type ServerProcess } from './processes.js';
import { waitUntil } from './readiness.js';
import { apiServerArgs, controllerManagerArgs, etcdArgs } from './server-args.js';
import { startWatchdog } from './watchdog.js';

export interface LaunchPlan {
  binDir: string;
  version: string;
  baseDir: string;
  controllers: string[] | false;
  /** Absolute time (Date.now()) by which everything must be ready. */
  deadline: number;
  stopGraceMs: number;
  keepDir: boolean;
}

/** Thrown when a server could not bind a port chosen moments earlier; a new attempt may succeed. */
export class PortConflictError extends Error {
  constructor(
    message: string,
    /** The failed attempt's folder, for the caller to remove once it retries. */
    readonly dir: string,
  ) {
    super(message);
  }
}

/** One attempt to start etcd, kube-apiserver and (unless disabled) kube-controller-manager. */
export async function launchInstance(plan: LaunchPlan): Promise<ControlPlane> {
  const { binDir, version, baseDir, controllers, deadline } = plan;
  const dir = mkdtempSync(join(baseDir, 'instance-'));
  const record: InstanceRecord = { ownerPid: process.pid, ownerStartTime: processStartTime(process.pid), processes: [] };
  writeInstanceRecord(dir, record);
  record.watchdogPid = startWatchdog(dir, record.ownerPid, record.ownerStartTime);
  record.watchdogStartTime = processStartTime(record.watchdogPid);
  writeInstanceRecord(dir, record);

  const servers: ServerProcess[] = [];
  const stopAll = async () => {
    // Reverse start order: the controller-manager and API server still need etcd while stopping.
    for (const server of [...servers].reverse()) await stopServer(server, plan.stopGraceMs);
    if (record.watchdogPid !== undefined) killQuietly(record.watchdogPid);
  };
  const start = (name: string, binary: string, args: string[]): ServerProcess => {
    const server = startServer({ name, binary: join(binDir, binary), args, logFile: join(dir, `${name}.log`) });
    servers.push(server);
    record.processes.push({ name, pid: server.pid, startTime: processStartTime(server.pid) });
    writeInstanceRecord(dir, record);
    return server;
  };

  try {
    const [etcdClientPort, etcdPeerPort, apiPort] = (await freeLocalPorts(3)) as [number, number, number];
    const server = `https://127.0.0.1:${apiPort}`;
    const certDir = join(dir, 'certs');
    mkdirSync(certDir);
    const etcd = start('etcd', 'etcd', etcdArgs({ dataDir: join(dir, 'etcd-data'), clientPort: etcdClientPort, peerPort: etcdPeerPort }));
    // RSA key generation takes a noticeable fraction of a second: overlap it with etcd's start.
    const [serviceAccount, identities] = await Promise.all([writeServiceAccountKeys(certDir), writeTokenAuthFile(certDir)]);
    await waitUntil('etcd /health', () => etcdHealthy(etcdClientPort), { deadline, server: etcd, mustStayUp: [etcd] });
    await expireFirstRevision(etcdClientPort);

    const apiServer = start(
      'kube-apiserver',
      'kube-apiserver',
      apiServerArgs({
        etcdPort: etcdClientPort,
        securePort: apiPort,
        certDir,
        tokenAuthFile: identities.tokenAuthFile,
        serviceAccountPublicKeyFile: serviceAccount.publicKeyFile,
        serviceAccountPrivateKeyFile: serviceAccount.privateKeyFile,
      }),
    );
    const both = { deadline, server: apiServer, mustStayUp: [etcd, apiServer] };
    const servingCert = join(certDir, 'apiserver.crt');
    await waitUntil(
      'the self-signed serving certificate',
      async () => existsSync(servingCert) && readFileSync(servingCert, 'utf8').includes('-----END CERTIFICATE-----'),
      both,
    );
    const admin: ApiEndpoint = { server, caPem: issuingCertificate(readFileSync(servingCert, 'utf8')), token: identities.admin.token };
    await waitUntil('kube-apiserver /readyz', () => isReady(admin), both);
    await waitUntil('the default namespace', () => hasDefaultNamespace(admin), both);
    await bindViewer(admin, VIEWER_USER);

    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    const viewerKubeconfigPath = join(dir, 'viewer.kubeconfig');
    await writeKubeconfig(kubeconfigPath, { server, caPem: admin.caPem, user: identities.admin.user, token: identities.admin.token, contextName: 'runbook-admin' });
    await writeKubeconfig(viewerKubeconfigPath, { server, caPem: admin.caPem, user: identities.viewer.user, token: identities.viewer.token, contextName: 'runbook-viewer' });

    const logFiles: ControlPlaneLogFiles = { etcd: etcd.logFile, kubeApiserver: apiServer.logFile };
    if (controllers !== false && controllers.length > 0) {
      const manager = start('kube-controller-manager', 'kube-controller-manager', controllerManagerArgs({ kubeconfigPath, controllers }));
      logFiles.kubeControllerManager = manager.logFile;
      const all = { deadline, server: manager, mustStayUp: [etcd, apiServer, manager] };
      // Proof that the controller-manager works, not just runs: an effect of its controllers.
      // Aggregating `view` takes a fraction of a second; the namespace controller waits a fixed
      // 5 s before it handles any deleted namespace, so that probe is only the fallback.
      if (controllers.includes('clusterrole-aggregation')) {
        await waitUntil('the controller-manager to aggregate the view ClusterRole', () => isViewRoleAggregated(admin), all);
      } else if (controllers.includes('namespace')) {
        const probeDeleted = await startNamespaceDeletionProbe(admin);
        await waitUntil('the controller-manager to finish deleting a probe namespace', probeDeleted, all);
      }
    }

    let stopped = false;
    return {
      server,
      kubeconfigPath,
      viewerKubeconfigPath,
      dir,
      logFiles,
      version,
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll();
        if (!plan.keepDir) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopAll();
    // Keep the folder: the error names log files in it. The reaper removes it after we exit.
    if (servers.some(failedToBind)) throw new PortConflictError(error instanceof Error ? error.message : String(error), dir);
    throw error;
  }
}

// Ports are chosen free but only bound later by the servers: another process may take one
// in between. The servers then exit saying so.
function failedToBind(server: ServerProcess): boolean {
  if (!server.exit) return false;
  try {
    return /address already in use/.test(readFileSync(server.logFile, 'utf8'));
  } catch {
    return false;
  }
}

async function etcdHealthy(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5_000) });
  return res.ok && ((await res.json()) as { health?: string }).health === 'true';
}

/**
 * kube-apiserver writes its self-signed serving certificate followed by the CA that signed it;
 * clients must trust that CA (the last PEM block), not the leaf.
 */
function issuingCertificate(bundle: string): string {
  const blocks = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const last = blocks[blocks.length - 1];
  if (!last) throw new Error('kube-apiserver wrote no certificate into its cert-dir');
  return `${last}\n`;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
}
