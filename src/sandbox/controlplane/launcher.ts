import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiEndpoint } from './api-requests.js';
import { ensureControlPlaneBinaries } from './build.js';
import { writeServiceAccountKeys } from './certs.js';
import { expireFirstRevision } from './etcd-history.js';
import { bindViewer, hasDefaultNamespace, isReady, isViewRoleAggregated, startNamespaceDeletionProbe } from './cluster-setup.js';
import { VIEWER_USER, writeTokenAuthFile } from './identities.js';
import { writeInstanceRecord, type InstanceRecord } from './instance-record.js';
import { writeKubeconfig } from './kubeconfig.js';
import { processStartTime } from './pids.js';
import { freeLocalPorts } from './ports.js';
import { startServer, stopServer, type ServerProcess } from './processes.js';
import { waitUntil } from './readiness.js';
import { reapAbandonedInstances } from './reaper.js';
import { apiServerArgs, controllerManagerArgs, etcdArgs } from './server-args.js';
import { startWatchdog } from './watchdog.js';

export interface StartControlPlaneOptions {
  /** Folder with etcd, kube-apiserver and kube-controller-manager; default: build or reuse the cached ones. */
  binDir?: string;
  /** Parent of the instance folders; default: <os tmpdir>/runbook-controlplane. */
  baseDir?: string;
  /**
   * Controllers for kube-controller-manager (default DEFAULT_CONTROLLERS); `false` runs no
   * controller-manager: namespaces then never finish deleting, nothing is garbage-collected, and
   * the built-in `view` role (hence the viewer user) grants nothing.
   */
  controllers?: string[] | false;
  /** Default 180 s: on two busy cores the API server alone may need most of a minute. */
  startTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL in stop(); default 10 s. */
  stopGraceMs?: number;
  /** Keep the instance folder (logs, etcd data) after stop(); default false. */
  keepDir?: boolean;
}

export interface ControlPlaneLogFiles {
  etcd: string;
  kubeApiserver: string;
  /** Absent when the controller-manager is disabled. */
  kubeControllerManager?: string;
}

export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  server: string;
  /** Admin (group system:masters): may do anything. */
  kubeconfigPath: string;
  /** A user bound only to the built-in `view` ClusterRole: reads allowed (not Secrets), writes forbidden. */
  viewerKubeconfigPath: string;
  /** Instance folder: kubeconfigs, etcd data, certificates, logs. */
  dir: string;
  logFiles: ControlPlaneLogFiles;
  /** Kubernetes version of the binaries, e.g. "v1.34.4". */
  version: string;
  /** Stops all servers (SIGTERM, SIGKILL after the grace period) and removes `dir` unless keepDir. */
  stop(): Promise<void>;
}

// namespace: deleting a namespace completes; garbagecollector: ownerReferences cascade;
// clusterrole-aggregation: fills the built-in view/edit/admin ClusterRoles, which are
// aggregated from labelled roles and otherwise grant nothing.
export { EXPIRED_RESOURCE_VERSION } from './etcd-history.js';

export const DEFAULT_CONTROLLERS = ['namespace', 'garbagecollector', 'clusterrole-aggregation'];

export function defaultBaseDir(): string {
  return join(tmpdir(), 'runbook-controlplane');
}

export async function startControlPlane(options: StartControlPlaneOptions = {}): Promise<ControlPlane> {
  const baseDir = options.baseDir ?? defaultBaseDir();
  const { binDir, version } = options.binDir
    ? { binDir: options.binDir, version: reportedVersion(options.binDir) }
    : await ensureControlPlaneBinaries();
  mkdirSync(baseDir, { recursive: true });
  await reapAbandonedInstances(baseDir);

  const dir = mkdtempSync(join(baseDir, 'instance-'));
  const record: InstanceRecord = { ownerPid: process.pid, ownerStartTime: processStartTime(process.pid), processes: [] };
  writeInstanceRecord(dir, record);
  record.watchdogPid = startWatchdog(dir, record.ownerPid, record.ownerStartTime);
  record.watchdogStartTime = processStartTime(record.watchdogPid);
  writeInstanceRecord(dir, record);

  const servers: ServerProcess[] = [];
  const stopGraceMs = options.stopGraceMs ?? 10_000;
  const stopAll = async () => {
    // Reverse start order: the controller-manager and API server still need etcd while stopping.
    for (const server of [...servers].reverse()) await stopServer(server, stopGraceMs);
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
    const deadline = Date.now() + (options.startTimeoutMs ?? 180_000);
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
    const controllers = options.controllers === undefined ? DEFAULT_CONTROLLERS : options.controllers;
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
        if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    // Keep the folder: the error names log files in it. The reaper removes it after we exit.
    await stopAll();
    throw error;
  }
}

function reportedVersion(binDir: string): string {
  const out = execFileSync(join(binDir, 'kube-apiserver'), ['--version'], { encoding: 'utf8' });
  return /v\d+\.\d+\.\d+\S*/.exec(out)?.[0] ?? out.trim();
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
