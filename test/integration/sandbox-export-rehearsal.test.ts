// The rehearsal loop a site runs, end to end: export a cluster (here a sandbox of `full` whose
// Serverless model carries the serving controllers' finalizers, as on a real cluster), load the
// folder into a new sandbox as it comes, and run the upgrade on it: it ends where the upgrade on
// `full` ends, and the converted model's original, finalizers and all, is gone.
import { afterAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { runCli } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';
import { DSC_V2, OLM, RHOAI_NS, conditionOf, startTestSandbox, statusOf } from './support/sandbox.js';

let sandbox: Sandbox | undefined;

afterAll(async () => {
  await sandbox?.stop();
});

describe('export, load, upgrade', () => {
  it('the upgrade on an exported copy of full ends as on full', { timeout: 1_500_000 }, async () => {
    const dir = scratchDir('runbook-exported-full');
    const exportDir = `${dir}/cluster`;
    sandbox = await startTestSandbox({ scenario: 'full', speed: 0 });
    await sandbox.kube.patch({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', name: 'granite-chat', namespace: 'ml-team' }, 'merge', {
      metadata: { finalizers: ['inferenceservice.finalizers', 'odh.inferenceservice.finalizers'] },
    });
    const exported = await runCli(['sandbox', 'export', '-o', exportDir, '--kubeconfig', sandbox.kubeconfigPath]);
    expect(exported.code, exported.stderr.slice(-2000)).toBe(0);
    await sandbox.stop();
    sandbox = undefined;

    sandbox = await startTestSandbox({ scenario: exportDir, speed: 0 });
    const kube = sandbox.kube;
    const isvc = await kube.get({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', name: 'granite-chat', namespace: 'ml-team' });
    expect(isvc?.metadata.finalizers).toEqual(['inferenceservice.finalizers', 'odh.inferenceservice.finalizers']);

    const run = await runCli([
      'run', 'runbooks/upgrade-2.25-to-3.3.yaml',
      '--kubeconfig', sandbox.kubeconfigPath,
      '--vars-file', 'runbooks/upgrade-2.25-to-3.3.sandbox-vars.yaml',
      '--var', `backupDir=${dir}/backup`,
      '--state-dir', `${dir}/state`, '--yes', '-o', 'json',
    ]);
    const failed = run.events.filter((e) => e.type === 'node:end' && (e.result as { status: string }).status === 'failed').map((e) => JSON.stringify(e));
    expect(run.code, [run.stderr.slice(-3000), ...failed].join('\n')).toBe(0);
    expect(run.findings.filter((f) => f.severity === 'prohibited' || f.severity === 'critical')).toEqual([]);

    const csvs = (await kube.list({ apiVersion: OLM, kind: 'ClusterServiceVersion', namespace: RHOAI_NS })).items;
    expect(csvs.map((c) => `${c.metadata.name}:${(c.status as { phase: string }).phase}`)).toEqual(['rhods-operator.3.3.2:Succeeded']);
    const dsc = await kube.get(DSC_V2);
    expect(statusOf(dsc).phase).toBe('Ready');
    expect(statusOf<{ release: { version: string } }>(dsc).release.version).toBe('3.3.2');
    const isvcs = (await kube.list({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' }, { allNamespaces: true })).items;
    for (const i of isvcs) {
      expect(i.metadata.annotations?.['serving.kserve.io/deploymentMode'], i.metadata.name).toBe('RawDeployment');
      expect(conditionOf(i, 'Ready')?.status, `${i.metadata.namespace}/${i.metadata.name}`).toBe('True');
    }
    // The Serverless original, exported with its finalizers, was deleted for good by the conversion.
    expect(isvcs.map((i) => `${i.metadata.namespace}/${i.metadata.name}`)).not.toContain('ml-team/granite-chat');
  });
});
