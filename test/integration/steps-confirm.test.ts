// The `confirm` step through the executor: a manual gate stops the run until it is approved (by
// id, by --yes, or by a person answering), and nothing after it runs meanwhile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { createNamespace, deleteNamespace } from './support/objects.js';
import { adminKube, runSteps } from './support/run-step.js';

describe('confirm step', () => {
  let kube: KubeClient;
  let ns: string;

  beforeAll(async () => {
    kube = adminKube();
    ns = await createNamespace(kube, 'steps-confirm');
  });
  afterAll(() => deleteNamespace(kube, ns));

  const steps = (name: string) => `
- name: step
  confirm:
    message: All workbench users saved their work.
- name: after
  apply:
    manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: ${name}, namespace: ${ns} } }
`;
  const exists = async (name: string) => (await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name, namespace: ns })) !== null;

  it('without an answer the run waits for approval and nothing after the gate runs', async () => {
    const run = await runSteps(steps('not-yet'));
    expect(run.summary.status).toBe('waiting-approval');
    expect(run.status).toBe('absent');
    expect(run.events).toContainEqual(expect.objectContaining({ type: 'approval:required', id: 'main/step', message: 'All workbench users saved their work.' }));
    expect(run.calls.writes).toBe(0);
    expect(await exists('not-yet')).toBe(false);
  });

  it('approved by id, the run goes on', async () => {
    const run = await runSteps(steps('by-id'), { approvals: { ids: new Set(['main/step']) } });
    expect(run.summary.status).toBe('succeeded');
    expect(run.status).toBe('ok');
    expect(run.result?.summary).toBe('confirmed');
    expect(await exists('by-id')).toBe(true);
  });

  it('a person is asked the question; no stops the run', async () => {
    const asked: string[] = [];
    const yes = await runSteps(steps('asked-yes'), { approvals: { ask: async (_id, _name, q) => (asked.push(q), true) } });
    expect(yes.summary.status).toBe('succeeded');
    expect(asked).toEqual(['All workbench users saved their work.']);
    const no = await runSteps(steps('asked-no'), { approvals: { ask: async () => false } });
    expect(no.summary.status).toBe('waiting-approval');
    expect(await exists('asked-no')).toBe(false);
  });

  it('a dry run passes the gate without asking', async () => {
    const run = await runSteps(steps('dry'), { dryRun: 'client', approvals: { ask: async () => { throw new Error('must not ask'); } } });
    expect(run.summary.status).toBe('succeeded');
    expect(run.status).toBe('ok');
    expect(await exists('dry')).toBe(false);
  });
});
