// The database of a TrustyAIService on DATABASE storage, dumped before the upgrade and loaded
// again after it, as trustyai/backup-data.sh and trustyai/restore-data.sh do
// (red-hat-data-services/rhoai-upgrade-helpers), through the built CLI on the `minimal` sandbox:
// a MariaDB pod on the sandbox node (its data in its container's folder, src/sandbox/kubelet/
// database.ts) that the service filled with its tables when it started, the credentials in the
// Secret spec.storage.databaseConfigurations names (user, password and database name).
// - before: the dump (mariadb-dump through `sh -c`, the credentials on standard input) is on disk
//   with every table and row, readable by its owner only; the password is nowhere.
// - after, the database as it was: the tables are counted, nothing is loaded.
// - after, a database that lost its tables (a new pod on empty storage): the dump is copied in,
//   loaded, and the tables and rows are back; a second run finds them and loads nothing.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { containerRoot } from '../../src/sandbox/kubelet/container-fs.js';
import { PODS_DIR_ANNOTATION } from '../../src/sandbox/kubelet/node.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { REPO, runCli, type CliRun } from './support/cli-run.js';
import { eventually } from './support/cluster.js';
import { startTestSandbox } from './support/sandbox.js';

const RUNBOOKS = join(REPO, 'runbooks/rhoai-2.25-to-3.3');
const NS = 'trusty-db';
const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
const PASSWORD = 'Db-Pa55w0rd-n0t-sh0wn';
const DATABASE = 'trustyai_data';
const TABLES = ['inference_rows', 'inference_values', 'storage_metadata'];

let sandbox: Sandbox;
let kube: KubeClient;
let dir: string;

function why(r: CliRun): string {
  const failed = r.events.filter((e) => e.type === 'node:end' && (e.result as { status: string }).status === 'failed').map((e) => JSON.stringify(e.result));
  return [r.stderr.slice(-3000), ...failed, ...r.findings.map((f) => JSON.stringify(f))].join('\n');
}

/** A MariaDB pod as the Deployment mariadb-tas-db would run it, on the sandbox node. */
async function databasePod(name: string): Promise<void> {
  await kube.create({
    ...POD,
    metadata: { name, namespace: NS, labels: { app: 'mariadb-tas-db', 'pod-template-hash': '5f7b9c4d6' } },
    spec: {
      nodeName: 'sandbox-node',
      containers: [
        {
          name: 'mariadb',
          image: 'registry.redhat.io/rhel9/mariadb-105:latest',
          ports: [{ containerPort: 3306 }],
          env: [
            { name: 'MYSQL_USER', value: 'trusty' },
            { name: 'MYSQL_PASSWORD', valueFrom: { secretKeyRef: { name: 'tas-db-credentials', key: 'databasePassword' } } },
            { name: 'MYSQL_DATABASE', value: DATABASE },
          ],
          volumeMounts: [{ name: 'data', mountPath: '/var/lib/mysql' }],
        },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
    },
  });
  await eventually(`pod ${name} runs`, async () => ((await kube.get({ ...POD, namespace: NS, name }))?.status as { phase?: string } | undefined)?.phase === 'Running', { timeoutMs: 60_000, intervalMs: 250 });
}

/** The tables of the database in a pod, as the files the sandbox database keeps them in. */
async function tablesIn(pod: string): Promise<Record<string, string>> {
  const node = (await kube.list({ apiVersion: 'v1', kind: 'Node' })).items[0]!;
  const data = join(containerRoot(node.metadata.annotations![PODS_DIR_ANNOTATION]!, NS, pod, 'mariadb'), 'var/lib/mysql/data', DATABASE);
  if (!existsSync(data)) return {};
  return Object.fromEntries(readdirSync(data).filter((f) => f.endsWith('.sql')).sort().map((f) => [f.slice(0, -4), readFileSync(join(data, f), 'utf8')]));
}

beforeAll(async () => {
  sandbox = await startTestSandbox({ scenario: 'minimal', speed: 0 });
  kube = sandbox.kube;
  dir = mkdtempSync(join(tmpdir(), 'runbook-trustyai-db-'));
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  // The database configuration the operator reads (controllers/tas/secrets.go mandatory keys).
  await kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'tas-db-credentials', namespace: NS },
    stringData: { databaseKind: 'mariadb', databaseUsername: 'trusty', databasePassword: PASSWORD, databaseService: 'mariadb-tas-db', databasePort: '3306', databaseName: DATABASE, databaseGeneration: 'update' },
  });
  await kube.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'mariadb-tas-db', namespace: NS }, spec: { selector: { app: 'mariadb-tas-db' }, ports: [{ port: 3306, targetPort: 3306 }] } });
  await databasePod('mariadb-tas-db-5f7b9c4d6-x7k2p');
  await kube.create({
    apiVersion: 'trustyai.opendatahub.io/v1',
    kind: 'TrustyAIService',
    metadata: { name: 'tas-db', namespace: NS },
    spec: { storage: { format: 'DATABASE', databaseConfigurations: 'tas-db-credentials' }, metrics: { schedule: '5s' } },
  });
}, 600_000);

afterAll(async () => {
  await sandbox?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('TrustyAIService on a database: dump before the upgrade, load after it', () => {
  it('dumps every table before the upgrade, and leaves a database that kept them alone after it', { timeout: 600_000 }, async () => {
    // The service created its tables when it started.
    const original = await eventually('the service created its tables', async () => {
      const t = await tablesIn('mariadb-tas-db-5f7b9c4d6-x7k2p');
      return Object.keys(t).length === TABLES.length && Object.values(t).every((sql) => sql.includes('INSERT INTO')) ? t : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    expect(Object.keys(original)).toEqual(TABLES);

    const wrapper = join(dir, 'trustyai-upgrade.yaml');
    writeFileSync(wrapper, [
      'apiVersion: runbook.dev/v1',
      'kind: Runbook',
      'metadata: { name: trustyai-database-upgrade }',
      'sections:',
      '  - name: before',
      `    steps: [{ name: TrustyAI, import: ${join(RUNBOOKS, 'before/trustyai.yaml')} }]`,
      '  - name: during',
      '    steps: [{ name: The operator upgrade, id: upgrade, confirm: { message: The operator is upgraded now. } }]',
      '  - name: after',
      `    steps: [{ name: TrustyAI, import: ${join(RUNBOOKS, 'after/trustyai.yaml')} }]`,
      '',
    ].join('\n'));
    const stateDir = join(dir, 'state');
    const cli = (args: string[]): Promise<CliRun> => runCli([...args, '--kubeconfig', sandbox.kubeconfigPath, '--state-dir', stateDir, '-o', 'json'], { cwd: dir });

    const before = await cli(['run', wrapper]);
    expect(before.code, why(before)).toBe(4);
    expect(before.findings.filter((f) => ['trustyai-backup-database', 'trustyai-backup-credentials'].includes(f.check ?? ''))).toEqual([]);

    // The dump: every table's structure and rows, owner-only.
    const backup = join(dir, 'rhoai-upgrade-backup', 'trustyai', NS, 'tas-db');
    const dump = readFileSync(join(backup, 'dump.sql'), 'utf8');
    expect(statSync(join(backup, 'dump.sql')).mode & 0o777).toBe(0o600);
    for (const table of TABLES) {
      expect(dump).toContain(`DROP TABLE IF EXISTS \`${table}\`;`);
      expect(dump).toContain(`CREATE TABLE \`${table}\``);
      expect(dump).toContain(`INSERT INTO \`${table}\` VALUES`);
    }
    expect(dump).toContain("(1,'fraud-model','_trustyai_unlabeled','2025-10-01 10:00:00.000000')");
    expect(JSON.parse(readFileSync(join(backup, 'metadata.json'), 'utf8'))).toMatchObject({
      namespace: NS, trustyaiService: 'tas-db', storageFormat: 'DATABASE', mariadbPod: 'mariadb-tas-db-5f7b9c4d6-x7k2p', container: 'mariadb', credentialsSecret: 'tas-db-credentials',
    });

    // The upgrade passed: the database kept its tables, so nothing is loaded into it.
    const after = await cli(['resume', before.summary!.runId, '--approve', 'upgrade']);
    expect(after.code, why(after)).toBe(0);
    expect(after.findings.filter((f) => (f.check ?? '').startsWith('trustyai-restore-database'))).toEqual([]);
    expect(await tablesIn('mariadb-tas-db-5f7b9c4d6-x7k2p')).toEqual(original);
    const node = (await kube.list({ apiVersion: 'v1', kind: 'Node' })).items[0]!;
    expect(existsSync(join(containerRoot(node.metadata.annotations![PODS_DIR_ANNOTATION]!, NS, 'mariadb-tas-db-5f7b9c4d6-x7k2p', 'mariadb'), 'tmp', 'trustyai-restore-tas-db'))).toBe(false);

    // The password is in no output, no state and no backup file.
    const files = (root: string): string[] => readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'));
    for (const text of [before.stdout, before.stderr, after.stdout, after.stderr, ...files(stateDir), ...files(join(dir, 'rhoai-upgrade-backup'))]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    }
  });

  it('loads the dump into a database that lost its tables, and a second run loads nothing', { timeout: 600_000 }, async () => {
    // The database pod comes back on empty storage: the database and its user, no tables.
    await kube.delete({ ...POD, namespace: NS, name: 'mariadb-tas-db-5f7b9c4d6-x7k2p' });
    await eventually('the old database pod is gone', async () => (await kube.get({ ...POD, namespace: NS, name: 'mariadb-tas-db-5f7b9c4d6-x7k2p' })) === null, { timeoutMs: 60_000, intervalMs: 250 });
    await databasePod('mariadb-tas-db-5f7b9c4d6-q9m4t');
    expect(await tablesIn('mariadb-tas-db-5f7b9c4d6-q9m4t')).toEqual({});

    // after/trustyai.yaml on its own, given what the first run backed up.
    const backupDir = join(dir, 'rhoai-upgrade-backup', 'trustyai', NS, 'tas-db');
    const vars = join(dir, 'restore-vars.yaml');
    writeFileSync(vars, JSON.stringify({ trustyaiDataBackups: [{ namespace: NS, name: 'tas-db', format: 'DATABASE', dir: backupDir, mountPath: '', databaseConfigurations: 'tas-db-credentials' }] }));
    const restore = (): Promise<CliRun> => runCli(['run', join(RUNBOOKS, 'after/trustyai.yaml'), '--vars-file', vars, '--kubeconfig', sandbox.kubeconfigPath, '--state-dir', join(dir, 'state-restore'), '-o', 'json'], { cwd: dir });

    const loaded = await restore();
    expect(loaded.code, why(loaded)).toBe(0);
    const tables = await tablesIn('mariadb-tas-db-5f7b9c4d6-q9m4t');
    expect(Object.keys(tables)).toEqual(TABLES);
    expect(tables.inference_values).toContain("(1,0,'34')");
    expect(tables.storage_metadata).toContain("('fraud-model',2,'tas-db')");
    expect(loaded.findings.filter((f) => (f.check ?? '').startsWith('trustyai-restore-database'))).toEqual([]);
    // The copy of the dump in the pod is removed once loaded.
    const node = (await kube.list({ apiVersion: 'v1', kind: 'Node' })).items[0]!;
    expect(existsSync(join(containerRoot(node.metadata.annotations![PODS_DIR_ANNOTATION]!, NS, 'mariadb-tas-db-5f7b9c4d6-q9m4t', 'mariadb'), 'tmp', 'trustyai-restore-tas-db'))).toBe(false);

    const again = await restore();
    expect(again.code, why(again)).toBe(0);
    expect(await tablesIn('mariadb-tas-db-5f7b9c4d6-q9m4t')).toEqual(tables);
  });
});
