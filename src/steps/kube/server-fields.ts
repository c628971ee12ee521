// Objects a step just read are its own (fresh from the API server's answer), so server
// bookkeeping can be dropped in place: a copy of every object of a 5,000-item list would cost
// more memory than the list itself.
import { isPlainObject } from '../../kube/json.js';
import type { KubeObject } from '../../kube/types.js';

// metadata.generation stays: an assertion that status is current compares status.observedGeneration with it.
const SERVER_METADATA = ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'selfLink'];

/** Removes server-managed metadata (as withoutServerFields does, status kept; generation kept) from `obj` itself. */
export function dropServerFields(obj: KubeObject): Record<string, unknown> {
  const metadata = obj.metadata;
  if (isPlainObject(metadata)) {
    for (const key of SERVER_METADATA) delete metadata[key];
    const annotations = metadata.annotations;
    if (isPlainObject(annotations)) {
      delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
      if (Object.keys(annotations).length === 0) delete metadata.annotations;
    }
  }
  return obj;
}
