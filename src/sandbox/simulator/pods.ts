// The pods operators run for workloads whose data the upgrade copies out of containers: each
// LlamaStackDistribution and each TrustyAIService gets the Deployment its operator creates, a
// ReplicaSet and one Pod bound to the simulated kubelet's node (src/sandbox/kubelet), which runs
// it (status Running, a filesystem per container) and serves exec into it. The Pod is seeded with
// small files where the real server keeps its state, so a backup has something to copy.
//
// Ownership is the real chain: CR → Deployment (controller) → ReplicaSet → Pod, so the garbage
// collector removes them with the CR, and the Deployment's name is the ReplicaSet's owner name, as
// the companion backup script derives it (pod → ReplicaSet ownerReference minus its hash suffix).
//
// The pod each operator runs, and the facts it follows, are in operator-workloads.ts.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import semver from 'semver';
import { KubeApiError } from '../../kube/errors.js';
import { databasePrograms, listTables, runSql } from '../kubelet/database.js';
import type { Kubelet } from '../kubelet/index.js';
import type { KubeObject } from '../../kube/types.js';
import { Informer, keyOf } from './informer.js';
import type { SimRuntime } from './runtime.js';
import { WorkQueue } from './work-queue.js';
import { type Kind, POD_KINDS, type Workload } from './operator-workloads.js';

export { LLAMA_STACK_DATA, POD_KINDS, TRUSTYAI_DEFAULT_FOLDER, llamaStackServer } from './operator-workloads.js';

const APPS = 'apps/v1';

/** A ReplicaSet's pod-template-hash: ten characters of the alphabet Kubernetes uses for it. */
function templateHash(text: string): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const digest = createHash('sha256').update(text).digest();
  return [...digest.subarray(0, 10)].map((b) => alphabet[b % alphabet.length]).join('');
}

function podSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
}

const ownedBy = (o: KubeObject, uid: string): boolean => ((o.metadata.ownerReferences ?? []) as { uid?: string }[]).some((r) => r.uid === uid);

export class PodControllers {
  private readonly informers: { kind: Kind; informer: Informer }[];
  private readonly queue: WorkQueue;

  constructor(
    private readonly rt: SimRuntime,
    private readonly kubelet: Kubelet,
    private readonly rhoaiVersion: () => string | undefined,
  ) {
    this.informers = POD_KINDS.map((kind, i) => ({ kind, informer: new Informer(rt.kube, kind.ref, (_t, obj) => this.queue.add(`${i}|${keyOf(obj)}`), rt.signal) }));
    this.queue = new WorkQueue((k) => this.reconcile(k), (k, err) => rt.log(`pods: ${k}: ${(err as Error).message}`), 4);
  }

  all(): Informer[] {
    return this.informers.map((x) => x.informer);
  }

  pokeAll(): void {
    this.informers.forEach(({ informer }, i) => informer.list().forEach((o) => this.queue.add(`${i}|${keyOf(o)}`)));
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): void {
    this.queue.stop();
  }

  private async reconcile(key: string): Promise<void> {
    const [index, objKey] = key.split('|') as [string, string];
    const { kind, informer } = this.informers[Number(index)]!;
    const [ns, name] = objKey.split('/') as [string, string];
    const owner = informer.get(name, ns);
    // Deleted: the garbage collector takes the Deployment, ReplicaSet and Pod away.
    if (!owner || owner.metadata.deletionTimestamp) return;
    const version = this.rhoaiVersion();
    const workload = kind.workload(owner, version !== undefined && semver.major(version) >= 3);
    const kube = this.rt.kube;
    const signal = this.rt.signal;

    const deploymentRef = { apiVersion: APPS, kind: 'Deployment', name, namespace: ns };
    let deployment = await kube.get(deploymentRef, { signal });
    if (!deployment) {
      // A template the API server refuses gives no Deployment: the operator reports the refusal in
      // the CR's status (workloads.ts, from a dry run of the same pod), and tries again on the next change.
      const refused = (err: unknown): boolean => err instanceof KubeApiError && err.code === 422;
      deployment = await kube.create(
        {
          apiVersion: APPS,
          kind: 'Deployment',
          metadata: {
            name,
            namespace: ns,
            labels: workload.labels,
            ownerReferences: [{ apiVersion: owner.apiVersion, kind: owner.kind, name, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true }],
          },
          spec: {
            replicas: workload.replicas,
            selector: { matchLabels: workload.labels },
            template: { metadata: { labels: workload.labels }, spec: this.podSpec(workload, false) },
          },
        },
        { signal },
      ).catch((err: unknown) => {
        if (refused(err)) return null;
        throw err;
      });
      if (!deployment) return;
    }
    const hash = templateHash(`${deployment.metadata.uid}`);
    const replicaSets = (await kube.list({ apiVersion: APPS, kind: 'ReplicaSet', namespace: ns }, { signal })).items.filter((r) => ownedBy(r, deployment.metadata.uid!));
    let replicaSet = replicaSets[0];
    const podLabels = { ...workload.labels, 'pod-template-hash': (replicaSet?.metadata.labels?.['pod-template-hash'] as string | undefined) ?? hash };
    if (!replicaSet) {
      replicaSet = await kube.create(
        {
          apiVersion: APPS,
          kind: 'ReplicaSet',
          metadata: {
            name: `${name}-${hash}`,
            namespace: ns,
            labels: podLabels,
            annotations: { 'deployment.kubernetes.io/desired-replicas': '1', 'deployment.kubernetes.io/max-replicas': '1', 'deployment.kubernetes.io/revision': '1' },
            ownerReferences: [{ apiVersion: APPS, kind: 'Deployment', name, uid: deployment.metadata.uid!, controller: true, blockOwnerDeletion: true }],
          },
          spec: { replicas: workload.replicas, selector: { matchLabels: podLabels }, template: { metadata: { labels: podLabels }, spec: this.podSpec(workload, false) } },
        },
        { signal },
      );
    }
    const rs = replicaSet;
    const pods = (await kube.list({ apiVersion: 'v1', kind: 'Pod', namespace: ns }, { signal })).items.filter((p) => ownedBy(p, rs.metadata.uid!) && !p.metadata.deletionTimestamp);
    let pod = pods[0];
    let created = false;
    if (workload.replicas === 0) {
      // Scaled to zero: the ReplicaSet's pods go (the kubelet finishes their deletion).
      for (const p of pods) await kube.delete({ apiVersion: 'v1', kind: 'Pod', name: p.metadata.name!, namespace: ns }, { signal }).catch(() => undefined);
      pod = undefined;
    } else if (!pod) {
      created = true;
      pod = await kube.create(
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${rs.metadata.name}-${podSuffix()}`,
            namespace: ns,
            labels: podLabels,
            ownerReferences: [{ apiVersion: APPS, kind: 'ReplicaSet', name: rs.metadata.name!, uid: rs.metadata.uid!, controller: true, blockOwnerDeletion: true }],
          },
          spec: this.podSpec(workload, true),
        },
        { signal },
      );
    }
    if (pod) {
      await this.kubelet.ensureRunning(ns, pod.metadata.name!);
      if (workload.seed) await this.seed(ns, pod.metadata.name!, workload.seed);
      if (workload.database && created) await this.createTables(ns, name, workload.database);
    }
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const n = workload.replicas;
    await this.rt.setStatus(rs, { replicas: n, fullyLabeledReplicas: n, readyReplicas: n, availableReplicas: n, observedGeneration: rs.metadata.generation });
    await this.rt.setStatus(deployment, {
      observedGeneration: deployment.metadata.generation,
      replicas: n,
      updatedReplicas: n,
      readyReplicas: n,
      availableReplicas: n,
      conditions: ((deployment.status as { conditions?: unknown[] } | undefined)?.conditions as unknown[] | undefined) ?? [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: now, lastTransitionTime: now },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rs.metadata.name}" has successfully progressed.`, lastUpdateTime: now, lastTransitionTime: now },
      ],
    });
  }

  private podSpec(workload: Workload, bound: boolean): Record<string, unknown> {
    return {
      ...(bound ? { nodeName: this.kubelet.nodeName } : {}),
      serviceAccountName: workload.serviceAccountName,
      containers: workload.containers,
      ...(workload.volumes.length ? { volumes: workload.volumes } : {}),
    };
  }

  /**
   * What the service does against its database when it starts: connect with the Secret's
   * credentials to the database pod behind the Secret's Service, and create its tables if the
   * database has none. A database it cannot reach or log in to is left alone (the real service would
   * not start; the sandbox logs it).
   */
  private async createTables(ns: string, owner: string, database: NonNullable<Workload['database']>): Promise<void> {
    const signal = this.rt.signal;
    const secret = await this.rt.kube.get({ apiVersion: 'v1', kind: 'Secret', name: database.secret, namespace: ns }, { signal });
    const data = (secret?.data ?? {}) as Record<string, string>;
    const value = (k: string): string | undefined => (data[k] === undefined ? undefined : Buffer.from(data[k]!, 'base64').toString('utf8'));
    const [user, password, name, service] = ['databaseUsername', 'databasePassword', 'databaseName', 'databaseService'].map(value);
    if (!user || password === undefined || !name || !service) return this.rt.log(`pods: ${ns}/${owner}: no usable database configuration in Secret ${database.secret}`);
    const svc = await this.rt.kube.get({ apiVersion: 'v1', kind: 'Service', name: service, namespace: ns }, { signal });
    const selector = ((svc?.spec as { selector?: Record<string, string> } | undefined)?.selector ?? {}) as Record<string, string>;
    const candidates = (await this.rt.kube.list({ apiVersion: 'v1', kind: 'Pod', namespace: ns }, { signal })).items.filter(
      (p) =>
        !p.metadata.deletionTimestamp &&
        (p.spec as { nodeName?: string } | undefined)?.nodeName === this.kubelet.nodeName &&
        (Object.keys(selector).length ? Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v) : p.metadata.name!.startsWith(service)),
    );
    for (const p of candidates) {
      const containers = ((p.spec as { containers?: { name: string; image?: string }[] } | undefined)?.containers ?? []).filter((c) => databasePrograms(c.image).length);
      const container = containers.find((c) => c.name === 'mariadb') ?? containers[0];
      if (!container) continue;
      await this.kubelet.ensureRunning(ns, p.metadata.name!);
      const root = this.kubelet.containerRoot(ns, p.metadata.name!, container.name);
      const credentials = { user, password, database: name };
      const tables = await listTables(root, credentials);
      if (tables === undefined) return this.rt.log(`pods: ${ns}/${owner}: cannot open database ${name} as ${user} in pod ${p.metadata.name}`);
      if (tables.length === 0) {
        const failed = await runSql(root, credentials, database.sql);
        if (failed) this.rt.log(`pods: ${ns}/${owner}: creating its tables failed: ${failed}`);
      }
      return;
    }
    this.rt.log(`pods: ${ns}/${owner}: no database pod behind Service ${service} on ${this.kubelet.nodeName}`);
  }

  /**
   * Writes the seed files once: data restored or written later is never overwritten. They are
   * written beside the folder and renamed into place, so whoever looks into the folder (a test
   * that empties it, a run that checks it is empty) sees all of them or none.
   */
  private async seed(ns: string, pod: string, seed: NonNullable<Workload['seed']>): Promise<void> {
    const root = this.kubelet.containerRoot(ns, pod, seed.container);
    const dir = join(root, seed.dir);
    if (await stat(dir).catch(() => undefined)) return;
    const staging = `${dir}.seeding-${randomBytes(4).toString('hex')}`;
    try {
      await mkdir(staging, { recursive: true, mode: 0o755 });
      for (const [file, content] of Object.entries(seed.files)) {
        await mkdir(dirname(join(staging, file)), { recursive: true, mode: 0o755 });
        await writeFile(join(staging, file), content, { mode: 0o644 });
      }
      // A folder that appeared meanwhile with something in it is kept: rename fails, nothing is seeded.
      await rename(staging, dir).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
}
