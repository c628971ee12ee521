// A simulated kubelet for the sandbox: one Node (`sandbox-node`) whose pods "run" as folders on
// the host, and an HTTPS server on 127.0.0.1 that answers the API server's exec requests for them
// by running a small command set (commands.ts) against those folders. So `oc exec`, `oc cp`,
// `oc rsync` and the runbook's podExec/copyFromPod/copyToPod work on the sandbox as on a cluster.
//
// What a kubelet does and this one does too: register the Node and keep its Lease and Ready
// condition fresh (node.ts); run the pods bound to the node (spec.nodeName): their containers get
// a filesystem and the pod a Running/Ready status; finish a pod's graceful deletion (a pod bound to
// a node is only marked for deletion until its kubelet confirms it) and remove its filesystem.
// A container of a MariaDB or MySQL image is a database (database.ts): on its first start its data
// folder gets the database and user of its environment (values, and values from Secrets and
// ConfigMaps, as the kubelet resolves them), and exec finds the database programs in it.
// The API server reaches the server without verifying its certificate, as it does for kubelets
// unless --kubelet-certificate-authority is set (k8s.io/kubernetes pkg/kubelet/client).
import { mkdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/types.js';
import { selfSignedCertificate } from '../webhooks/tls.js';
import { Informer, keyOf } from '../simulator/informer.js';
import { WorkQueue } from '../simulator/work-queue.js';
import { containerRoot, podDir } from './container-fs.js';
import { databasePrograms, initDatabase } from './database.js';
import { type ContainerLookup, handleExecUpgrade } from './exec-server.js';
import { LEASE_RENEW_MS, STATUS_REFRESH_MS, type NodeFacts, refreshNodeStatus, registerNode, renewLease } from './node.js';

export { containerRoot } from './container-fs.js';
export { COMMANDS } from './commands.js';

export const SANDBOX_NODE = 'sandbox-node';

export interface KubeletOptions {
  /** Where pod filesystems live: <podsDir>/<namespace>/<pod>/<container>/. */
  podsDir: string;
  /** Default sandbox-node. */
  nodeName?: string;
  log?: (message: string) => void;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string; optional?: boolean } };
}

interface PodSpecLike {
  nodeName?: string;
  containers?: { name: string; image?: string; env?: EnvVar[] }[];
  initContainers?: { name: string; image?: string }[];
}

const POD = { apiVersion: 'v1', kind: 'Pod' } as const;

export class Kubelet {
  readonly nodeName: string;
  readonly podsDir: string;
  private readonly controller = new AbortController();
  private readonly pods: Informer;
  private readonly queue: WorkQueue;
  private readonly timers: NodeJS.Timeout[] = [];
  private running: Promise<void> | undefined;
  private server: Server | undefined;
  /** Upgraded exec connections: the HTTP server no longer tracks them, stop() ends them. */
  private readonly sessions = new Set<Duplex>();
  private facts: NodeFacts | undefined;

  private constructor(
    private readonly kube: KubeClient,
    options: KubeletOptions,
  ) {
    this.nodeName = options.nodeName ?? SANDBOX_NODE;
    this.podsDir = options.podsDir;
    this.log = options.log ?? (() => undefined);
    this.pods = new Informer(kube, POD, (_t, pod) => this.onPod(pod), this.controller.signal);
    this.queue = new WorkQueue((key) => this.reconcile(key), (key, err) => this.log(`kubelet: pod ${key}: ${(err as Error).message}`), 4);
  }

  private readonly log: (message: string) => void;

  /** Starts the server, registers the Node and begins running the pods bound to it. */
  static async start(kube: KubeClient, options: KubeletOptions): Promise<Kubelet> {
    const kubelet = new Kubelet(kube, options);
    await kubelet.begin();
    return kubelet;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** The host folder of a container of a pod on this node. */
  containerRoot(namespace: string, pod: string, container: string): string {
    return containerRoot(this.podsDir, namespace, pod, container);
  }

  /** Resolves when no pod is waiting to be handled. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.controller.abort();
    this.queue.stop();
    for (const socket of this.sessions) socket.destroy();
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.running;
  }

  private async begin(): Promise<void> {
    await mkdir(this.podsDir, { recursive: true, mode: 0o700 });
    const tls = selfSignedCertificate('runbook sandbox kubelet');
    const server = createServer({ cert: tls.cert, key: tls.key });
    server.on('request', (req, res) => {
      // Only streaming upgrades are served; /healthz answers like a kubelet's.
      if (req.url === '/healthz') {
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
    });
    server.on('upgrade', (req, socket, head) => {
      this.sessions.add(socket);
      socket.once('close', () => this.sessions.delete(socket));
      handleExecUpgrade(req, socket, head, this.lookup, this.log).catch((err) => {
        this.log(`kubelet: exec failed: ${(err as Error).message}`);
        socket.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const version = await this.kube
      .call<{ gitVersion?: string }>({ method: 'GET', path: '/version', kind: 'discovery', ctx: { verb: 'get' } })
      .then((r) => r.body.gitVersion ?? 'v0.0.0')
      .catch(() => 'v0.0.0');
    this.facts = { name: this.nodeName, port: this.port, podsDir: this.podsDir, kubeletVersion: version };
    const node = await registerNode(this.kube, this.facts);
    await renewLease(this.kube, node);
    const every = (ms: number, what: string, fn: () => Promise<void>): void => {
      const t = setInterval(() => void fn().catch((err) => this.log(`kubelet: ${what}: ${(err as Error).message}`)), ms);
      t.unref();
      this.timers.push(t);
    };
    every(LEASE_RENEW_MS, 'renewing the node lease', async () => {
      const current = await this.kube.get({ apiVersion: 'v1', kind: 'Node', name: this.nodeName });
      await renewLease(this.kube, current ?? (await registerNode(this.kube, this.facts!)));
    });
    every(STATUS_REFRESH_MS, 'refreshing the node status', () => refreshNodeStatus(this.kube, this.facts!));
    this.running = this.pods.run();
    await this.pods.ready;
    this.log(`kubelet: node ${this.nodeName} serves exec at https://127.0.0.1:${this.port}; pod filesystems under ${this.podsDir}`);
  }

  private readonly lookup: ContainerLookup = async ({ namespace, pod, container }) => {
    const obj = this.pods.get(pod, namespace) ?? (await this.kube.get({ ...POD, name: pod, namespace }));
    const spec = (obj?.spec ?? {}) as PodSpecLike;
    if (!obj || spec.nodeName !== this.nodeName) return { notFound: `pod "${pod}" not found on node ${this.nodeName}` };
    const found = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].find((c) => c.name === container);
    if (!found) return { notFound: `container "${container}" not found in pod ${namespace}/${pod}` };
    const root = this.containerRoot(namespace, pod, container);
    await mkdir(root, { recursive: true, mode: 0o755 });
    return { root, programs: databasePrograms(found.image) };
  };

  private onPod(pod: KubeObject): void {
    const spec = (pod.spec ?? {}) as PodSpecLike;
    // Pods of other nodes (or none yet) are none of this kubelet's business; a deleted pod of ours
    // still needs its folder removed.
    if (spec.nodeName === this.nodeName) this.queue.add(keyOf(pod));
  }

  private async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const pod = this.pods.get(name, namespace);
    if (!pod) {
      await rm(podDir(this.podsDir, namespace, name), { recursive: true, force: true });
      return;
    }
    if (pod.metadata.deletionTimestamp) {
      // The containers "stop" at once: confirm the deletion, as the kubelet does when they have.
      await rm(podDir(this.podsDir, namespace, name), { recursive: true, force: true });
      await this.kube.delete({ ...POD, name, namespace }, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid! }, signal: this.controller.signal }).catch(() => undefined);
      return;
    }
    await this.runPod(pod);
  }

  /**
   * Runs a pod bound to this node now, rather than when its watch event arrives: the simulator
   * calls it for the pods it creates, so they are Running by the time it is settled.
   */
  async ensureRunning(namespace: string, name: string): Promise<void> {
    const pod = await this.kube.get({ ...POD, name, namespace }, { signal: this.controller.signal });
    if (!pod || pod.metadata.deletionTimestamp || (pod.spec as PodSpecLike | undefined)?.nodeName !== this.nodeName) return;
    await this.runPod(pod);
  }

  /** A container's environment: plain values and values from Secrets and ConfigMaps (missing ones left out). */
  private async environment(namespace: string, env: readonly EnvVar[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const e of env) {
      if (e.value !== undefined) out[e.name] = e.value;
      const from = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
      if (!from) continue;
      const secret = e.valueFrom?.secretKeyRef !== undefined;
      const obj = await this.kube.get({ apiVersion: 'v1', kind: secret ? 'Secret' : 'ConfigMap', name: from.name, namespace }, { signal: this.controller.signal });
      const raw = ((obj?.data ?? {}) as Record<string, string>)[from.key];
      if (raw !== undefined) out[e.name] = secret ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    }
    return out;
  }

  private async runPod(pod: KubeObject): Promise<void> {
    const namespace = pod.metadata.namespace!;
    const name = pod.metadata.name!;
    const spec = (pod.spec ?? {}) as PodSpecLike;
    for (const c of spec.containers ?? []) {
      const root = this.containerRoot(namespace, name, c.name);
      await mkdir(root, { recursive: true, mode: 0o755 });
      if (databasePrograms(c.image).length) await initDatabase(root, await this.environment(namespace, c.env ?? []));
    }
    const status = (pod.status ?? {}) as { phase?: string; containerStatuses?: unknown[] };
    if (status.phase === 'Running' && (status.containerStatuses?.length ?? 0) === (spec.containers?.length ?? 0)) return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await this.kube.patch(
      { ...POD, name, namespace },
      'merge',
      {
        status: {
          phase: 'Running',
          hostIP: '127.0.0.1',
          hostIPs: [{ ip: '127.0.0.1' }],
          podIP: '127.0.0.1',
          podIPs: [{ ip: '127.0.0.1' }],
          startTime: now,
          // Set by the API server when the pod is created, from its resources, and immutable after.
          ...((pod.status as { qosClass?: string } | undefined)?.qosClass ? {} : { qosClass: 'BestEffort' }),
          conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now })),
          containerStatuses: (spec.containers ?? []).map((c) => ({
            name: c.name,
            image: c.image ?? '',
            imageID: c.image ?? '',
            containerID: `sandbox://${namespace}-${name}-${c.name}`,
            ready: true,
            started: true,
            restartCount: 0,
            state: { running: { startedAt: now } },
          })),
        },
      },
      { subresource: 'status', signal: this.controller.signal },
    );
  }
}
