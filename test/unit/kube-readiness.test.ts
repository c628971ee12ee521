import { describe, expect, it } from 'vitest';
import { conditionIs, deleted, everyItem, exists, readinessFor } from '../../src/kube/readiness.js';
import type { KubeObject } from '../../src/kube/types.js';

const obj = (apiVersion: string, kind: string, rest: Partial<KubeObject> & { status?: unknown; spec?: unknown } = {}): KubeObject => ({
  apiVersion, kind, ...rest, metadata: { name: 'x', ...(rest.metadata ?? {}) },
});

describe('readinessFor', () => {
  const cases: [string, KubeObject | null, 'done' | 'failed' | 'pending', RegExp?][] = [
    ['deployment without status', obj('apps/v1', 'Deployment', { metadata: { name: 'x', generation: 1 }, spec: { replicas: 2 } }), 'pending', /no status/],
    ['deployment stale generation', obj('apps/v1', 'Deployment', { metadata: { name: 'x', generation: 2 }, spec: { replicas: 1 }, status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 } }), 'pending', /generation 1 of 2/],
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
    ['dsc Ready but for the previous spec', obj('datasciencecluster.opendatahub.io/v1', 'DataScienceCluster', { metadata: { name: 'x', generation: 3 }, status: { phase: 'Ready', observedGeneration: 2 } }), 'pending', /not yet reconciled generation 3/],
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
