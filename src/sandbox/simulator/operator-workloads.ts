// What each operator runs for one of its CRs (pods.ts makes and runs it): the containers, volumes,
// service account and labels of its Deployment's pod, the files seeded where the server keeps its
// state, and the tables a database-backed service creates.
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
import type { KubeObject, ResourceRef } from '../../kube/types.js';

export const LLAMA_STACK_DATA = '/opt/app-root/src/.llama/distributions/rh';
export const TRUSTYAI_DEFAULT_FOLDER = '/inputs';

export interface Container {
  name: string;
  image: string;
  volumeMounts?: { name: string; mountPath: string }[];
  [field: string]: unknown;
}

/** What an operator runs for one CR. */
export interface Workload {
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

export interface Kind {
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
