// A site's own runbook, as `runbook new site-overlay` writes it, run on the sandbox through the real
// CLI: the shipped upgrade with a site step before the operator upgrade (it scales the site's batch
// job down), every operator installed from the site's mirror CatalogSource (set once, by the plain
// name of a var the upgrade declares), and a report that says which step came from the site.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { runCli } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';
import { OLM, startTestSandbox } from './support/sandbox.js';

describe('a site overlay made by runbook new', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox({ scenario: 'minimal', speed: 0 });
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
  afterAll(() => sandbox?.stop());

  it('runs our upgrade with the site step and the mirror, and the report names the site step', { timeout: 900_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runbook-site-'));
    const made = await runCli(['new', 'site-overlay', 'acme-upgrade', '--dir', dir]);
    expect(made.code, made.stderr).toBe(0);
    const stateDir = scratchDir('runbook-site-overlay');
    const run = await runCli([
      'run', join(dir, 'acme-upgrade.yaml'),
      '--kubeconfig', sandbox.controlPlane.kubeconfigPath,
      '--vars-file', join(dir, 'acme-upgrade.vars.yaml'),
      '--var', 'catalogSource=redhat-operators-mirror', '--var', 'catalogSourceNamespace=mirror-catalogs',
      '--var', `backupDir=${stateDir}/backup`,
      '--state-dir', stateDir, '--yes', '-o', 'json',
    ]);
    const failed = run.events.filter((e) => e.type === 'node:end' && (e.result as { status: string }).status === 'failed').map((e) => JSON.stringify(e.result));
    expect(run.code, [run.stderr.slice(-3000), ...failed, ...run.findings.map((f) => JSON.stringify(f))].join('\n')).toBe(0);

    // The site step ran, before the operator upgrade.
    const batch = await sandbox.kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'nightly-batch', namespace: 'batch' });
    expect((batch!.spec as { replicas: number }).replicas).toBe(0);
    const order = run.events.filter((e) => e.type === 'node:start').map((e) => (e.node as { id: string }).id);
    expect(order.indexOf('site/scale-down-batch')).toBeGreaterThan(-1);
    expect(order.indexOf('site/scale-down-batch')).toBeLessThan(order.indexOf('during/approve-installplan'));

    // Every operator the upgrade installed came from the mirror.
    const subs = (await sandbox.kube.list({ apiVersion: OLM, kind: 'Subscription' }, { allNamespaces: true })).items.filter((s) => (s.spec as { name: string }).name !== 'rhods-operator');
    expect(subs.length).toBeGreaterThan(0);
    for (const s of subs) expect(s.spec, s.metadata.name).toMatchObject({ source: 'redhat-operators-mirror', sourceNamespace: 'mirror-catalogs' });

    // The report says which step came from the site, and where.
    const runDir = join(stateDir, 'runs', readdirSync(join(stateDir, 'runs'))[0]!);
    const report = readFileSync(join(runDir, readdirSync(runDir).find((f) => f.endsWith('.md'))!), 'utf8');
    expect(report).toMatch(/site step, before during\/approve-installplan \(acme-upgrade\.yaml:\d+\)/);
  });
});
