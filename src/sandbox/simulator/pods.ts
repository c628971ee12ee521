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
// Facts, per operator:
// - llama-stack-k8s-operator (red-hat-data-services/llama-stack-k8s-operator, rhoai-2.25):
//   controllers/manifests/base/deployment.yaml and pkg/deploy/kustomizer.go: Deployment named like
//   the CR, pods labelled app=llama-stack and app.kubernetes.io/instance=<name>;
//   controllers/resource_helper.go (rhoai-2.25 and rhoai-3.3 alike in what is modelled here):
//   buildContainerSpec, container spec.server.containerSpec.name (default llama-stack) with its
//   resources (CPU and memory requests defaulted to 1 and 1Gi on 3.3, ensureRequests), port
//   (default 8321), env HF_HOME=<mount path> then spec.server.containerSpec.env, command and args;
//   volume lls-storage (PVC <name>-pvc when spec.server.storage is set, else emptyDir) mounted at
//   spec.server.storage.mountPath (default /opt/app-root/src/.llama/distributions/rh/); with
//   spec.server.userConfig the ConfigMap volume user-config mounted at /etc/llama-stack/;
//   configurePodOverrides: service account podOverrides.serviceAccountName else <name>-sa,
//   podOverrides.volumes added to the pod and podOverrides.volumeMounts to the container. What the
//   operator adds that is valid by construction (probes, the CA bundle, the 2.25 init container
//   that fixes the PVC's permissions) is left out.
// - trustyai-service-operator (red-hat-data-services/trustyai-service-operator, rhoai-2.25):
//   controllers/tas/templates/service/deployment.tmpl.yaml: Deployment named like the CR, pods
//   labelled app, app.kubernetes.io/instance, app.kubernetes.io/name (all <name>),
//   app.kubernetes.io/part-of=trustyai and app.kubernetes.io/version; containers trustyai-service
//   and the auth proxy (oauth-proxy in 2.x, kube-rbac-proxy in 3.x); for PVC storage the volume
//   `volume` (controllers/tas/constants.go) on claim <name>-pvc (storage.go) mounted at
//   spec.storage.folder. For DATABASE storage the service reaches its database through the Secret
//   spec.storage.databaseConfigurations names (controllers/tas/secrets.go: else <name>-db-credentials;
//   keys databaseKind, databaseUsername, databasePassword, databaseService, databasePort,
//   databaseName, which deployment.tmpl.yaml turns into the JDBC URL
//   jdbc:<kind>://<service>:<port>/<name>) and, with QUARKUS_HIBERNATE_ORM_ACTIVE=true, creates its
//   tables there when it starts. The sandbox does that when it starts the service's pod: in the
//   database pod behind the Service databaseService (bound to the sandbox node, a MariaDB or MySQL
//   container: src/sandbox/kubelet/database.ts), a few tables with rows, if the database has none.
//   Their names and rows are the sandbox's own (the service's schema is not modelled); what counts
//   is that a dump and a restore carry them.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import semver from 'semver';
import { KubeApiError } from '../../kube/errors.js';
import { databasePrograms, listTables, runSql } from '../kubelet/database.js';
import type { Kubelet } from '../kubelet/index.js';
import type { KubeObject, ResourceRef } from '../../kube/types.js';
import { Informer, keyOf } from './informer.js';
import type { SimRuntime } from './runtime.js';
import { WorkQueue } from './work-queue.js';

const APPS = 'apps/v1';
export const LLAMA_STACK_DATA = '/opt/app-root/src/.llama/distributions/rh';
export const TRUSTYAI_DEFAULT_FOLDER = '/inputs';

interface Container {
  name: string;
  image: string;
  volumeMounts?: { name: string; mountPath: string }[];
  [field: string]: unknown;
}

/** What an operator runs for one CR. */
interface Workload {
  labels: Record<string, string>;
  /** 0 or 1: the sandbox runs at most one pod per workload. */
  replicas: number;
  containers: Container[];
  volumes: Record<string, unknown>[];
  serviceAccountName: string;
  /** Files to create in a container when its data folder is not there yet. */
  seed?: { container: string; dir: string; files: Record<string, string | Buffer> };
  /** The Secret with the database the workload creates its tables in when its pod starts. */
  database?: { secret: string; sql: string };
}

interface Kind {
  ref: ResourceRef;
  workload(obj: KubeObject, major3: boolean): Workload;
}

/** The first bytes of an SQLite database file, so a copied file looks like what it stands for. */
function sqlite(note: string): Buffer {
  const header = Buffer.alloc(100);
  header.write('SQLite format 3\0', 0, 'latin1');
  header.writeUInt16BE(4096, 16);
  return Buffer.concat([header, Buffer.from(`\n-- sandbox data: ${note}\n`)]);
}

type Obj = Record<string, unknown>;

/** The Llama Stack server's pod as the operator templates it in its Deployment (see above). */
export function llamaStackServer(obj: KubeObject): { labels: Record<string, string>; container: string; mountPath: string; podSpec: Obj & { containers: Container[]; volumes: Obj[]; serviceAccountName: string } } {
  const name = obj.metadata.name!;
  const server = ((obj.spec as { server?: Obj } | undefined)?.server ?? {}) as {
    containerSpec?: { name?: string; port?: number; resources?: { requests?: Obj; limits?: Obj }; env?: Obj[]; command?: string[]; args?: string[] };
    distribution?: { name?: string; image?: string };
    storage?: { mountPath?: string };
    userConfig?: { configMapName?: string };
    podOverrides?: { serviceAccountName?: string; volumes?: Obj[]; volumeMounts?: Obj[] };
  };
  const spec = server.containerSpec ?? {};
  const container = spec.name || 'llama-stack';
  // Always with one trailing slash, like the operator's default (a slash more or less mounts the same folder).
  const mountPath = `${(server.storage?.mountPath || LLAMA_STACK_DATA).replace(/\/+$/, '')}/`;
  const requests = { cpu: '1', memory: '1Gi', ...spec.resources?.requests };
  const userConfig = server.userConfig?.configMapName;
  const main: Container = {
    name: container,
    image: server.distribution?.image ?? `registry.redhat.io/rhoai/odh-llama-stack-core-rhel9:${server.distribution?.name ?? 'rh-dev'}`,
    resources: { ...spec.resources, requests },
    ports: [{ containerPort: spec.port || 8321 }],
    env: [{ name: 'HF_HOME', value: mountPath }, ...structuredClone(spec.env ?? [])],
    volumeMounts: [
      { name: 'lls-storage', mountPath },
      ...(userConfig ? [{ name: 'user-config', mountPath: '/etc/llama-stack/' }] : []),
      ...(structuredClone(server.podOverrides?.volumeMounts ?? []) as { name: string; mountPath: string }[]),
    ],
    ...(spec.command?.length ? { command: [...spec.command] } : {}),
    ...(spec.args?.length ? { args: [...spec.args] } : {}),
  };
  return {
    labels: { app: 'llama-stack', 'app.kubernetes.io/instance': name },
    container,
    mountPath: mountPath.replace(/\/+$/, '') || '/',
    podSpec: {
      serviceAccountName: server.podOverrides?.serviceAccountName || `${name}-sa`,
      containers: [main],
      volumes: [
        server.storage ? { name: 'lls-storage', persistentVolumeClaim: { claimName: `${name}-pvc` } } : { name: 'lls-storage', emptyDir: {} },
        ...(userConfig ? [{ name: 'user-config', configMap: { name: userConfig } }] : []),
        ...structuredClone(server.podOverrides?.volumes ?? []),
      ],
    },
  };
}

const llamaStack: Kind = {
  ref: { apiVersion: 'llamastack.io/v1alpha1', kind: 'LlamaStackDistribution' },
  workload(obj) {
    const name = obj.metadata.name!;
    const server = llamaStackServer(obj);
    const replicas = (obj.spec as { replicas?: number } | undefined)?.replicas ?? 1;
    return {
      labels: server.labels,
      replicas: replicas > 0 ? 1 : 0,
      serviceAccountName: server.podSpec.serviceAccountName,
      containers: server.podSpec.containers,
      volumes: server.podSpec.volumes,
      seed: {
        container: server.container,
        dir: server.mountPath,
        files: {
          'kvstore.db': sqlite(`key-value store of ${name}`),
          'sql_store.db': sqlite(`agents and responses of ${name}`),
          'files/file-5f0c2a.txt': `a document uploaded to ${name}\n`,
        },
      },
    };
  },
};

const trustyAi: Kind = {
  ref: { apiVersion: 'trustyai.opendatahub.io/v1', kind: 'TrustyAIService' },
  workload(obj, major3) {
    const name = obj.metadata.name!;
    const spec = (obj.spec ?? {}) as { storage?: { format?: string; folder?: string; databaseConfigurations?: string }; data?: { filename?: string } };
    const database = /^(database|db)$/i.test(spec.storage?.format ?? '');
    const folder = (spec.storage?.folder || TRUSTYAI_DEFAULT_FOLDER).replace(/\/+$/, '') || '/';
    const filename = spec.data?.filename || 'data.csv';
    const version = major3 ? '3.3' : '2.25';
    return {
      labels: { app: name, 'app.kubernetes.io/instance': name, 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'trustyai', 'app.kubernetes.io/version': version },
      replicas: 1,
      serviceAccountName: `${name}-proxy`,
      containers: [
        { name: 'trustyai-service', image: `registry.redhat.io/rhoai/odh-trustyai-service-rhel9:v${version}`, ...(database ? {} : { volumeMounts: [{ name: 'volume', mountPath: folder }] }) },
        major3 ? { name: 'kube-rbac-proxy', image: 'registry.redhat.io/openshift4/ose-kube-rbac-proxy-rhel9:v4.19' } : { name: 'oauth-proxy', image: 'registry.redhat.io/openshift4/ose-oauth-proxy-rhel9:v4.19' },
      ],
      volumes: database ? [] : [{ name: 'volume', persistentVolumeClaim: { claimName: `${name}-pvc` } }],
      ...(database
        ? { database: { secret: spec.storage?.databaseConfigurations || `${name}-db-credentials`, sql: trustyAiTables(name) } }
        : {
            seed: {
              container: 'trustyai-service',
              dir: folder,
              files: {
                [`fraud-model-${filename}`]: 'age,income,outcome\n34,52000,0\n51,81000,1\n',
                [`fraud-model-internal_${filename}`]: 'id,timestamp,tag\n1,2025-10-01T10:00:00Z,_trustyai_unlabeled\n2,2025-10-01T10:00:05Z,_trustyai_unlabeled\n',
                'fraud-model-metadata.json': '{"modelId":"fraud-model","observations":2}\n',
              },
            },
          }),
    };
  },
};

/** The tables a TrustyAIService on a database holds in the sandbox, with a few rows. */
function trustyAiTables(name: string): string {
  return [
    'CREATE TABLE `inference_rows` (`id` bigint NOT NULL AUTO_INCREMENT, `model_id` varchar(255) NOT NULL, `tag` varchar(64) DEFAULT NULL, `ts` datetime(6) NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;',
    "INSERT INTO `inference_rows` VALUES (1,'fraud-model','_trustyai_unlabeled','2025-10-01 10:00:00.000000'),(2,'fraud-model','_trustyai_unlabeled','2025-10-01 10:00:05.000000');",
    'CREATE TABLE `inference_values` (`row_id` bigint NOT NULL, `position` int NOT NULL, `value` varchar(255) DEFAULT NULL, PRIMARY KEY (`row_id`,`position`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;',
    "INSERT INTO `inference_values` VALUES (1,0,'34'),(1,1,'52000'),(1,2,'0'),(2,0,'51'),(2,1,'81000'),(2,2,'1');",
    'CREATE TABLE `storage_metadata` (`model_id` varchar(255) NOT NULL, `observations` int NOT NULL, `service` varchar(255) NOT NULL, PRIMARY KEY (`model_id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;',
    `INSERT INTO \`storage_metadata\` VALUES ('fraud-model',2,'${name}');`,
  ].join('\n');
}

export const POD_KINDS: readonly Kind[] = [llamaStack, trustyAi];

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

  /** Writes the seed files once: data restored or written later is never overwritten. */
  private async seed(ns: string, pod: string, seed: NonNullable<Workload['seed']>): Promise<void> {
    const root = this.kubelet.containerRoot(ns, pod, seed.container);
    const dir = join(root, seed.dir);
    if (await stat(dir).catch(() => undefined)) return;
    for (const [file, content] of Object.entries(seed.files)) {
      await mkdir(dirname(join(dir, file)), { recursive: true, mode: 0o755 });
      await writeFile(join(dir, file), content, { mode: 0o644 });
    }
  }
}
