import { describe, expect, it } from 'vitest';
import { conditionIs, deleted, deletedObject, everyItem, exists, genericReady, phaseIs, readinessFor, READINESS, staleStatus } from '../../../src/kube/readiness.js';
import type { KubeObject } from '../../../src/kube/types.js';

const obj = (apiVersion: string, kind: string, rest: Partial<KubeObject> & { status?: unknown; spec?: unknown } = {}): KubeObject => ({
  apiVersion, kind, ...rest, metadata: { name: 'x', ...(rest.metadata ?? {}) },
});

describe('readinessFor', () => {
  const cases: [string, KubeObject | null, 'done' | 'failed' | 'pending', RegExp?][] = [
    ['deployment without status', obj('apps/v1', 'Deployment', { metadata: { name: 'x', generation: 1 }, spec: { replicas: 2 } }), 'pending', /no status/],
    ['deployment stale generation', obj('apps/v1', 'Deployment', { metadata: { name: 'x', generation: 2 }, spec: { replicas: 1 }, status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 } }), 'pending', /^waiting for the controller to observe generation 2 \(its status is of generation 1\)$/],
    ['deployment rolling', obj('apps/v1', 'Deployment', { metadata: { name: 'x', generation: 2 }, spec: { replicas: 3 }, status: { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 1 } }), 'pending', /1 of 3 replicas available/],
    ['deployment ready', obj('apps/v1', 'Deployment', { metadata: { name: 'x', generation: 2 }, spec: { replicas: 3 }, status: { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 } }), 'done'],
    ['deployment deadline exceeded', obj('apps/v1', 'Deployment', { status: { conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'took too long' }] } }), 'failed', /took too long/],
    ['statefulset ready', obj('apps/v1', 'StatefulSet', { spec: { replicas: 2 }, status: { readyReplicas: 2, updatedReplicas: 2, currentRevision: 'a', updateRevision: 'a' } }), 'done'],
    ['pod failed', obj('v1', 'Pod', { status: { phase: 'Failed', reason: 'Evicted' } }), 'failed', /Evicted/],
    ['pod ready', obj('v1', 'Pod', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }), 'done'],
    ['pod crashlooping', obj('v1', 'Pod', { status: { phase: 'Running', containerStatuses: [{ name: 'c', state: { waiting: { reason: 'CrashLoopBackOff' } } }] } }), 'pending', /CrashLoopBackOff/],
    ['namespace terminating', obj('v1', 'Namespace', { status: { phase: 'Terminating' } }), 'pending', /Terminating/],
    ['namespace active', obj('v1', 'Namespace', { status: { phase: 'Active' } }), 'done'],
    ['crd established', obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { status: { conditions: [{ type: 'Established', status: 'True' }] } }), 'done'],
    ['crd names rejected', obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { status: { conditions: [{ type: 'NamesAccepted', status: 'False', message: 'taken' }] } }), 'failed', /taken/],
    ['csv installing', obj('operators.coreos.com/v1alpha1', 'ClusterServiceVersion', { status: { phase: 'Installing', reason: 'InstallWaiting', message: 'waiting for deployment' } }), 'pending', /Installing \(InstallWaiting: waiting for deployment\)/],
    ['csv failed', obj('operators.coreos.com/v1alpha1', 'ClusterServiceVersion', { status: { phase: 'Failed' } }), 'failed'],
    ['csv succeeded', obj('operators.coreos.com/v1alpha1', 'ClusterServiceVersion', { status: { phase: 'Succeeded' } }), 'done'],
    ['installplan needs approval', obj('operators.coreos.com/v1alpha1', 'InstallPlan', { spec: { approved: false }, status: { phase: 'RequiresApproval' } }), 'pending', /not approved/],
    ['installplan complete', obj('operators.coreos.com/v1alpha1', 'InstallPlan', { status: { phase: 'Complete' } }), 'done'],
    ['installplan failed', obj('operators.coreos.com/v1alpha1', 'InstallPlan', { status: { phase: 'Failed', conditions: [{ type: 'Installed', status: 'False', message: 'boom' }] } }), 'failed', /boom/],
    ['subscription upgrade pending', obj('operators.coreos.com/v1alpha1', 'Subscription', { status: { state: 'UpgradePending', currentCSV: 'op.v2', conditions: [{ type: 'InstallPlanPending', status: 'True', reason: 'RequiresApproval' }] } }), 'pending', /UpgradePending.*RequiresApproval/],
    ['subscription at latest', obj('operators.coreos.com/v1alpha1', 'Subscription', { status: { state: 'AtLatestKnown', installedCSV: 'op.v2' } }), 'done', /op.v2/],
    ['dsc not ready', obj('datasciencecluster.opendatahub.io/v1', 'DataScienceCluster', { status: { phase: 'Not Ready', conditions: [{ type: 'KserveReady', status: 'False', message: 'no serverless' }, { type: 'RayReady', status: 'False', reason: 'Removed' }] } }), 'pending', /KserveReady=False: no serverless$/],
    ['dsci ready', obj('dscinitialization.opendatahub.io/v1', 'DSCInitialization', { status: { phase: 'Ready' } }), 'done'],
    ['dsc Ready but for the previous spec', obj('datasciencecluster.opendatahub.io/v1', 'DataScienceCluster', { metadata: { name: 'x', generation: 3 }, status: { phase: 'Ready', observedGeneration: 2 } }), 'pending', /^waiting for the controller to observe generation 3/],
    ['dsc Ready for the current spec', obj('datasciencecluster.opendatahub.io/v1', 'DataScienceCluster', { metadata: { name: 'x', generation: 3 }, status: { phase: 'Ready', observedGeneration: 3 } }), 'done'],
    ['job failed', obj('batch/v1', 'Job', { status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] } }), 'failed'],
    ['generic ready false', obj('example.com/v1', 'Widget', { status: { conditions: [{ type: 'Ready', status: 'False', message: 'warming up' }] } }), 'pending', /warming up/],
    ['generic without conditions exists', obj('example.com/v1', 'Widget'), 'done'],
    ['a Subscription of another group is generic', obj('messaging.knative.dev/v1', 'Subscription'), 'done'],
    ['absent', null, 'pending', /does not exist/],
  ];
  for (const [name, o, want, text] of cases) {
    it(name, () => {
      const predicate = o ? readinessFor(o.apiVersion, o.kind) : readinessFor('apps/v1', 'Deployment');
      const verdict = predicate(o);
      expect(verdict.status).toBe(want);
      if (text) expect(verdict.description).toMatch(text);
    });
  }
});

describe('small predicates', () => {
  it('exists / deleted', () => {
    expect(exists(null).status).toBe('pending');
    expect(deleted(null).status).toBe('done');
    expect(deleted(obj('v1', 'ConfigMap', { metadata: { name: 'x', deletionTimestamp: 'now', finalizers: ['a/b'] } })).description).toMatch(/finalizers a\/b/);
  });
  it('deletedObject: the object deleted is gone once its name belongs to another uid, as kubectl judges', () => {
    const p = deletedObject('uid-1');
    expect(p(null).status).toBe('done');
    expect(p(obj('v1', 'ConfigMap', { metadata: { name: 'x', uid: 'uid-1' } })).description).toBe('still exists');
    expect(p(obj('v1', 'ConfigMap', { metadata: { name: 'x', uid: 'uid-1', deletionTimestamp: 'now', finalizers: ['a/b'] } })).status).toBe('pending');
    expect(p(obj('v1', 'ConfigMap', { metadata: { name: 'x', uid: 'uid-2' } }))).toMatchObject({ status: 'done', description: 'deleted; a new object of the same name exists now' });
    // Without a uid to tell them apart, any object of that name is the one deleted.
    expect(deletedObject(undefined)(obj('v1', 'ConfigMap', { metadata: { name: 'x', uid: 'uid-2' } })).status).toBe('pending');
  });
  it('conditionIs with failure conditions', () => {
    const p = conditionIs('Available', 'True', [{ type: 'Degraded', status: 'True' }]);
    expect(p(obj('x/v1', 'K', { status: { conditions: [{ type: 'Degraded', status: 'True' }] } })).status).toBe('failed');
    expect(p(obj('x/v1', 'K', { status: { conditions: [{ type: 'Available', status: 'True' }] } })).status).toBe('done');
  });
  it('everyItem', () => {
    const p = everyItem(exists, 2);
    expect(p([obj('v1', 'Pod')]).status).toBe('pending');
    expect(p([obj('v1', 'Pod'), obj('v1', 'Pod')]).status).toBe('done');
  });
});

// Every kind judges its status only once the controller has observed the current generation: a
// status written for generation 2 says nothing about the spec of generation 3, whether it reads
// ready or failed. Each row: a status that is done (or failed) when current.
describe('a status is current only once observedGeneration reaches generation', () => {
  const rows: [string, string, string, Record<string, unknown>, Record<string, unknown> | undefined, 'done' | 'failed'][] = [
    ['Deployment ready', 'apps/v1', 'Deployment', { replicas: 1, updatedReplicas: 1, availableReplicas: 1 }, { replicas: 1 }, 'done'],
    ['Deployment past its deadline', 'apps/v1', 'Deployment', { conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }, { replicas: 1 }, 'failed'],
    ['StatefulSet ready', 'apps/v1', 'StatefulSet', { readyReplicas: 1, updatedReplicas: 1 }, { replicas: 1 }, 'done'],
    ['Pod failed', 'v1', 'Pod', { phase: 'Failed' }, undefined, 'failed'],
    ['Pod ready', 'v1', 'Pod', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }, undefined, 'done'],
    ['Namespace active', 'v1', 'Namespace', { phase: 'Active' }, undefined, 'done'],
    ['Job complete', 'batch/v1', 'Job', { conditions: [{ type: 'Complete', status: 'True' }] }, undefined, 'done'],
    ['Job failed', 'batch/v1', 'Job', { conditions: [{ type: 'Failed', status: 'True' }] }, undefined, 'failed'],
    ['CRD established', 'apiextensions.k8s.io/v1', 'CustomResourceDefinition', { conditions: [{ type: 'Established', status: 'True' }] }, undefined, 'done'],
    ['CSV succeeded', 'operators.coreos.com/v1alpha1', 'ClusterServiceVersion', { phase: 'Succeeded' }, undefined, 'done'],
    ['CSV failed', 'operators.coreos.com/v1alpha1', 'ClusterServiceVersion', { phase: 'Failed' }, undefined, 'failed'],
    ['InstallPlan complete', 'operators.coreos.com/v1alpha1', 'InstallPlan', { phase: 'Complete' }, undefined, 'done'],
    ['InstallPlan failed', 'operators.coreos.com/v1alpha1', 'InstallPlan', { phase: 'Failed' }, undefined, 'failed'],
    ['Subscription at latest', 'operators.coreos.com/v1alpha1', 'Subscription', { state: 'AtLatestKnown' }, undefined, 'done'],
    ['Subscription with a failed InstallPlan', 'operators.coreos.com/v1alpha1', 'Subscription', { conditions: [{ type: 'InstallPlanFailed', status: 'True' }] }, undefined, 'failed'],
    ['DataScienceCluster Ready', 'datasciencecluster.opendatahub.io/v1', 'DataScienceCluster', { phase: 'Ready' }, undefined, 'done'],
    ['DSCInitialization Ready', 'dscinitialization.opendatahub.io/v1', 'DSCInitialization', { phase: 'Ready' }, undefined, 'done'],
    ['RayCluster (generic) Ready', 'ray.io/v1', 'RayCluster', { conditions: [{ type: 'Ready', status: 'True' }] }, undefined, 'done'],
    ['a kind without a Ready condition', 'example.com/v1', 'Widget', { state: 'ready' }, undefined, 'done'],
  ];
  for (const [name, apiVersion, kind, status, spec, current] of rows) {
    const at = (observedGeneration: number | undefined): KubeObject =>
      obj(apiVersion, kind, { metadata: { name: 'x', generation: 3 }, ...(spec ? { spec } : {}), status: { ...status, ...(observedGeneration === undefined ? {} : { observedGeneration }) } });
    it(`${name}: pending at observedGeneration 2 of 3, ${current} at 3`, () => {
      const judge = readinessFor(apiVersion, kind);
      expect(judge(at(2))).toEqual({ status: 'pending', description: 'waiting for the controller to observe generation 3 (its status is of generation 2)' });
      expect(judge(at(3)).status).toBe(current);
      expect(judge(at(4)).status).toBe(current);
      // A kind whose controller does not report observedGeneration is judged as it is.
      expect(judge(at(undefined)).status).toBe(current);
    });
  }

  it('every kind of the readiness table is covered above', () => {
    const covered = new Set(rows.map(([, apiVersion, kind]) => (apiVersion.includes('/') ? `${kind}.${apiVersion.split('/')[0]}` : kind)));
    expect(Object.keys(READINESS).filter((k) => !covered.has(k))).toEqual([]);
  });

  const conditionRows: [string, (o: KubeObject | null) => { status: string; description: string }, Record<string, unknown>, 'pending' | 'done' | 'failed', RegExp][] = [
    ['conditionIs: a failure condition of an older generation does not fail', conditionIs('Ready', 'True', [{ type: 'Degraded', status: 'True' }]), { conditions: [{ type: 'Degraded', status: 'True', observedGeneration: 2 }] }, 'pending', /^no Ready condition yet$/],
    ['conditionIs: a failure condition of this generation fails', conditionIs('Ready', 'True', [{ type: 'Degraded', status: 'True' }]), { conditions: [{ type: 'Degraded', status: 'True', observedGeneration: 3 }] }, 'failed', /Degraded=True/],
    ['conditionIs: the wanted condition of an older generation is pending', conditionIs('Ready'), { conditions: [{ type: 'Ready', status: 'True', observedGeneration: 2 }] }, 'pending', /^waiting for the controller to observe generation 3 \(condition Ready is of generation 2\)$/],
    ['conditionIs: the wanted condition of this generation is done', conditionIs('Ready'), { conditions: [{ type: 'Ready', status: 'True', observedGeneration: 3 }] }, 'done', /Ready=True/],
    ['conditionIs: a stale status is pending whatever its conditions say', conditionIs('Ready', 'True', [{ type: 'Degraded', status: 'True' }]), { observedGeneration: 1, conditions: [{ type: 'Degraded', status: 'True' }] }, 'pending', /observe generation 3 \(its status is of generation 1\)/],
    ['genericReady: a Ready condition of an older generation is pending', genericReady, { conditions: [{ type: 'Ready', status: 'True', observedGeneration: 1 }] }, 'pending', /condition Ready is of generation 1/],
    ['phaseIs: a Failed phase of an older generation is pending', phaseIs(['Succeeded'], ['Failed']), { phase: 'Failed', observedGeneration: 2 }, 'pending', /observe generation 3/],
  ];
  for (const [name, predicate, status, want, text] of conditionRows) {
    it(name, () => {
      const verdict = predicate(obj('example.com/v1', 'Widget', { metadata: { name: 'x', generation: 3 }, status }));
      expect(verdict.status).toBe(want);
      expect(verdict.description).toMatch(text);
    });
  }

  it('staleStatus: only a numeric observedGeneration behind a numeric generation is stale', () => {
    const cases: [Partial<KubeObject['metadata']>, unknown, boolean][] = [
      [{ generation: 2 }, { observedGeneration: 1 }, true],
      [{ generation: 2 }, { observedGeneration: 2 }, false],
      [{ generation: 2 }, {}, false],
      [{ generation: 2 }, undefined, false],
      [{}, { observedGeneration: 1 }, false],
      [{ generation: 2 }, { observedGeneration: '1' }, false],
    ];
    for (const [metadata, status, stale] of cases) {
      const o = obj('example.com/v1', 'Widget', { metadata: { name: 'x', ...metadata }, ...(status === undefined ? {} : { status }) });
      expect(staleStatus(o) !== undefined, JSON.stringify({ metadata, status })).toBe(stale);
    }
  });

  it('exists and deleted do not read status, and are not held back by it', () => {
    const stale = obj('example.com/v1', 'Widget', { metadata: { name: 'x', generation: 3 }, status: { observedGeneration: 1 } });
    expect(exists(stale).status).toBe('done');
    expect(deleted(stale).status).toBe('pending');
    expect(deleted(null).status).toBe('done');
  });
});
