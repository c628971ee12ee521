// The copies of objects a query listed, for the writes that follow in the same run. A loop over a
// query's objects read each one again before patching it: one GET per item beside its PATCH, as
// costly to the API server as the patch itself. A patch may instead plan on the listed copy and
// send its write on the condition that the object is still that copy (its resourceVersion): the
// server refuses the write otherwise, and the patch then reads the object and plans again. A copy
// is taken by the first write that asks for it, so a retry or a later step reads afresh, and one
// that would change nothing is not trusted for that: absence of work is confirmed by a read.
import type { KubeObject, ObjectRef } from '../../kube/types.js';
import type { KubeClient } from '../../kube/client.js';

/** Beyond this many copies kept, lists are not remembered (memory stays bounded). */
const MAX_COPIES = 20_000;

function keyOf(apiVersion: string, kind: string, namespace: string | undefined, name: string): string {
  return `${apiVersion}\n${kind}\n${namespace ?? ''}\n${name}`;
}

/** Remembers what a list returned, as the server sent it (resourceVersion included). */
export function rememberListed(kube: KubeClient, objects: readonly KubeObject[]): void {
  const copies = kube.listedCopies;
  for (const o of objects) {
    if (copies.size >= MAX_COPIES) return;
    const meta = o.metadata;
    if (!meta?.name || !meta.resourceVersion) continue;
    // The query trims server fields from the objects it returns, in place: the copy keeps its own
    // metadata (resourceVersion included) and annotations.
    const metadata = { ...meta, ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}) };
    copies.set(keyOf(o.apiVersion, o.kind, meta.namespace, meta.name), { ...o, metadata });
  }
}

/** The listed copy of the object, taken out of the store; undefined when there is none. */
export function takeListed(kube: KubeClient, ref: ObjectRef): KubeObject | undefined {
  const copies = kube.listedCopies;
  if (copies.size === 0) return undefined;
  const namespace = ref.namespace ?? kube.defaultNamespace;
  // A cluster-scoped object is listed without a namespace: try that key too.
  for (const key of [keyOf(ref.apiVersion, ref.kind, namespace, ref.name), keyOf(ref.apiVersion, ref.kind, undefined, ref.name)]) {
    const copy = copies.get(key);
    if (copy) {
      copies.delete(key);
      return copy;
    }
  }
  return undefined;
}
