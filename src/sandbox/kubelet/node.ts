// The Node the simulated kubelet registers and keeps alive, as a kubelet does: the Node object
// with its address and kubelet port (the API server dials node.status.addresses, preferring
// Hostname, then InternalDNS, InternalIP, ..., at status.daemonEndpoints.kubeletEndpoint.Port),
// a Lease in kube-node-lease renewed every 10 s, and the Ready condition's heartbeat refreshed.
// So a node-lifecycle controller, if one runs, neither taints the node nor evicts its pods.
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/types.js';

export const LEASE_NAMESPACE = 'kube-node-lease';
/** Where the Node records the folder of its pods' filesystems, for people and tests to look. */
export const PODS_DIR_ANNOTATION = 'runbook.dev/sandbox-pods-dir';
const LEASE_DURATION_S = 40;
export const LEASE_RENEW_MS = 10_000;
export const STATUS_REFRESH_MS = 60_000;

/** What a node can run; kept in step with the largest node the workload rules assume. */
const CAPACITY = { cpu: '16', memory: '64Gi', pods: '110', 'ephemeral-storage': '100Gi' };

const NODE = { apiVersion: 'v1', kind: 'Node' } as const;

export interface NodeFacts {
  name: string;
  port: number;
  podsDir: string;
  kubeletVersion: string;
}

/** Metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const seconds = (d = new Date()): string => d.toISOString().replace(/\.\d+Z$/, 'Z');

function nodeStatus(facts: NodeFacts, previous: KubeObject | null): Record<string, unknown> {
  const now = seconds();
  const before = ((previous?.status as { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } | undefined)?.conditions ?? []);
  const condition = (type: string, status: 'True' | 'False', reason: string, message: string) => {
    const old = before.find((c) => c.type === type);
    return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now };
  };
  return {
    capacity: CAPACITY,
    allocatable: CAPACITY,
    conditions: [
      condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
    ],
    // InternalIP only: a Hostname address would be preferred and would have to resolve.
    addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
    daemonEndpoints: { kubeletEndpoint: { Port: facts.port } },
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: '',
      osImage: 'runbook sandbox',
      containerRuntimeVersion: 'sandbox://1.0',
      kubeletVersion: facts.kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}

/** Creates the Node (or takes over one of that name) and writes its status. */
export async function registerNode(kube: KubeClient, facts: NodeFacts): Promise<KubeObject> {
  const ref = { ...NODE, name: facts.name };
  const metadata = {
    name: facts.name,
    labels: { 'kubernetes.io/hostname': facts.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'node-role.kubernetes.io/worker': '' },
    annotations: { [PODS_DIR_ANNOTATION]: facts.podsDir },
  };
  let node = await kube.get(ref);
  if (!node) node = await kube.create({ ...NODE, metadata, spec: {} });
  else node = await kube.patch(ref, 'merge', { metadata: { labels: metadata.labels, annotations: metadata.annotations } });
  return kube.patch(ref, 'merge', { status: nodeStatus(facts, node) }, { subresource: 'status' });
}

export async function refreshNodeStatus(kube: KubeClient, facts: NodeFacts): Promise<void> {
  const ref = { ...NODE, name: facts.name };
  const node = await kube.get(ref);
  if (!node) {
    await registerNode(kube, facts);
    return;
  }
  await kube.patch(ref, 'merge', { status: nodeStatus(facts, node) }, { subresource: 'status' });
}

/** Creates or renews the node's Lease, owned by the Node as the kubelet does it. */
export async function renewLease(kube: KubeClient, node: KubeObject): Promise<void> {
  const name = node.metadata.name!;
  const ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name, namespace: LEASE_NAMESPACE };
  try {
    await kube.patch(ref, 'merge', { spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_S, renewTime: microTime() } });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await kube.create({
      ...ref,
      metadata: { name, namespace: LEASE_NAMESPACE, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid! }] },
      spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_S, renewTime: microTime() },
    });
  }
}
