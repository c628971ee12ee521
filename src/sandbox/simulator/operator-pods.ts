// The Deployment and Pods an operator's CSV runs. Nothing schedules pods here, so the simulator
// writes their status as the kubelet and the deployment controller would. Pods are owned by their
// Deployment and the Deployment by the CSV, so the real garbage collector removes them when the
// CSV is deleted — exactly what an uninstall does on a cluster.
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../../kube/types.js';
import type { SimRuntime } from './runtime.js';

const APPS = 'apps/v1';

export async function runOperatorDeployment(rt: SimRuntime, csv: KubeObject, deploymentName: string, image: string): Promise<void> {
  const ns = csv.metadata.namespace!;
  const owner = { apiVersion: csv.apiVersion, kind: csv.kind, name: csv.metadata.name!, uid: csv.metadata.uid!, controller: true, blockOwnerDeletion: false };
  const labels = { name: deploymentName, 'olm.owner': csv.metadata.name!, 'olm.owner.kind': 'ClusterServiceVersion' };
  const existing = await rt.kube.get({ apiVersion: APPS, kind: 'Deployment', name: deploymentName, namespace: ns });
  let deployment: KubeObject;
  if (existing) {
    // The new CSV takes the Deployment over: new owner and image, so its pods restart.
    deployment = await rt.kube.patch(
      { apiVersion: APPS, kind: 'Deployment', name: deploymentName, namespace: ns },
      'merge',
      { metadata: { ownerReferences: [owner], labels }, spec: { template: { metadata: { labels: { name: deploymentName } }, spec: { containers: [{ name: 'manager', image }] } } } },
    );
    const old = await rt.kube.list({ apiVersion: 'v1', kind: 'Pod', namespace: ns }, { labelSelector: `name=${deploymentName}` });
    for (const pod of old.items) await rt.kube.delete({ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name!, namespace: ns }, { gracePeriodSeconds: 0 }).catch(() => undefined);
  } else {
    deployment = await rt.kube.create({
      apiVersion: APPS,
      kind: 'Deployment',
      metadata: { name: deploymentName, namespace: ns, labels, ownerReferences: [owner] },
      spec: {
        replicas: 1,
        selector: { matchLabels: { name: deploymentName } },
        template: { metadata: { labels: { name: deploymentName } }, spec: { containers: [{ name: 'manager', image }] } },
      },
    });
  }
  const pod = await rt.kube.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${deploymentName}-${randomBytes(4).toString('hex').slice(0, 8)}-${randomBytes(3).toString('hex').slice(0, 5)}`,
      namespace: ns,
      labels: { name: deploymentName },
      ownerReferences: [{ apiVersion: APPS, kind: 'Deployment', name: deploymentName, uid: deployment.metadata.uid!, controller: true, blockOwnerDeletion: false }],
    },
    spec: { containers: [{ name: 'manager', image }] },
  });
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await rt.kube.patch({ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name!, namespace: ns }, 'merge', {
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Initialized', status: 'True', lastTransitionTime: now },
        { type: 'Ready', status: 'True', lastTransitionTime: now },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
      ],
      containerStatuses: [{ name: 'manager', ready: true, restartCount: 0, image, imageID: image, started: true, state: { running: { startedAt: now } } }],
      startTime: now,
    },
  }, { subresource: 'status' });
  await rt.kube.patch({ apiVersion: APPS, kind: 'Deployment', name: deploymentName, namespace: ns }, 'merge', {
    status: {
      observedGeneration: deployment.metadata.generation,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: now, lastTransitionTime: now },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${deploymentName}" has successfully progressed.`, lastUpdateTime: now, lastTransitionTime: now },
      ],
    },
  }, { subresource: 'status' });
}
