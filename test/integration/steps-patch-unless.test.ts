// `patch` with `unless`: a JSON patch that appends to a list is not idempotent by itself; the
// guard over the live object makes a second run write nothing (the AI pipelines role update).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { createNamespace, deleteNamespace } from './support/objects.js';
import { adminKube, runStep } from './support/run-step.js';

const ROLE = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' };

describe('patch step: unless', () => {
  let kube: KubeClient;
  let ns: string;
  beforeAll(async () => {
    kube = adminKube();
    ns = await createNamespace(kube, 'steps-patch-unless');
    await kube.create({
      ...ROLE,
      metadata: { name: 'pipeline-user', namespace: ns },
      rules: [{ apiGroups: ['datasciencepipelinesapplications.opendatahub.io'], resources: ['datasciencepipelinesapplications'], verbs: ['get'] }],
    });
  });
  afterAll(() => deleteNamespace(kube, ns));

  const input = () => ({
    ...ROLE,
    name: 'pipeline-user',
    namespace: ns,
    type: 'json',
    unless: 'object.rules.exists(r, "datasciencepipelinesapplications/api" in r.resources)',
    patch: [
      {
        op: 'add',
        path: '/rules/-',
        value: { apiGroups: ['datasciencepipelinesapplications.opendatahub.io'], resources: ['datasciencepipelinesapplications/api'], verbs: ['get'] },
      },
    ],
  });

  it('adds the rule once, and a second run makes no write', async () => {
    const first = await runStep('patch', input());
    expect(first.status).toBe('changed');
    const second = await runStep('patch', input());
    expect(second.status).toBe('ok');
    expect(second.calls.writes).toBe(0);
    const role = await kube.get({ ...ROLE, name: 'pipeline-user', namespace: ns });
    expect((role as unknown as { rules: { resources: string[] }[] }).rules.map((r) => r.resources[0])).toEqual([
      'datasciencepipelinesapplications',
      'datasciencepipelinesapplications/api',
    ]);
  });
});
