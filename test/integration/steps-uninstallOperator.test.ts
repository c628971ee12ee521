// The `uninstallOperator` step through the executor, with the test playing the operator and OLM:
// operands go first and are waited for while the operator cleans up after them, then the
// Subscription and its CSVs (found by the OLM label when the subscription is already gone),
// then OperatorGroup and namespace. A re-run writes nothing.
import { afterAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { createNamespace, deleteNamespace } from './support/objects.js';
import { CSV, OPERATOR_GROUP, OlmPlayer, SUBSCRIPTION } from './support/olm-player.js';
import { adminKube, runStep, sideKube } from './support/run-step.js';

const KNATIVE_SERVING = { apiVersion: 'operator.knative.dev/v1beta1', kind: 'KnativeServing' } as const;

describe('uninstallOperator step', () => {
  let kube: KubeClient;
  let ns: string;
  let servingNs: string;
  let olm: OlmPlayer;
  const namespaces: string[] = [];

  beforeEach(async () => {
    kube = adminKube();
    ns = await createNamespace(kube, 'steps-uninstall');
    servingNs = await createNamespace(kube, 'steps-serving');
    namespaces.push(ns, servingNs);
    olm = new OlmPlayer(sideKube(), ns);
    olm.operands.push({ ...KNATIVE_SERVING, namespace: servingNs });
    await kube.create({ ...OPERATOR_GROUP, metadata: { name: 'serverless', namespace: ns }, spec: {} });
    // The operand carries the operator's finalizer: it goes only once the operator cleaned up.
    await kube.create({ ...KNATIVE_SERVING, metadata: { name: 'knative-serving', namespace: servingNs, finalizers: ['knativeservings.operator.knative.dev'] }, spec: {} });
  });
  afterEach(() => olm.stop());
  afterAll(async () => {
    for (const n of namespaces) await deleteNamespace(kube, n);
  });

  const exists = async (ref: { apiVersion: string; kind: string }, name: string, namespace = ns) => (await kube.get({ ...ref, name, namespace })) !== null;

  it('removes operands, Subscription, CSVs, OperatorGroup and namespace in order; a re-run writes nothing', async () => {
    await olm.installed('serverless-operator', 'serverless-operator', 'serverless-operator.v1.35.0');
    // A CSV left from an earlier version, known only by the OLM label.
    await olm.csvSucceeded('serverless-operator.v1.34.0', 'serverless-operator');
    olm.start();
    const input = {
      subscription: 'serverless-operator',
      namespace: ns,
      operands: [{ ...KNATIVE_SERVING, name: 'knative-serving', namespace: servingNs }],
      deleteOperatorGroup: true,
      deleteNamespace: true,
      timeout: '60s',
    };
    const run = await runStep('uninstallOperator', input);
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('changed');
    expect(run.output).toEqual({
      deleted: [
        `KnativeServing ${servingNs}/knative-serving`,
        `Subscription ${ns}/serverless-operator`,
        `ClusterServiceVersion ${ns}/serverless-operator.v1.35.0`,
        `ClusterServiceVersion ${ns}/serverless-operator.v1.34.0`,
        `OperatorGroup ${ns}/serverless`,
        `Namespace ${ns}`,
      ],
    });
    // The operator finished its operand before the step went on.
    expect(olm.log).toContain('finalized KnativeServing knative-serving');
    expect(await exists(KNATIVE_SERVING, 'knative-serving', servingNs)).toBe(false);
    expect(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })).toBeNull();

    const again = await runStep('uninstallOperator', input);
    expect(again.status).toBe('ok');
    expect(again.result?.reason).toBe('serverless-operator is not installed');
    expect(again.calls.writes).toBe(0);
  });

  it('finds the CSV by the OLM label when the subscription is already gone', async () => {
    await olm.csvSucceeded('serverless-operator.v1.35.0', 'serverless-operator');
    olm.start();
    const run = await runStep('uninstallOperator', { subscription: 'serverless-operator', namespace: ns, operands: [{ ...KNATIVE_SERVING, namespace: servingNs }], timeout: '60s' });
    expect(run.error).toBeUndefined();
    expect(run.output).toEqual({ deleted: [`KnativeServing ${servingNs}/knative-serving`, `ClusterServiceVersion ${ns}/serverless-operator.v1.35.0`] });
    expect(await exists(CSV, 'serverless-operator.v1.35.0')).toBe(false);
    expect(await exists(OPERATOR_GROUP, 'serverless')).toBe(true);
  });

  it('dry runs delete nothing and do not wait', async () => {
    await olm.installed('serverless-operator', 'serverless-operator', 'serverless-operator.v1.35.0');
    for (const dryRun of ['client', 'server'] as const) {
      const run = await runStep('uninstallOperator', { subscription: 'serverless-operator', namespace: ns, operands: [{ ...KNATIVE_SERVING, namespace: servingNs }], deleteNamespace: true }, { dryRun });
      expect(run.status).toBe('changed');
      expect((run.output as { deleted: string[] }).deleted).toHaveLength(4);
      if (dryRun === 'client') expect(run.calls.writes).toBe(0);
    }
    expect(await exists(SUBSCRIPTION, 'serverless-operator')).toBe(true);
    expect(await exists(KNATIVE_SERVING, 'knative-serving', servingNs)).toBe(true);
  });

  it('an operand whose operator never cleans up: the timeout names it', async () => {
    await olm.installed('serverless-operator', 'serverless-operator', 'serverless-operator.v1.35.0');
    // No player running: nobody removes the operand finalizer.
    const run = await runStep('uninstallOperator', { subscription: 'serverless-operator', namespace: ns, operands: [{ ...KNATIVE_SERVING, namespace: servingNs }], timeout: '1s' });
    expect(run.status).toBe('failed');
    expect(run.error).toBe(`timed out after 1s waiting for KnativeServing ${servingNs}/knative-serving: being deleted, waiting for finalizers knativeservings.operator.knative.dev`);
    // Nothing after the operands was touched.
    expect(await exists(SUBSCRIPTION, 'serverless-operator')).toBe(true);
    await kube.patch({ ...KNATIVE_SERVING, name: 'knative-serving', namespace: servingNs }, 'merge', { metadata: { finalizers: null } });
  });
});
