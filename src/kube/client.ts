// The one door to the API server for steps: REST mapping, reads, writes with dry-run modes,
// watches, and call counters. Works on plain JSON objects of any kind, built-in or custom.
import { StepFailure } from '../contract/errors.js';
import { loadKubeConfig, type KubeConfigOptions, type LoadedKubeConfig } from './config.js';
import { type CallContext, type KubeApiError, errorFromStatus, isConflict, isNotFound } from './errors.js';
import { applyPatchLocally } from './local-patch.js';
import { cloneJson } from './json.js';
import { type DiscoveryDocument, RestMapper } from './mapping.js';
import { ApiTransport, type CallKind, type CallStats, type HttpRequest, type ResendListener } from './transport.js';
import { type WatchEvent, watchEvents } from './watch-stream.js';
import type { DryRunMode, KubeList, KubeObject, ObjectRef, PatchType, ResourceMapping, ResourceRef } from './types.js';
import { describeRef } from './types.js';

export const FIELD_MANAGER = 'runbook';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface KubeClientOptions {
  /** Default for every mutating call; each call may override it. */
  dryRun?: DryRunMode;
  fieldManager?: string;
  requestTimeoutMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface WriteOptions extends CallOptions {
  dryRun?: DryRunMode;
}

export interface GetOptions extends CallOptions {
  subresource?: string;
}

export interface ListOptions extends CallOptions {
  /** Overrides `ref.namespace`; ignored for cluster-scoped kinds. */
  namespace?: string;
  /** List in every namespace (namespaced kinds only). */
  allNamespaces?: boolean;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; all pages are read and joined. */
  pageSize?: number;
}

export interface PatchOptions extends WriteOptions {
  subresource?: string;
  /** Server-side apply only: take over fields owned by other managers. */
  force?: boolean;
}

export interface DeleteOptions extends WriteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  /** The delete only happens if the object still has this uid / resourceVersion. */
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface WatchOptions extends Omit<ListOptions, 'pageSize'> {
  resourceVersion?: string;
  /** Ask the server to end the watch after this long; callers reconnect. */
  timeoutSeconds?: number;
  allowBookmarks?: boolean;
}

interface Located {
  mapping: ResourceMapping;
  namespace: string | undefined;
  path: string;
  ctx: CallContext;
}

export class KubeClient {
  readonly mapper: RestMapper;
  readonly defaultNamespace: string;
  readonly dryRun: DryRunMode;
  readonly fieldManager: string;
  private readonly crdCache = new Map<string, Promise<boolean>>();

  constructor(
    private readonly transport: ApiTransport,
    defaultNamespace: string,
    options: KubeClientOptions = {},
    mapper?: RestMapper,
    /**
     * Objects a query listed, each until a write takes it (see steps/kube/listed-copies.ts); shared
     * by the clients derived with withDryRun.
     */
    readonly listedCopies: Map<string, KubeObject> = new Map(),
  ) {
    this.defaultNamespace = defaultNamespace;
    this.dryRun = options.dryRun ?? 'none';
    this.fieldManager = options.fieldManager ?? FIELD_MANAGER;
    this.mapper =
      mapper ??
      new RestMapper(async (path) => (await this.call<DiscoveryDocument>({ method: 'GET', path, kind: 'discovery', ctx: { verb: 'discover' } })).body);
  }

  static fromConfig(loaded: LoadedKubeConfig, options: KubeClientOptions = {}): KubeClient {
    const transport = new ApiTransport(loaded.kubeConfig, loaded.userName, options.requestTimeoutMs);
    return new KubeClient(transport, loaded.namespace, options);
  }

  /** Load the kubeconfig like kubectl (see config.ts) and make a client for it. */
  static load(config: KubeConfigOptions = {}, options: KubeClientOptions = {}): KubeClient {
    return KubeClient.fromConfig(loadKubeConfig(config), options);
  }

  /** The same connection, counters and mapping cache, with another default dry-run mode. */
  withDryRun(mode: DryRunMode): KubeClient {
    return new KubeClient(this.transport, this.defaultNamespace, { dryRun: mode, fieldManager: this.fieldManager }, this.mapper, this.listedCopies);
  }

  /** Calls made so far, shared by clients derived with withDryRun. */
  get stats(): Readonly<CallStats> {
    return { ...this.transport.stats };
  }

  resetStats(): void {
    Object.assign(this.transport.stats, { reads: 0, writes: 0, watches: 0, discovery: 0, resends: 0 });
  }

  get userName(): string | undefined {
    return this.transport.userName;
  }

  /** Hears of every request sent again after a transient failure; returns the way to stop listening. */
  onResend(listener: ResendListener): () => void {
    return this.transport.onResend(listener);
  }

  get kubeConfig() {
    return this.transport.kubeConfig;
  }

  mapping(apiVersion: string, kind: string): Promise<ResourceMapping> {
    return this.mapper.map(apiVersion, kind);
  }

  /** A raw call for APIs that are not objects (reviews, /version); counted like the rest. */
  async call<T = unknown>(req: HttpRequest): Promise<{ status: number; body: T }> {
    return this.transport.request<T>(req);
  }

  // ---- reads ----

  /** The object, or null when it does not exist. */
  async get(ref: ObjectRef, options: GetOptions = {}): Promise<KubeObject | null> {
    const at = await this.locate(ref, 'get', ref.name, options.subresource);
    try {
      return (await this.send<KubeObject>('read', 'GET', at, options)).body;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** Every matching object, all pages joined; `metadata.resourceVersion` is the list's, for watching from. */
  async list(ref: ResourceRef, options: ListOptions = {}): Promise<KubeList> {
    const at = await this.locateCollection(ref, 'list', options);
    const items: KubeObject[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    let kind = `${at.mapping.kind}List`;
    do {
      const page = (
        await this.send<KubeList>('read', 'GET', at, options, undefined, {
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          limit: options.pageSize ?? 500,
          continue: continueToken,
        })
      ).body;
      // Lists of built-in kinds leave out apiVersion/kind on items; fill them so items stand alone
      // (a custom resource's list has them: its items are taken as they came, not copied).
      for (const item of page.items ?? []) {
        items.push(item.apiVersion && item.kind ? item : { ...item, apiVersion: item.apiVersion ?? at.mapping.apiVersion, kind: item.kind ?? at.mapping.kind });
      }
      continueToken = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      kind = page.kind ?? kind;
    } while (continueToken);
    return { apiVersion: at.mapping.apiVersion, kind, metadata: resourceVersion ? { resourceVersion } : {}, items };
  }

  // ---- writes ----

  async create(obj: KubeObject, options: WriteOptions = {}): Promise<KubeObject> {
    const ref = refOf(obj, false);
    const at = await this.locateCollection(ref, 'create', { ...(ref.namespace ? { namespace: ref.namespace } : {}) });
    const body = withNamespace(obj, at.namespace);
    const mode = options.dryRun ?? this.dryRun;
    if (mode === 'client') return body;
    return (await this.send<KubeObject>('write', 'POST', at, options, body, this.writeQuery(mode))).body;
  }

  /** PUT: replace the whole object; with metadata.resourceVersion set, fails with 409 if it changed. */
  async replace(obj: KubeObject, options: WriteOptions & { subresource?: string } = {}): Promise<KubeObject> {
    const ref = refOf(obj, true) as ObjectRef;
    const at = await this.locate(ref, 'update', ref.name, options.subresource);
    const body = withNamespace(obj, at.namespace);
    const mode = options.dryRun ?? this.dryRun;
    if (mode === 'client') return body;
    return (await this.send<KubeObject>('write', 'PUT', at, options, body, this.writeQuery(mode))).body;
  }

  /**
   * Patch with the given type. In client dry-run the live object is read and the patch applied to
   * it locally (exactly for merge/json, approximately for strategic/apply) and nothing is sent.
   */
  async patch(ref: ObjectRef, type: PatchType, patch: unknown, options: PatchOptions = {}): Promise<KubeObject> {
    const at = await this.locate(ref, 'patch', ref.name, options.subresource);
    if (type === 'strategic' && (await this.isCustomResource(at.mapping))) {
      throw new StepFailure(
        `${describeRef(ref)}: strategic merge patch is not supported for custom resources (${at.mapping.resource}.${at.mapping.group})`,
        { hint: 'use a merge, json or apply patch for custom resources' },
      );
    }
    if (type === 'json' && !Array.isArray(patch)) throw new StepFailure(`${describeRef(ref)}: a JSON patch must be a list of operations`);
    const mode = options.dryRun ?? this.dryRun;
    if (mode === 'client') return this.patchLocally(ref, at, type, patch, options);
    const query: Record<string, string | boolean | undefined> = this.writeQuery(mode);
    if (type === 'apply' && options.force) query.force = true;
    try {
      return (await this.send<KubeObject>('write', 'PATCH', at, options, patch, query, PATCH_CONTENT_TYPES[type])).body;
    } catch (err) {
      // Server-side apply counts our own earlier create/patch (operation Update) as another
      // manager. Conflicting with ourselves only is no conflict worth stopping for: take the fields.
      if (type === 'apply' && !options.force && this.conflictsOnlyWithSelf(err)) {
        return (await this.send<KubeObject>('write', 'PATCH', at, options, patch, { ...query, force: true }, PATCH_CONTENT_TYPES[type])).body;
      }
      throw err;
    }
  }

  private conflictsOnlyWithSelf(err: unknown): boolean {
    if (!isConflict(err)) return false;
    const causes = (err as KubeApiError).data?.causes as { message?: string }[] | undefined;
    const own = `conflict with "${this.fieldManager}"`;
    return Array.isArray(causes) && causes.length > 0 && causes.every((c) => c.message?.startsWith(own));
  }

  /** Server-side apply of a whole (or partial) object, field manager `runbook`. */
  apply(obj: KubeObject, options: PatchOptions = {}): Promise<KubeObject> {
    const ref = refOf(obj, true) as ObjectRef;
    return this.patch(ref, 'apply', obj, options);
  }

  /**
   * Delete. Resolves null when the object was already gone, else what the server answered (the
   * object, possibly with deletionTimestamp set while finalizers run). Client dry-run returns the
   * live object without deleting it.
   */
  async delete(ref: ObjectRef, options: DeleteOptions = {}): Promise<KubeObject | null> {
    const at = await this.locate(ref, 'delete', ref.name);
    const mode = options.dryRun ?? this.dryRun;
    if (mode === 'client') return this.get(ref, options);
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
    if (options.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = options.gracePeriodSeconds;
    if (options.preconditions) body.preconditions = options.preconditions;
    if (mode === 'server') body.dryRun = ['All'];
    try {
      return (await this.send<KubeObject>('write', 'DELETE', at, options, body)).body;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  // ---- watch ----

  /**
   * One watch connection from `resourceVersion`. Ends when the server closes it; throws on
   * failure (410 Gone means: list again). waitFor() in wait.ts builds reliable waits on this.
   */
  async *watch(ref: ResourceRef, options: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    const at = await this.locateCollection(ref, 'watch', options);
    this.transport.count('watch');
    yield* watchEvents(this.transport.kubeConfig, {
      path: at.path,
      query: {
        resourceVersion: options.resourceVersion,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        timeoutSeconds: options.timeoutSeconds,
        allowWatchBookmarks: options.allowBookmarks ?? true,
      },
      ctx: { ...at.ctx, ...(this.userName ? { user: this.userName } : {}) },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  // ---- internals ----

  private writeQuery(mode: DryRunMode): Record<string, string | undefined> {
    return { fieldManager: this.fieldManager, dryRun: mode === 'server' ? 'All' : undefined };
  }

  private async send<T>(
    kind: CallKind,
    method: HttpRequest['method'],
    at: Located,
    options: CallOptions,
    body?: unknown,
    query?: HttpRequest['query'],
    contentType?: string,
  ): Promise<{ body: T }> {
    return this.transport.request<T>({
      method,
      path: at.path,
      kind,
      ctx: at.ctx,
      ...(body !== undefined ? { body } : {}),
      ...(query ? { query } : {}),
      ...(contentType ? { contentType } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  private async patchLocally(ref: ObjectRef, at: Located, type: PatchType, patch: unknown, options: PatchOptions): Promise<KubeObject> {
    const live = await this.get(ref, options.subresource ? { ...options, subresource: options.subresource } : options);
    if (!live) {
      if (type === 'apply') return withNamespace(patch as KubeObject, at.namespace);
      throw errorFromStatus(404, { reason: 'NotFound', message: `${at.mapping.resource} "${ref.name}" not found` }, undefined, at.ctx);
    }
    return applyPatchLocally(live, type, patch) as KubeObject;
  }

  /**
   * Whether the kind is served by a CRD, which only accept merge/json/apply patches. Asks for the
   * CRD named `<plural>.<group>`; if that read is not allowed, guesses from the group name.
   */
  private isCustomResource(mapping: ResourceMapping): Promise<boolean> {
    if (mapping.group === '') return Promise.resolve(false);
    const name = `${mapping.resource}.${mapping.group}`;
    let known = this.crdCache.get(name);
    if (!known) {
      known = this.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name }).then(
        (crd) => crd !== null,
        () => mapping.group.includes('.') && !mapping.group.endsWith('.k8s.io'),
      );
      this.crdCache.set(name, known);
    }
    return known;
  }

  private async locate(ref: ResourceRef, verb: string, name: string, subresource?: string): Promise<Located> {
    const at = await this.locateCollection(ref, verb, { ...(ref.namespace ? { namespace: ref.namespace } : {}) });
    const path = `${at.path}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
    return { ...at, path, ctx: { ...at.ctx, name } };
  }

  private async locateCollection(ref: ResourceRef, verb: string, options: Pick<ListOptions, 'namespace' | 'allNamespaces'>): Promise<Located> {
    const mapping = await this.mapper.map(ref.apiVersion, ref.kind);
    const base = mapping.group === '' ? `/api/${mapping.version}` : `/apis/${mapping.group}/${mapping.version}`;
    let namespace: string | undefined;
    if (mapping.namespaced && !options.allNamespaces) namespace = options.namespace ?? ref.namespace ?? this.defaultNamespace;
    const path = namespace
      ? `${base}/namespaces/${encodeURIComponent(namespace)}/${mapping.resource}`
      : `${base}/${mapping.resource}`;
    const ctx: CallContext = { verb, group: mapping.group, resource: mapping.resource, ...(namespace ? { namespace } : {}) };
    return { mapping, namespace, path, ctx };
  }
}

function refOf(obj: KubeObject, needName: boolean): ResourceRef {
  if (!obj || typeof obj !== 'object' || !obj.apiVersion || !obj.kind) {
    throw new StepFailure('an object needs apiVersion and kind');
  }
  const name = obj.metadata?.name;
  if (needName && !name) throw new StepFailure(`${obj.kind}: metadata.name is required`);
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    ...(name ? { name } : {}),
    ...(obj.metadata?.namespace ? { namespace: obj.metadata.namespace } : {}),
  };
}

/** A copy with metadata.namespace set for namespaced kinds (the URL and the body must agree). */
function withNamespace(obj: KubeObject, namespace: string | undefined): KubeObject {
  const copy = cloneJson(obj);
  copy.metadata = { ...(copy.metadata ?? {}) };
  if (namespace) copy.metadata.namespace = namespace;
  return copy;
}
