// A site's own runbook, as `runbook new site-overlay` writes it, run on the `full` sandbox (which
// has LlamaStackDistributions) through the real CLI: the shipped upgrade with a site step before the
// operator upgrade (it scales the site's batch job down), every operator installed from the site's
// mirror CatalogSource (set once, by the plain name of a var the upgrade declares), the Llama Stack
// backup taken before the data-loss gate, and a report that says which step came from the site.
// The user sets llamaStackPostgresHost in the generated vars file, as its scaffold says to: the
// one decision the upgrade leaves to the site on a cluster with Llama Stack.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { runCli, type CliRun } from './support/cli-run.js';
import { OLM, startTestSandbox } from './support/sandbox.js';

const BATCH = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nightly-batch', namespace: 'batch' } as const;

/** Every file under `dir`, as paths relative to it (the copy steps' own markers left out). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name !== '.runbook-copy.json')
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** Why a run did not do what was expected: its failed steps, its findings, its stderr. */
function why(r: CliRun): string {
  const failed = r.events.filter((e) => e.type === 'node:end' && (e.result as { status: string }).status === 'failed').map((e) => JSON.stringify(e.result));
  return [r.stderr.slice(-3000), ...failed, ...r.findings.map((f) => JSON.stringify(f))].join('\n');
}

function started(r: CliRun): string[] {
  return r.events.filter((e) => e.type === 'node:start').map((e) => (e.node as { id: string }).id);
}

describe('a site overlay made by runbook new, on the full scenario', () => {
  let sandbox: Sandbox;
  let work: string;
  let stateDir: string;
  let backup: string;
  let runId: string;
  /** Subscriptions that were there before the run (namespace/name). */
  let subsBefore: Set<string>;

  beforeAll(async () => {
    sandbox = await startTestSandbox({ scenario: 'full', speed: 0 });
    work = mkdtempSync(join(tmpdir(), 'runbook-site-'));
    stateDir = join(work, 'state');
    backup = join(work, 'backup');
    const kube = sandbox.kube;
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mirror-catalogs' } });
    await kube.create({ apiVersion: OLM, kind: 'CatalogSource', metadata: { name: 'redhat-operators-mirror', namespace: 'mirror-catalogs' }, spec: { sourceType: 'grpc', image: 'mirror.example.com/redhat/redhat-operator-index:v4.19' } });
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'batch' } });
    await kube.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'nightly-batch', namespace: 'batch' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'nightly-batch' } }, template: { metadata: { labels: { app: 'nightly-batch' } }, spec: { containers: [{ name: 'job', image: 'registry.example.com/batch:1' }] } } },
    });
  }, 600_000);
  afterAll(async () => {
    await sandbox?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('backs up Llama Stack before the data-loss gate, with the site step still to come', { timeout: 900_000 }, async () => {
    const dir = join(work, 'site');
    const made = await runCli(['new', 'site-overlay', 'acme-upgrade', '--dir', dir]);
    expect(made.code, made.stderr).toBe(0);
    // The user's decision, made where the scaffold points: PostgreSQL for Llama Stack.
    const varsFile = join(dir, 'acme-upgrade.vars.yaml');
    const vars = readFileSync(varsFile, 'utf8');
    expect(vars).toContain('# llamaStackPostgresHost: ""');
    writeFileSync(varsFile, vars.replace('# llamaStackPostgresHost: ""', 'llamaStackPostgresHost: postgres.llama-team.svc.cluster.local'));
    subsBefore = new Set((await sandbox.kube.list({ apiVersion: OLM, kind: 'Subscription' }, { allNamespaces: true })).items.map((s) => `${s.metadata.namespace}/${s.metadata.name}`));

    const stopped = await runCli([
      'run', join(dir, 'acme-upgrade.yaml'),
      '--kubeconfig', sandbox.kubeconfigPath,
      '--vars-file', varsFile,
      '--var', 'catalogSource=redhat-operators-mirror', '--var', 'catalogSourceNamespace=mirror-catalogs',
      '--var', `backupDir=${backup}`,
      '--state-dir', stateDir, '-o', 'json',
      // The gates before it (support case, tested backup, Ray owners warned) are passed by name.
      '--approve', 'assess/strategy/support-case-gate',
      '--approve', 'assess/backup/gate',
      '--approve', 'before/ray/users-warned',
    ], { timeoutMs: 850_000 });
    expect(stopped.code, why(stopped)).toBe(4);
    runId = stopped.summary!.runId;
    const asked = stopped.events.find((e) => e.type === 'approval:required') as { id: string } | undefined;
    expect(asked?.id).toBe('before/llama-stack/data-loss');

    // Every distribution is on disk before anyone is asked to accept the loss
    // (<backupDir>/llamastack/<namespace>/<name>/, as backup-all-llamastack.sh lays it out).
    const custom = filesUnder(join(backup, 'llamastack', 'llama-team', 'llama-stack'));
    expect(custom).toEqual(expect.arrayContaining(['llamastackdistribution.yaml', 'configmap.yaml', 'run.yaml', 'pod.yaml', 'deployment.yaml']));
    expect(custom.filter((f) => f.startsWith('pod-data/')).length, 'the SQLite folder of the pod is copied').toBeGreaterThan(0);
    expect(filesUnder(join(backup, 'llamastack', 'llama-team', 'llama-stack-defaults'))).toEqual(expect.arrayContaining(['llamastackdistribution.yaml', 'pod.yaml', 'deployment.yaml']));

    // The site step comes before the operator upgrade, after the gate: not run yet.
    expect(started(stopped)).not.toContain('site/scale-down-batch');
    const batch = await sandbox.kube.get(BATCH);
    expect((batch!.spec as { replicas: number }).replicas).toBe(2);
  });

  it('resumed, runs our upgrade with the site step and the mirror, and the report names the site step', { timeout: 1_500_000 }, async () => {
    expect(runId, 'the first test stopped at the gate').toBeDefined();
    const run = await runCli(['resume', runId, '--kubeconfig', sandbox.kubeconfigPath, '--state-dir', stateDir, '--yes', '-o', 'json'], { timeoutMs: 1_400_000 });
    expect(run.code, why(run)).toBe(0);

    // The site step ran, before the operator upgrade.
    const batch = await sandbox.kube.get(BATCH);
    expect((batch!.spec as { replicas: number }).replicas).toBe(0);
    const order = started(run);
    expect(order.indexOf('site/scale-down-batch')).toBeGreaterThan(-1);
    expect(order.indexOf('site/scale-down-batch')).toBeLessThan(order.indexOf('during/approve-installplan'));

    // Every operator the upgrade installed came from the mirror.
    const subs = (await sandbox.kube.list({ apiVersion: OLM, kind: 'Subscription' }, { allNamespaces: true })).items.filter((s) => !subsBefore.has(`${s.metadata.namespace}/${s.metadata.name}`));
    expect(subs.length).toBeGreaterThan(0);
    for (const s of subs) expect(s.spec, s.metadata.name).toMatchObject({ source: 'redhat-operators-mirror', sourceNamespace: 'mirror-catalogs' });

    // The report says which step came from the site, and where.
    const runDir = join(stateDir, 'runs', runId);
    const report = readFileSync(join(runDir, readdirSync(runDir).find((f) => f.endsWith('.md'))!), 'utf8');
    expect(report).toMatch(/site step, before during\/approve-installplan \(acme-upgrade\.yaml:\d+\)/);
  });
});
