// The upgrade path as the released catalog draws it, on the `minimal` scenario (2.25.4): a target
// whose catalog entry does not accept the installed 2.25 is refused before anything changes, and
// a channel with no edge from 2.25 (stable-3.3, which starts at 3.3.0) ends the run with OLM's
// silence named, within resolveTimeout, instead of a 45-minute wait for an InstallPlan.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { runCli } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';
import { RHOAI_SUB, startTestSandbox, statusOf } from './support/sandbox.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox({ scenario: 'minimal', speed: 0 });
});

afterAll(async () => {
  await sandbox?.stop();
});

function upgrade(extra: string[]): ReturnType<typeof runCli> {
  return runCli([
    'run', 'runbooks/upgrade-2.25-to-3.3.yaml',
    '--kubeconfig', sandbox.controlPlane.kubeconfigPath,
    '--state-dir', scratchDir('runbook-channel-'), '--var', `backupDir=${scratchDir('runbook-channel-backup-')}`, '--yes', '-o', 'json', ...extra,
  ]);
}

describe('the upgrade path from the catalog', () => {
  it('3.3.3 is not reached from 2.25.4: the assessment says which 2.25 it needs, and nothing changes', { timeout: 300_000 }, async () => {
    const run = await upgrade(['--var', 'targetVersion=3.3.3']);
    expect(run.code, run.stderr).toBe(3);
    const finding = run.findings.find((f) => f.check === 'source-version');
    expect(finding?.severity).toBe('prohibited');
    expect(finding?.message).toBe('RHOAI 3.3.3 is reached from 2.25 2.25.6 or later with its CSV Succeeded; found rhods-operator.2.25.4 (Succeeded)');
    expect((((await sandbox.kube.get(RHOAI_SUB))!.spec) as { channel: string }).channel).toBe('stable-2.25');
  });

  it('a channel without an edge from 2.25 fails the approval within resolveTimeout, naming the channel', { timeout: 300_000 }, async () => {
    const started = Date.now();
    const run = await upgrade(['--var', 'targetChannel=stable-3.3', '--var', 'resolveTimeout=5s']);
    expect(run.code, run.stderr).toBe(1);
    const failed = run.events.find((e) => e.type === 'node:end' && (e.result as { status: string }).status === 'failed' && (e.node as { kind: string }).kind === 'step');
    expect((failed!.node as { id: string }).id).toBe('during/approve-installplan');
    expect((failed!.result as { error: { message: string } }).error.message).toBe(
      'OLM offers no upgrade to version >=3.3.2 <3.4.0: subscription redhat-ods-operator/rhods-operator stays at rhods-operator.2.25.4 (AtLatestKnown) in channel stable-3.3',
    );
    expect(Date.now() - started).toBeLessThan(240_000);
    expect(statusOf(await sandbox.kube.get(RHOAI_SUB))).toMatchObject({ installedCSV: 'rhods-operator.2.25.4', state: 'AtLatestKnown' });
  });
});
