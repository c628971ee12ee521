// The guards that refuse the upgrade, on the full scenario plus a Serverless model without the
// deploymentMode annotation (Serverless by the DSC's default, as KServe runs it): a refusal the
// upgrade's own settings make certain is found in the assessment, before the first change; and a
// preparation skipped by hand is refused by the last guards before the platform changes and the
// CodeFlare removal, so the refused cluster keeps serving and keeps CodeFlare.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { changedSteps, failureOf, runCli, type CliRun } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';
import { DSC_V1, OLM, RHOAI_SUB, startTestSandbox } from './support/sandbox.js';

const UNANNOTATED = 'InferenceService ml-team/plain-default';

describe('the guards of the upgrade run before the changes they protect', () => {
  let sandbox: Sandbox;
  const upgrade = (extra: string[]): Promise<CliRun> =>
    runCli([
      'run', 'runbooks/upgrade-2.25-to-3.3.yaml',
      '--kubeconfig', sandbox.controlPlane.kubeconfigPath,
      '--vars-file', 'runbooks/upgrade-2.25-to-3.3.sandbox-vars.yaml',
      '--state-dir', scratchDir('runbook-guide-001-guards-'), '--yes', '-o', 'json', ...extra,
    ]);

  beforeAll(async () => {
    sandbox = await startTestSandbox({ scenario: 'full', speed: 0 });
    await sandbox.kube.create({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'plain-default', namespace: 'ml-team', labels: { 'opendatahub.io/dashboard': 'true' } },
      spec: { predictor: { model: { modelFormat: { name: 'vLLM' }, runtime: 'vllm-runtime', storageUri: 'oci://registry.example.com/models/granite-3.1-2b-instruct:1.0' } } },
    });
  }, 600_000);
  afterAll(() => sandbox?.stop());

  it('models the settings leave unconverted are refused in the assessment, and nothing changes', { timeout: 600_000 }, async () => {
    const run = await upgrade(['--var', 'convertInferenceServices=false']);
    expect(run.code, failureOf(run)).toBe(3);
    const predicted = run.findings.find((f) => f.check === 'guard-models-predicted');
    expect(predicted?.severity).toBe('prohibited');
    expect(predicted?.objects).toEqual(expect.arrayContaining(['InferenceService ml-team/granite-chat', 'InferenceService mm-team/fraud-detector', UNANNOTATED]));
    expect(changedSteps(run)).toEqual([]);
    expect(run.summary?.apiCalls?.writes).toBe(0);
    const dsc = await sandbox.kube.get(DSC_V1);
    expect((dsc!.spec as { components: { kueue: { managementState: string } } }).components.kueue.managementState).toBe('Managed');
  });

  it('a skipped conversion is refused before serving, ModelMesh and CodeFlare are removed', { timeout: 600_000 }, async () => {
    const run = await upgrade(['--skip', 'before/model-serving/convert']);
    expect(run.code, failureOf(run)).toBe(3);
    const guard = run.findings.find((f) => f.check === 'guard-models');
    expect(guard?.severity).toBe('prohibited');
    // The model without the annotation is Serverless by status and the DSC default, not RawDeployment.
    expect(guard?.objects).toEqual(expect.arrayContaining(['InferenceService ml-team/granite-chat', 'InferenceService mm-team/fraud-detector', UNANNOTATED]));
    const changed = changedSteps(run);
    expect(changed.some((id) => id.startsWith('before/platform/') || id.startsWith('before/ray/'))).toBe(false);

    // The refused cluster still serves the old way and keeps CodeFlare: no security gap opened.
    const components = ((await sandbox.kube.get(DSC_V1))!.spec as { components: Record<string, { managementState?: string; serving?: { managementState?: string } }> }).components;
    expect(components.codeflare?.managementState).toBe('Managed');
    expect(components.kserve?.serving?.managementState).toBe('Managed');
    expect(components.modelmeshserving?.managementState).toBe('Managed');
    const serverless = await sandbox.kube.list({ apiVersion: OLM, kind: 'Subscription' }, { allNamespaces: true });
    expect(serverless.items.map((s) => (s.spec as { name: string }).name)).toContain('serverless-operator');
    const sub = await sandbox.kube.get(RHOAI_SUB);
    expect((sub!.spec as { channel: string }).channel).toBe('stable-2.25');
  });
});
