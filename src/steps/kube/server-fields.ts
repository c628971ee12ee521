// Objects a step just read are its own (fresh from the API server's answer), so server
// bookkeeping can be dropped in place: a copy of every object of a 5,000-item list would cost
// more memory than the list itself.
import { isPlainObject } from '../../kube/json.js';
import type { KubeObject } from '../../kube/types.js';

const SERVER_METADATA = ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink'];

/**
 * Removes server-managed metadata (as withoutServerFields does, status kept) from `obj` itself.
 * `keepGeneration` leaves metadata.generation for checks that status is current (an assertion
 * comparing status.observedGeneration with it); objects that are written out or registered lose it.
 */
export function dropServerFields(obj: KubeObject, options: { keepGeneration?: boolean } = {}): Record<string, unknown> {
  const metadata = obj.metadata;
  if (isPlainObject(metadata)) {
    for (const key of SERVER_METADATA) if (!(options.keepGeneration && key === 'generation')) delete metadata[key];
    const annotations = metadata.annotations;
    if (isPlainObject(annotations)) {
      delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
      if (Object.keys(annotations).length === 0) delete metadata.annotations;
    }
  }
  return obj;
}
