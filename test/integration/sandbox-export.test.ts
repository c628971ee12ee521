// `runbook sandbox export` against a real API server: a `full` sandbox, with a Secret of known
// value added, exported by the built CLI into a scratch folder. Asserts that the export only
// reads, writes the kinds the runbooks use with their CRDs, never writes a Secret value in any
// encoding, and that the folder loads back as a scenario.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/kube/types.js';
import { loadKubeConfig } from '../../src/kube/config.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { REDACTED_DATA } from '../../src/sandbox/export/redact.js';
import { loadScenario } from '../../src/sandbox/scenario/load.js';
import { runCli, type CliRun } from './support/cli-run.js';
import { startTestSandbox } from './support/sandbox.js';

const SECRET_VALUE = 'pg-Pa55word-7f3a9c41e2';
const TOKEN_VALUE = 'tok-94b1e0c7d2-export';
const SECRET_NS = 'data-science';
const CONFIG_VALUE = 'configmap-value-kept-5d2e';

interface Summary {
  type: 'summary';
  dir: string;
  objects: number;
  kinds: { group: string; kind: string; objects: number; file?: string; skipped?: string }[];
  crds: string[];
  files: string[];
  redactedSecrets: { namespace?: string; name: string; keys: string[]; annotations: string[] }[];
  apiCalls: { reads: number; writes: number; watches: number; discovery: number };
}

let sandbox: Sandbox;
let scratch: string;
let out: string;
let exported: CliRun;
let summary: Summary;

const summaryOf = (run: CliRun): Summary => run.events.find((e) => e.type === 'summary') as unknown as Summary;
const objectsIn = (file: string): KubeObject[] => parseAllDocuments(readFileSync(join(out, file), 'utf8')).map((d) => d.toJS() as KubeObject);
const allFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)]));

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'runbook-sandbox-export-'));
  out = join(scratch, 'export');
  sandbox = await startTestSandbox({ scenario: 'full' });
  // A Secret with known values beside the workbenches: the values reach the API server through
  // stringData and data, and through the annotation `kubectl apply` leaves.
  await sandbox.kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'pipelines-db',
      namespace: SECRET_NS,
      labels: { app: 'pipelines' },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'v1', kind: 'Secret', stringData: { password: SECRET_VALUE } }),
        'example.com/copied-token': `Bearer ${TOKEN_VALUE}`,
        'example.com/owner': 'platform-team',
      },
    },
    type: 'Opaque',
    stringData: { password: SECRET_VALUE, username: 'pipelines' },
    data: { token: Buffer.from(TOKEN_VALUE).toString('base64') },
  });
  await sandbox.kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pipelines-settings', namespace: SECRET_NS }, data: { endpoint: CONFIG_VALUE } });
  // A CSV as OLM copies it into every namespace of an AllNamespaces operator: not exported.
  await sandbox.kube.create({
    apiVersion: 'operators.coreos.com/v1alpha1',
    kind: 'ClusterServiceVersion',
    metadata: { name: 'copied-operator.v1.0.0', namespace: SECRET_NS, labels: { 'olm.copiedFrom': 'openshift-operators' } },
    spec: { displayName: 'copied', version: '1.0.0' },
  });
  exported = await runCli(['sandbox', 'export', '--kubeconfig', sandbox.kubeconfigPath, '-o', out, '--json'], { timeoutMs: 300_000 });
  summary = summaryOf(exported);
}, 900_000);

afterAll(async () => {
  await sandbox?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('runbook sandbox export', () => {
  it('reads only: 0 writes and 0 watches, by the client call counters', () => {
    expect(exported.code, exported.stderr).toBe(0);
    expect(summary).toBeDefined();
    expect(summary.apiCalls.writes).toBe(0);
    expect(summary.apiCalls.watches).toBe(0);
    expect(summary.apiCalls.reads).toBeGreaterThan(20);
    // A progress line per kind on stderr.
    expect(exported.stderr).toMatch(/export \[\s*\d+\/\d+\] DataScienceCluster \(datasciencecluster\.opendatahub\.io\/v1\): 1 object/);
    expect(exported.stderr).toMatch(/export \[\s*\d+\/\d+\] Notebook \(kubeflow\.org\/v1\): \d+ objects/);
  });

  it('writes the kinds the runbooks use, as the API server has them', async () => {
    const files = readdirSync(out);
    for (const f of [
      'datasciencecluster.opendatahub.io_DataScienceCluster.yaml',
      'dscinitialization.opendatahub.io_DSCInitialization.yaml',
      'operators.coreos.com_Subscription.yaml',
      'operators.coreos.com_ClusterServiceVersion.yaml',
      'config.openshift.io_ClusterVersion.yaml',
      'serving.kserve.io_InferenceService.yaml',
      'kubeflow.org_Notebook.yaml',
      'core_Namespace.yaml',
      'core_Secret.yaml',
      'core_ConfigMap.yaml',
      'EXPORT.md',
    ]) {
      expect(files, f).toContain(f);
    }
    const dsc = objectsIn('datasciencecluster.opendatahub.io_DataScienceCluster.yaml');
    expect(dsc.map((o) => o.metadata.name)).toEqual(['default-dsc']);
    expect(dsc[0]!.status).toBeDefined();
    expect(dsc[0]!.metadata.uid).toBeDefined();
    expect(objectsIn('dscinitialization.opendatahub.io_DSCInitialization.yaml').map((o) => o.metadata.name)).toEqual(['default-dsci']);
    const subscriptions = objectsIn('operators.coreos.com_Subscription.yaml');
    expect(subscriptions.find((s) => s.metadata.name === 'rhods-operator')?.metadata.namespace).toBe('redhat-ods-operator');

    // Every object of a custom kind, in all namespaces: as many as the cluster lists.
    for (const [file, apiVersion, kind] of [
      ['serving.kserve.io_InferenceService.yaml', 'serving.kserve.io/v1beta1', 'InferenceService'],
      ['kubeflow.org_Notebook.yaml', 'kubeflow.org/v1', 'Notebook'],
    ] as const) {
      const live = (await sandbox.kube.list({ apiVersion, kind }, { allNamespaces: true })).items;
      expect(live.length).toBeGreaterThan(0);
      const written = objectsIn(file);
      expect(written.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual(live.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort());
      // As oc get -o yaml gives them, finalizers and all; only managedFields dropped.
      for (const o of written) expect(o).toMatchObject({ apiVersion, kind });
      const notebook = written.find((o) => o.metadata.finalizers?.length);
      if (kind === 'Notebook') expect(notebook, 'a workbench with its oauth finalizer').toBeDefined();
    }
    // The copy OLM makes of a CSV in another namespace is left out; the CSV itself is there.
    const csvs = objectsIn('operators.coreos.com_ClusterServiceVersion.yaml');
    expect(csvs.some((c) => c.metadata.name === 'copied-operator.v1.0.0')).toBe(false);
    expect(csvs.some((c) => c.metadata.name?.startsWith('rhods-operator.'))).toBe(true);
    // The Namespaces of the exported objects, labels included.
    const namespaces = objectsIn('core_Namespace.yaml');
    const names = namespaces.map((n) => n.metadata.name);
    for (const ns of new Set([...objectsIn('kubeflow.org_Notebook.yaml'), ...subscriptions].map((o) => o.metadata.namespace!))) expect(names).toContain(ns);
    expect(namespaces.find((n) => n.metadata.name === 'ml-team')?.metadata.labels?.['opendatahub.io/dashboard']).toBe('true');
    // A ConfigMap is no Secret: kept as it is.
    expect(objectsIn('core_ConfigMap.yaml').find((c) => c.metadata.name === 'pipelines-settings')?.data).toEqual({ endpoint: CONFIG_VALUE });

    for (const f of allFiles(out).filter((p) => p.endsWith('.yaml'))) expect(readFileSync(f, 'utf8'), f).not.toContain('managedFields');
    expect(summary.objects).toBe(summary.kinds.reduce((n, k) => n + k.objects, 0));
  });

  it('writes the CRDs of the exported custom kinds into crds/', () => {
    const crds = readdirSync(join(out, 'crds'));
    for (const name of ['datascienceclusters.datasciencecluster.opendatahub.io', 'dscinitializations.dscinitialization.opendatahub.io', 'subscriptions.operators.coreos.com', 'inferenceservices.serving.kserve.io', 'notebooks.kubeflow.org', 'clusterversions.config.openshift.io']) {
      expect(crds).toContain(`${name}.yaml`);
      const [crd] = parseAllDocuments(readFileSync(join(out, 'crds', `${name}.yaml`), 'utf8')).map((d) => d.toJS() as KubeObject);
      expect(crd).toMatchObject({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name } });
    }
    expect(summary.crds.length).toBe(crds.length);
  });

  it('never writes a Secret value, in any encoding; keeps keys and type, and says what it redacted', () => {
    const [secret] = objectsIn('core_Secret.yaml').filter((s) => s.metadata.name === 'pipelines-db');
    expect(secret).toMatchObject({ type: 'Opaque', metadata: { namespace: SECRET_NS, labels: { app: 'pipelines' } } });
    expect(secret!.data).toEqual({ password: REDACTED_DATA, token: REDACTED_DATA, username: REDACTED_DATA });
    expect(secret!.metadata.annotations).toEqual({
      'kubectl.kubernetes.io/last-applied-configuration': 'REDACTED',
      'example.com/copied-token': 'REDACTED',
      'example.com/owner': 'platform-team',
    });

    const forms = [SECRET_VALUE, TOKEN_VALUE].flatMap((v) => [v, Buffer.from(v).toString('base64'), Buffer.from(v).toString('base64url'), Buffer.from(v).toString('base64').replace(/=+$/, ''), JSON.stringify(v)]);
    const files = allFiles(out);
    expect(files.length).toBe(summary.files.length);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const form of forms) expect(text.includes(form), `${f} holds ${form}`).toBe(false);
    }
    expect(summary.redactedSecrets).toContainEqual({
      namespace: SECRET_NS,
      name: 'pipelines-db',
      keys: ['password', 'token', 'username'],
      annotations: ['example.com/copied-token', 'kubectl.kubernetes.io/last-applied-configuration'],
    });
    const notes = readFileSync(join(out, 'EXPORT.md'), 'utf8');
    expect(notes).toContain(`| ${SECRET_NS}/pipelines-db | Opaque | password, token, username |`);
  });

  it('says in EXPORT.md where it read from, never with credentials', () => {
    const notes = readFileSync(join(out, 'EXPORT.md'), 'utf8');
    const config = loadKubeConfig({ kubeconfig: sandbox.kubeconfigPath });
    expect(notes).toContain(`- API server: ${config.server}`);
    expect(notes).toContain(`- kubeconfig context: ${config.contextName}`);
    expect(notes).toMatch(/\| Notebook \| kubeflow\.org\/v1 \| all namespaces \| \d+ \| `kubeflow\.org_Notebook\.yaml` \|/);
    const user = config.kubeConfig.getCurrentUser();
    const secrets = [user?.token, user?.keyData, user?.password].filter((s): s is string => typeof s === 'string' && s.length > 8);
    expect(secrets.length).toBeGreaterThan(0);
    for (const f of allFiles(out)) for (const s of secrets) expect(readFileSync(f, 'utf8').includes(s), f).toBe(false);
  });

  it('loads back as a scenario with the existing loader', async () => {
    const scenario = await loadScenario(out);
    const kinds = new Set(scenario.objects.map((o) => `${o.apiVersion}/${o.kind}`));
    for (const k of ['datasciencecluster.opendatahub.io/v1/DataScienceCluster', 'operators.coreos.com/v1alpha1/Subscription', 'serving.kserve.io/v1beta1/InferenceService', 'kubeflow.org/v1/Notebook', 'v1/Secret']) {
      expect(kinds, k).toContain(k);
    }
  });

  it('refuses a folder that is not empty, and with --force writes into it again (reading only)', async () => {
    writeFileSync(join(out, 'site-notes.txt'), 'kept');
    const refused = await runCli(['sandbox', 'export', '--kubeconfig', sandbox.kubeconfigPath, '-o', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is not empty');
    const again = await runCli(['sandbox', 'export', '--kubeconfig', sandbox.kubeconfigPath, '-o', out, '--force'], { timeoutMs: 300_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/API calls: \d+ reads, \d+ discovery, 0 writes, 0 watches/);
    expect(again.stdout).toMatch(/Secrets redacted: \d+/);
    expect(readFileSync(join(out, 'site-notes.txt'), 'utf8')).toBe('kept');
    expect(readdirSync(out)).toContain('kubeflow.org_Notebook.yaml');
  });
});
