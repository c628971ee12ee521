// Building blocks for the `permissions` of Kubernetes step types: what reading, watching and
// writing a target needs, stated once so every step type says it the same way.
import type { PermissionNeed } from '../../contract/step-type.js';
import { splitApiVersion } from '../../kube/types.js';
import type { Target } from './target.js';

const UNNAMED_VERBS = ['list', 'watch', 'create'];

type Kind = Pick<Target, 'apiVersion' | 'kind' | 'namespace' | 'allNamespaces' | 'name'>;

/** `verbs` on the kind of `t`, in its namespace (all namespaces when asked), on its name if given. */
export function on(t: Kind, verbs: readonly string[], options: { subresource?: string; named?: boolean } = {}): PermissionNeed[] {
  const { group } = splitApiVersion(t.apiVersion);
  return verbs.map((verb) => ({
    verb,
    group,
    apiVersion: t.apiVersion,
    kind: t.kind,
    ...(t.namespace && !t.allNamespaces ? { namespace: t.namespace } : {}),
    ...(t.allNamespaces && !t.name ? { allNamespaces: true } : {}),
    // RBAC resourceNames apply to verbs on an existing object, never to list, watch or create.
    ...(t.name && options.named !== false && !UNNAMED_VERBS.includes(verb) ? { name: t.name } : {}),
    ...(options.subresource ? { subresource: options.subresource } : {}),
  }));
}

/** Reading a target: get by name, else list. */
export function reads(t: Kind): PermissionNeed[] {
  return on(t, [t.name ? 'get' : 'list']);
}

/** Waiting on a target: waits list and then watch, by name too (with a field selector). */
export function watches(t: Kind): PermissionNeed[] {
  return on(t, ['list', 'watch']);
}
