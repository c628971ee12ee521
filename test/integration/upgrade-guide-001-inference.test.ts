// The done-checklist's "every endpoint answers a real inference request", as after/model-serving.yaml
// checks it on the `minimal` sandbox: a real HTTP POST to the model's status.url (the sandbox's
// endpoint server plays the model server), refused without the token the model requires, answered
// with it; and a model that is not Ready is a critical finding.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { failureOf, runCli, type CliRun } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';
import { sandboxHttpArgs, startTestSandbox, until } from './support/sandbox.js';

const ISVC = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', namespace: 'data-science', name: 'summarizer' } as const;
const CHECKS = JSON.stringify({
  'data-science/summarizer': { path: '/v2/models/summarizer/infer', body: { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['hello'] }] }, expect: '"outputs"' },
});

describe('every model answers a real inference request after the upgrade', () => {
  let sandbox: Sandbox;
  const after = (vars: string[]): Promise<CliRun> =>
    runCli([
      'run', 'runbooks/rhoai-2.25-to-3.3/after/model-serving.yaml',
      '--kubeconfig', sandbox.controlPlane.kubeconfigPath, ...sandboxHttpArgs(sandbox),
      '--state-dir', scratchDir('runbook-guide-001-inference-'), '--yes', '-o', 'json', ...vars,
    ]);
  const posts = () => sandbox.simulator.endpoints.requests.filter((r) => r.method === 'POST' && r.path === '/v2/models/summarizer/infer');

  beforeAll(async () => {
    sandbox = await startTestSandbox({ scenario: 'minimal', speed: 0 });
  }, 600_000);
  afterAll(() => sandbox?.stop());

  it('a model that requires a token refuses the request without one, and answers with it', { timeout: 300_000 }, async () => {
    const without = await after(['--var', `inferenceChecks=${CHECKS}`]);
    expect(without.code).toBe(1);
    expect(failureOf(without)).toContain('401');
    expect(posts().map((r) => r.status)).toEqual([401]);

    const withToken = await after(['--var', `inferenceChecks=${CHECKS}`, '--var', 'inferenceToken=sha256~sandbox-token']);
    expect(withToken.code, failureOf(withToken)).toBe(0);
    expect(posts().map((r) => r.status)).toEqual([401, 200]);
    expect(withToken.findings.map((f) => f.check)).not.toContain('models-ready');
    expect(withToken.stdout).not.toContain('sandbox-token');
  });

  it('a model that is not Ready is a critical finding', { timeout: 300_000 }, async () => {
    // Serverless with KServe serving Removed: the sandbox's KServe reports it not Ready.
    await sandbox.kube.patch(ISVC, 'merge', { metadata: { annotations: { 'serving.kserve.io/deploymentMode': 'Serverless' } } });
    await until(sandbox.kube, ISVC, 'the model is not Ready', (o) => ((o.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'False'));
    const r = await after([]);
    expect(r.code, failureOf(r)).toBe(3);
    const finding = r.findings.find((f) => f.check === 'models-ready');
    expect(finding?.severity).toBe('critical');
    expect(finding?.objects).toEqual(['InferenceService data-science/summarizer']);
  });
});
