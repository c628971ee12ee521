// `canI` against the real authorizer: the admin has every permission; the view-only user gets one
// finding listing each write it may not do, and reads it may do are not listed.
import { describe, expect, it } from 'vitest';
import { runStep, viewerKube } from './support/run-step.js';

const checks = [
  { verb: 'list', group: '', resource: 'namespaces' },
  { verb: 'list', group: 'ray.io', resource: 'rayclusters' },
  { verb: 'update', group: 'ray.io', resource: 'rayclusters' },
  { verb: 'delete', group: 'route.openshift.io', resource: 'routes', namespace: 'default' },
];

describe('canI step', () => {
  it('finds nothing missing for the admin', async () => {
    const run = await runStep('canI', { checks, check: 'ray-permissions' });
    expect(run.status).toBe('ok');
    expect(run.findings).toEqual([]);
    expect(run.calls.writes).toBe(0);
  });

  it('lists every missing permission of the view-only user in one finding', async () => {
    const run = await runStep('canI', { checks, check: 'ray-permissions', severity: 'warning' }, { kube: viewerKube() });
    expect(run.status).toBe('ok');
    expect(run.findings).toHaveLength(1);
    const [finding] = run.findings;
    expect(finding!.severity).toBe('warning');
    expect(finding!.check).toBe('ray-permissions');
    expect(finding!.message).toMatch(/update.*rayclusters/);
    expect(finding!.message).toMatch(/delete.*routes/);
    expect(finding!.message).not.toMatch(/list.*namespaces/);
  });
});
