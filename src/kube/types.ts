// Shapes shared by the Kubernetes layer. Objects are plain JSON as the API server sends them:
// no typed models, so diffs, YAML output and checkpoints see exactly what the server stored.

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  finalizers?: string[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface KubeList {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: KubeObject[];
}

/** Names one object, or (without `name`) a collection of one kind. */
export interface ResourceRef {
  apiVersion: string;
  kind: string;
  name?: string;
  namespace?: string;
}

/** Names one object. */
export interface ObjectRef extends ResourceRef {
  name: string;
}

/**
 * 'none' writes for real; 'server' sends dryRun=All and returns what the server would store;
 * 'client' sends no write call at all and returns what would be sent (or its local result).
 */
export type DryRunMode = 'none' | 'server' | 'client';

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

/** What the REST mapping knows about a kind. */
export interface ResourceMapping {
  group: string;
  version: string;
  apiVersion: string;
  kind: string;
  /** Plural resource name as used in URLs, e.g. `deployments`. */
  resource: string;
  namespaced: boolean;
  verbs: string[];
  /** Subresources served for this resource, e.g. `status`, `scale`. */
  subresources: string[];
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** `deployments.apps`, or `pods` for the core group: the way kubectl and RBAC messages name a resource. */
export function qualifiedResource(m: Pick<ResourceMapping, 'group' | 'resource'>): string {
  return m.group === '' ? m.resource : `${m.resource}.${m.group}`;
}

/** `Deployment default/web` or `Namespace web`, for messages. */
export function describeRef(ref: ResourceRef): string {
  const where = ref.namespace ? `${ref.namespace}/` : '';
  return ref.name === undefined ? `${ref.kind} (${ref.apiVersion})${ref.namespace ? ` in ${ref.namespace}` : ''}` : `${ref.kind} ${where}${ref.name}`;
}
