// The whole upgrade on `full`, through a flaky API server: about one request in five fails (500s,
// 429s with Retry-After, reset connections) and every watch is cut after a few events. The run
// must finish in ONE invocation, ending where the clean run ends, with the client's resends shown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { runCli } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';
import { DSC_V2, OLM, RHOAI_NS, conditionOf, scratchFiles, startTestSandbox, statusOf } from './support/sandbox.js';

const SCENARIO = `apiVersion: runbook.dev/v1
kind: SandboxScenario
metadata:
  name: full-flaky
  description: full behind an API server that fails one request in five
spec:
  base: full
  faults:
    api: { seed: 20, errors: 0.1, throttle: 0.05, resets: 0.05, watchCutAfterEvents: 5 }
`;

let sandbox: Sandbox;
let files: ReturnType<typeof scratchFiles>;

beforeAll(async () => {
  files = scratchFiles({ 'full-flaky.yaml': SCENARIO });
  sandbox = await startTestSandbox({ scenario: `${files.dir}/full-flaky.yaml`, speed: 0 });
});

afterAll(async () => {
  await sandbox?.stop();
  files?.remove();
});

describe('the upgrade through a flaky API server', () => {
  it('finishes in one invocation at ~20% faults, in the same end state as a clean run', { timeout: 1_500_000 }, async () => {
    const stateDir = scratchDir('runbook-upgrade-flaky');
    const injectedBefore = sandbox.faultProxy!.injected.length;
    const run = await runCli([
      'run', 'runbooks/upgrade-2.25-to-3.3.yaml',
      '--kubeconfig', sandbox.kubeconfigPath,
      '--vars-file', 'runbooks/upgrade-2.25-to-3.3.sandbox-vars.yaml',
      '--var', `backupDir=${stateDir}/backup`,
      '--state-dir', stateDir, '--yes', '-o', 'json',
    ], { timeoutMs: 1_400_000 });
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expect(run.summary?.status).toBe('succeeded');

    // The faults were real and many, and the client said when it sent a request again.
    const injected = sandbox.faultProxy!.injected.slice(injectedBefore);
    expect(injected.length).toBeGreaterThan(50);
    expect(new Set(injected.map((f) => f.fault))).toEqual(new Set(['status', 'reset', 'cutWatch']));
    expect(run.events.filter((e) => e.type === 'api:resend').length).toBeGreaterThan(20);

    // The end state of the clean run (upgrade-full.test.ts).
    const kube = sandbox.kube;
    const csvs = (await kube.list({ apiVersion: OLM, kind: 'ClusterServiceVersion', namespace: RHOAI_NS })).items;
    expect(csvs.map((c) => `${c.metadata.name}:${(c.status as { phase: string }).phase}`)).toEqual(['rhods-operator.3.3.2:Succeeded']);
    const dsc = await kube.get(DSC_V2);
    expect(statusOf(dsc).phase).toBe('Ready');
    expect(conditionOf(dsc, 'Ready')?.status).toBe('True');
    expect(run.findings.filter((f) => f.severity === 'prohibited' || f.severity === 'critical')).toEqual([]);
  });
});
