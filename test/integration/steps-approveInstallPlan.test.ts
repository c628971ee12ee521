// The `approveInstallPlan` step through the executor, with the test playing OLM on the real API
// server: only the plan for the wanted version is approved, the step waits for it to complete
// and the CSV to succeed, a plan that appears later is found, a failed plan ends the step with
// OLM's message, and a re-run once installed writes nothing.
import { afterAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { createNamespace, deleteNamespace, live } from './support/objects.js';
import { INSTALL_PLAN, OlmPlayer } from './support/olm-player.js';
import { adminKube, firstLog, runStep, sideKube } from './support/run-step.js';

describe('approveInstallPlan step', () => {
  let kube: KubeClient;
  let ns: string;
  let olm: OlmPlayer;
  const namespaces: string[] = [];

  beforeEach(async () => {
    kube = adminKube();
    ns = await createNamespace(kube, 'steps-approve');
    namespaces.push(ns);
    olm = new OlmPlayer(sideKube(), ns);
  });
  afterEach(() => olm.stop());
  afterAll(async () => {
    for (const n of namespaces) await deleteNamespace(kube, n);
  });

  const plan = (name: string) => live(kube, { ...INSTALL_PLAN, name, namespace: ns });
  const approved = async (name: string) => ((await plan(name)).spec as { approved: boolean }).approved;

  it('approves only the plan for the wanted version, waits for it, and a re-run writes nothing', async () => {
    const sub = await olm.installed('rhods-operator', 'rhods-operator', 'rhods-operator.2.25.0');
    // OLM may offer a plan for a version that is not an upgrade target: it must stay unapproved.
    await olm.plan('install-old', sub, 'rhods-operator.3.3.1');
    await olm.plan('install-new', sub, 'rhods-operator.3.3.2');
    olm.start();
    const input = { subscription: 'rhods-operator', namespace: ns, version: '>=3.3.2 <3.4.0', timeout: '60s' };
    const run = await runStep('approveInstallPlan', input);
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('changed');
    expect(run.result?.summary).toBe('install-new approved; rhods-operator.3.3.2 Succeeded');
    expect(run.output).toEqual({ installPlan: 'install-new', csv: 'rhods-operator.3.3.2' });
    expect(run.calls.writes).toBe(1);
    expect(await approved('install-new')).toBe(true);
    expect(await approved('install-old')).toBe(false);
    expect(run.logs).toContain('approved install-new for rhods-operator.3.3.2');

    const again = await runStep('approveInstallPlan', input);
    expect(again.status).toBe('ok');
    expect(again.result?.reason).toBe('rhods-operator.3.3.2 is installed and Succeeded');
    expect(again.calls.writes).toBe(0);
  });

  it('waits for a plan that appears after the step started', async () => {
    const sub = await olm.installed('kueue-operator', 'kueue-operator', 'kueue-operator.v1.0.0');
    olm.start();
    const first = firstLog();
    const running = runStep('approveInstallPlan', { subscription: 'kueue-operator', namespace: ns, csv: 'kueue-operator.v1.1.0', timeout: '60s' }, { onEvent: first.onEvent });
    expect(await first.logged).toBe('no install plan for subscription kueue-operator yet');
    await olm.plan('install-later', sub, 'kueue-operator.v1.1.0');
    const run = await running;
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('changed');
    expect(await approved('install-later')).toBe(true);
  });

  it('a plan that fails ends the step with the plan message', async () => {
    const sub = await olm.installed('serverless-operator', 'serverless-operator', 'serverless-operator.v1.35.0');
    await olm.plan('install-broken', sub, 'serverless-operator.v1.36.0');
    olm.failing.set('serverless-operator.v1.36.0', 'bundle unpacking failed: image not found');
    olm.start();
    const run = await runStep('approveInstallPlan', { subscription: 'serverless-operator', namespace: ns, csv: 'serverless-operator.v1.36.0', timeout: '60s' });
    expect(run.status).toBe('failed');
    expect(run.error).toBe(
      `install plan install-broken for serverless-operator.v1.36.0: InstallPlan ${ns}/install-broken: phase Failed: bundle unpacking failed: image not found`,
    );
  });

  it('a dry run finds the plan and approves nothing', async () => {
    const sub = await olm.installed('rhods-operator', 'rhods-operator', 'rhods-operator.2.25.0');
    await olm.plan('install-dry', sub, 'rhods-operator.3.3.2');
    for (const dryRun of ['client', 'server'] as const) {
      const run = await runStep('approveInstallPlan', { subscription: 'rhods-operator', namespace: ns, version: '>=3.3.2' }, { dryRun });
      expect(run.status).toBe('changed');
      expect(run.result?.summary).toBe('would approve install-dry for rhods-operator.3.3.2');
      expect(run.calls.writes).toBe(0);
    }
    expect(await approved('install-dry')).toBe(false);
  });

  it('a dry run before any plan exists says so instead of waiting', async () => {
    await olm.installed('rhods-operator', 'rhods-operator', 'rhods-operator.2.25.0');
    const started = Date.now();
    const run = await runStep('approveInstallPlan', { subscription: 'rhods-operator', namespace: ns, version: '>=3.3.2' }, { dryRun: 'client' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run.status).toBe('ok');
    expect(run.result?.summary).toBe('would wait for an install plan for version >=3.3.2: no install plan for subscription rhods-operator yet');
    expect(run.calls).toMatchObject({ writes: 0, watches: 0 });
  });

  it('a subscription that does not exist is named, with a hint', async () => {
    const run = await runStep('approveInstallPlan', { subscription: 'nope', namespace: ns, version: '>=1.0.0' });
    expect(run.status).toBe('failed');
    expect(run.error).toBe(`Subscription ${ns}/nope does not exist`);
    expect(run.result?.error?.hint).toMatch(/oc get subscriptions -A/);
  });

  it('no plan for the wanted version: the timeout lists the plans seen', async () => {
    const sub = await olm.installed('rhods-operator', 'rhods-operator', 'rhods-operator.2.25.0');
    await olm.plan('install-wrong', sub, 'rhods-operator.3.3.1');
    const run = await runStep('approveInstallPlan', { subscription: 'rhods-operator', namespace: ns, version: '>=3.3.2', timeout: '1s' });
    expect(run.status).toBe('failed');
    expect(run.error).toBe(`timed out after 1s waiting for InstallPlan (${INSTALL_PLAN.apiVersion}) in ${ns}: plans so far: install-wrong (rhods-operator.3.3.1; RequiresApproval)`);
  });

  it('fails at once with OLM\'s message when the subscription cannot resolve', async () => {
    await olm.installed('rhods-operator', 'rhods-operator', 'rhods-operator.2.25.4', { channel: 'stable-9.9' });
    const message = 'constraints not satisfiable: no operators found in channel stable-9.9 of package rhods-operator in the catalog referenced by subscription rhods-operator, subscription rhods-operator exists';
    const started = Date.now();
    const running = runStep('approveInstallPlan', { subscription: 'rhods-operator', namespace: ns, version: '>=3.3.2 <3.4.0', timeout: '60s' });
    // OLM writes its verdict a moment after the channel change.
    await new Promise((r) => setTimeout(r, 300));
    await kube.patch({ apiVersion: 'operators.coreos.com/v1alpha1', kind: 'Subscription', name: 'rhods-operator', namespace: ns }, 'merge', {
      status: { conditions: [{ type: 'ResolutionFailed', status: 'True', reason: 'ConstraintsNotSatisfiable', message, lastTransitionTime: new Date().toISOString() }] },
    }, { subresource: 'status' });
    const run = await running;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.status).toBe('failed');
    expect(run.error).toBe(`Subscription ${ns}/rhods-operator: OLM cannot resolve it: ${message}`);
  });

  it('a channel with no edge from the installed CSV fails after resolveTimeout, not at the step timeout', async () => {
    await olm.installed('rhods-operator', 'rhods-operator', 'rhods-operator.2.25.4', { channel: 'stable-3.3' });
    const started = Date.now();
    const run = await runStep('approveInstallPlan', { subscription: 'rhods-operator', namespace: ns, version: '>=3.3.2 <3.4.0', timeout: '60s', resolveTimeout: '2s' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.status).toBe('failed');
    expect(run.error).toBe(`OLM offers no upgrade to version >=3.3.2 <3.4.0: subscription ${ns}/rhods-operator stays at rhods-operator.2.25.4 (AtLatestKnown) in channel stable-3.3`);
    expect(run.result?.error?.hint).toContain('no entry of channel stable-3.3 replaces rhods-operator.2.25.4 or has a skipRange that covers its version');
  });
});
