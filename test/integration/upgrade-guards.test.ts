// What happens on the `full` scenario when an admin skips the preparations the summit notes warn
// about: the runbook's guards stop the upgrade before the operator changes (exit 3, each guard
// reported); and when the guards are overridden as well, the sandbox breaks exactly as the notes
// say — the DSC fails on Kueue, Serverless and ModelMesh models answer 503, running workbenches
// loop on redirects — and the verification reports it.
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { runCli } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';
import { DSC_V2, RHOAI_SUB, conditionOf, startTestSandbox } from './support/sandbox.js';

const SKIPPED = ['--skip', 'before/kueue/migrate', '--skip', 'before/workbenches', '--skip', 'before/model-serving/convert'];

function upgrade(sandbox: Sandbox, extra: string[]): Promise<Awaited<ReturnType<typeof runCli>>> {
  return runCli([
    'run', 'runbooks/upgrade-2.25-to-3.3.yaml',
    '--kubeconfig', sandbox.controlPlane.kubeconfigPath,
    '--vars-file', 'runbooks/upgrade-2.25-to-3.3.sandbox-vars.yaml',
    '--state-dir', scratchDir('runbook-upgrade-'), '--yes', '-o', 'json', ...extra,
  ]);
}

describe('skipped preparations on the full scenario', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.stop();
    sandbox = undefined;
  });

  it('the guards stop the upgrade before the operator changes, each one reported', { timeout: 600_000 }, async () => {
    sandbox = await startTestSandbox({ scenario: 'full', speed: 0 });
    const run = await upgrade(sandbox, SKIPPED);
    expect(run.code, run.stderr).toBe(3);
    const prohibited = run.findings.filter((f) => f.severity === 'prohibited').map((f) => f.check);
    expect(prohibited).toEqual(expect.arrayContaining(['guard-kueue', 'guard-workbenches', 'guard-models']));
    expect(run.findings.find((f) => f.check === 'guard-models')!.objects).toEqual(
      expect.arrayContaining(['InferenceService ml-team/granite-chat', 'InferenceService mm-team/fraud-detector']),
    );
    // The subscription was never touched: the operator is still 2.25.
    const sub = await sandbox.kube.get(RHOAI_SUB);
    expect((sub!.spec as { channel: string }).channel).toBe('stable-2.25');
    expect((sub!.status as { installedCSV: string }).installedCSV).toBe('rhods-operator.2.25.4');
  });

  it('with the guards overridden too, the cluster breaks the way the summit notes say', { timeout: 600_000 }, async () => {
    sandbox = await startTestSandbox({ scenario: 'full', speed: 0 });
    const run = await upgrade(sandbox, [
      ...SKIPPED,
      '--skip', 'before/guards/kueue',
      '--skip', 'after/workbenches/migrate',
      '--var', 'allowRunningWorkbenches=true',
      '--var', 'allowUnconvertedModels=true',
    ]);
    // The DSC wait fails at once on the 3.3 Kueue condition: Kueue left Managed breaks the cluster.
    expect(run.code, run.stderr).toBe(1);
    const failed = run.events.find((e) => e.type === 'node:end' && (e.result as { status: string }).status === 'failed' && (e.node as { kind: string }).kind === 'step');
    expect((failed!.node as { id: string }).id).toBe('during/dsc-ready');
    expect(JSON.stringify(failed!.result)).toContain('Kueue managementState Managed is not supported, please use Removed or Unmanaged');

    const kube = sandbox.kube;
    const dsc = await kube.get(DSC_V2);
    expect(conditionOf(dsc, 'KueueReady')?.message).toBe('Kueue managementState Managed is not supported, please use Removed or Unmanaged');
    const isvc = (ns: string, name: string) => kube.get({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', namespace: ns, name });
    expect(conditionOf(await isvc('ml-team', 'granite-chat'), 'Ready')?.message).toMatch(/^503 Service Unavailable/);
    expect(conditionOf(await isvc('mm-team', 'fraud-detector'), 'Ready')?.message).toMatch(/^503 Service Unavailable/);
    const alice = await kube.get({ apiVersion: 'kubeflow.org/v1', kind: 'Notebook', namespace: 'data-science', name: 'alice-wb' });
    expect(conditionOf(alice, 'Ready')?.reason).toBe('RedirectLoop');
  });
});
