// The upgrade runbook on the `blocked` scenario (OpenShift 4.18.20, RHOAI 2.25.2): it must stop at
// the gates with exit code 3, report both gates, and write nothing to the cluster.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { runCli } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';
import { startTestSandbox } from './support/sandbox.js';

describe('upgrade runbook on the blocked scenario', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox({ scenario: 'blocked', speed: 0 });
  });
  afterAll(() => sandbox?.stop());

  it('stops at the gates with exit code 3, both gates reported, and zero writes', { timeout: 300_000 }, async () => {
    const run = await runCli([
      'run', 'runbooks/upgrade-2.25-to-3.3.yaml',
      '--kubeconfig', sandbox.controlPlane.kubeconfigPath,
      '--state-dir', scratchDir('runbook-upgrade-'), '--yes', '-o', 'json',
    ]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.summary?.status).toBe('blocked');
    expect(run.summary?.apiCalls?.writes).toBe(0);
    const prohibited = run.findings.filter((f) => f.severity === 'prohibited').map((f) => f.check);
    expect(prohibited).toEqual(expect.arrayContaining(['openshift-version', 'source-version']));
    const openshift = run.findings.find((f) => f.check === 'openshift-version')!;
    expect(openshift.message).toContain('4.18.20');
    expect(openshift.remediation).toMatch(/Upgrade OpenShift to 4.19.9/);
    // Nothing past the assessment ran.
    const ran = run.events.filter((e) => e.type === 'node:end' && String((e.node as { id: string }).id).startsWith('before/'));
    expect(ran.filter((e) => (e.result as { status: string }).status !== 'skipped')).toEqual([]);
  });

  it('a user without the permissions gets one message listing them all, before anything is recorded', { timeout: 300_000 }, async () => {
    const stateDir = scratchDir('runbook-upgrade-viewer');
    const run = await runCli([
      'run', 'runbooks/upgrade-2.25-to-3.3.yaml',
      '--kubeconfig', sandbox.controlPlane.viewerKubeconfigPath,
      '--state-dir', stateDir, '--yes', '-o', 'json',
    ]);
    // Not bad input: the cluster's answer (exit 7, as for refused credentials).
    expect(run.code).toBe(7);
    expect(run.stderr).toMatch(/lacks \d+ permissions this runbook needs/);
    expect(run.stderr).toMatch(/patch.*datascienceclusters/);
    expect(run.stderr).toMatch(/update.*installplans|patch.*installplans/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    const runs = join(stateDir, 'runs');
    expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
  });
});
