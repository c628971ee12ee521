// Objects the step tests make on the shared control plane: a namespace per test file, Notebooks
// shaped like RHOAI 2.25 workbenches (with the oauth-proxy sidecar and its finalizer), and
// small readers for what the tests compare before and after a step.
import type { KubeClient } from '../../../src/kube/client.js';
import type { KubeObject, ObjectRef } from '../../../src/kube/types.js';
import { uniqueName } from './cluster.js';

export const OAUTH_FINALIZER = 'notebook-oauth-client-finalizer.opendatahub.io';
export const NOTEBOOK = { apiVersion: 'kubeflow.org/v1', kind: 'Notebook' } as const;

/** Creates a namespace for one test file; returns its name. */
export async function createNamespace(kube: KubeClient, prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

/** Deletes a namespace without waiting (the namespace controller finishes it). */
export async function deleteNamespace(kube: KubeClient | undefined, name: string | undefined): Promise<void> {
  if (!kube || !name) return;
  await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name }).catch(() => undefined);
}

/** A 2.25-style workbench: the notebook container plus the oauth-proxy sidecar and its finalizer. */
export function notebook(name: string, namespace: string, options: { labels?: Record<string, string>; sidecar?: boolean } = {}): KubeObject {
  const containers: Record<string, unknown>[] = [{ name, image: 'quay.io/modh/odh-minimal-notebook:2025.1' }];
  if (options.sidecar !== false) containers.push({ name: 'oauth-proxy', image: 'registry.redhat.io/openshift4/ose-oauth-proxy:v4.14' });
  return {
    ...NOTEBOOK,
    metadata: {
      name,
      namespace,
      labels: { 'app.kubernetes.io/part-of': 'workbench', ...options.labels },
      ...(options.sidecar !== false ? { finalizers: [OAUTH_FINALIZER] } : {}),
    },
    spec: { template: { spec: { containers, serviceAccountName: name } } },
  };
}

export function configMap(name: string, namespace: string, data: Record<string, string> = {}, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data };
}

export function refTo(obj: KubeObject): ObjectRef {
  return { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name!, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) };
}

/** The live object; fails the test when it is absent. */
export async function live(kube: KubeClient, ref: ObjectRef): Promise<KubeObject> {
  const obj = await kube.get(ref);
  if (!obj) throw new Error(`${ref.kind} ${ref.namespace ?? ''}/${ref.name} does not exist`);
  return obj;
}

/** resourceVersion of every object of a kind in a namespace, by name. */
export async function versions(kube: KubeClient, apiVersion: string, kind: string, namespace: string): Promise<Record<string, string>> {
  const list = await kube.list({ apiVersion, kind, namespace });
  return Object.fromEntries(list.items.map((o) => [o.metadata.name!, o.metadata.resourceVersion!]));
}

/** Removes every finalizer of an object (what its controller would do when done). */
export async function dropFinalizers(kube: KubeClient, ref: ObjectRef): Promise<void> {
  await kube.patch(ref, 'merge', { metadata: { finalizers: null } });
}
