// The `assert` step against the real API server, through the executor: expressions over values,
// over a live object or a selector's matches, per object with the failing ones listed, and what
// each severity does to the run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { configMap, createNamespace, deleteNamespace } from './support/objects.js';
import { adminKube, runStep, runSteps } from './support/run-step.js';

describe('assert step', () => {
  let kube: KubeClient;
  let ns: string;

  beforeAll(async () => {
    kube = adminKube();
    ns = await createNamespace(kube, 'steps-assert');
    await kube.create(configMap('isvc-raw', ns, { mode: 'RawDeployment' }, { kind: 'isvc' }));
    await kube.create(configMap('isvc-serverless', ns, { mode: 'Serverless' }, { kind: 'isvc' }));
    await kube.create(configMap('isvc-other', ns, { mode: 'Serverless' }, { kind: 'isvc' }));
  });
  afterAll(() => deleteNamespace(kube, ns));

  it('values: a true assertion records nothing', async () => {
    const run = await runStep('assert', { that: ['semverGte(targetVersion, "3.3.2")', 'size(targetVersion) > 0'], message: 'unsupported target' }, { vars: { targetVersion: '3.3.2' } });
    expect(run.status).toBe('ok');
    expect(run.result?.summary).toBe('holds');
    expect(run.findings).toEqual([]);
    expect(run.summary.status).toBe('succeeded');
  });

  it('values: a prohibited finding blocks the run, with message and remediation', async () => {
    const run = await runStep(
      'assert',
      {
        that: 'semverGte(targetVersion, "3.3.2")',
        severity: 'prohibited',
        check: 'target-version',
        message: 'Target {{ targetVersion }} is not supported',
        remediation: 'Set targetVersion to 3.3.2 or later.',
      },
      { vars: { targetVersion: '3.3.1' } },
    );
    expect(run.status).toBe('ok');
    expect(run.result?.summary).toBe('prohibited: Target 3.3.1 is not supported');
    expect(run.findings).toEqual([
      { severity: 'prohibited', check: 'target-version', message: 'Target 3.3.1 is not supported', remediation: 'Set targetVersion to 3.3.2 or later.', stepId: 'main/step' },
    ]);
    expect(run.summary.status).toBe('blocked');
    expect(run.summary.findings.prohibited).toBe(1);
  });

  it('severities: warning and info are recorded and the run goes on; critical stops it', async () => {
    const steps = (severity: string) => `
- name: step
  assert: { that: "false", severity: ${severity}, message: "${severity} finding" }
- name: after
  apply:
    manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: after-${severity}, namespace: ${ns} } }
`;
    for (const severity of ['warning', 'info']) {
      const run = await runSteps(steps(severity));
      expect(run.summary.status).toBe('succeeded');
      expect(run.findings.map((f) => f.severity)).toEqual([severity]);
      expect(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: `after-${severity}`, namespace: ns })).not.toBeNull();
    }
    const critical = await runSteps(steps('critical'));
    expect(critical.summary.status).toBe('blocked');
    expect(critical.calls.writes).toBe(0);
    expect(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'after-critical', namespace: ns })).toBeNull();
  });

  it('object: the live object by name (null when absent)', async () => {
    const ok = await runStep('assert', { apiVersion: 'v1', kind: 'ConfigMap', name: 'isvc-raw', namespace: ns, that: 'object.data.mode == "RawDeployment"', message: 'not raw' });
    expect(ok.findings).toEqual([]);
    const absent = await runStep('assert', { apiVersion: 'v1', kind: 'ConfigMap', name: 'nothing', namespace: ns, that: 'object == null', message: 'should be absent' });
    expect(absent.findings).toEqual([]);
    expect(absent.calls.writes).toBe(0);
  });

  it('objects: the matches of a selector as a list', async () => {
    const run = await runStep('assert', { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, labelSelector: 'kind=isvc', that: 'objects.size() == 2', severity: 'warning', message: 'expected two' });
    expect(run.findings).toEqual([expect.objectContaining({ severity: 'warning', message: 'expected two' })]);
    expect(run.findings[0]!.objects).toBeUndefined();
  });

  it('eachObject: the finding lists every object that fails', async () => {
    const run = await runStep('assert', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      labelSelector: 'kind=isvc',
      eachObject: true,
      that: 'object.data.mode == "RawDeployment"',
      severity: 'critical',
      check: 'raw-deployment',
      message: 'InferenceServices not converted to RawDeployment',
    });
    expect(run.result?.summary).toBe('critical: InferenceServices not converted to RawDeployment (2 objects)');
    expect(run.findings).toEqual([
      expect.objectContaining({ severity: 'critical', check: 'raw-deployment', objects: [`ConfigMap ${ns}/isvc-other`, `ConfigMap ${ns}/isvc-serverless`] }),
    ]);
    expect(run.summary.status).toBe('blocked');
  });

  it('an expression that does not give a boolean fails the step, naming it', async () => {
    const run = await runStep('assert', { that: '1 + 1', message: 'x' });
    expect(run.status).toBe('failed');
    expect(run.error).toBe('assert: "1 + 1" gave 2, not true or false');
  });
});
