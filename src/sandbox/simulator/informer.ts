// A long-lived list + watch of one kind with a local cache, as controllers use: list, watch from
// the list's resourceVersion, list again on 410 Gone, reconnect with backoff when the connection
// drops. Every change is handed to the controller's callback.
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClient } from '../../kube/client.js';
import { isGone } from '../../kube/errors.js';
import type { KubeObject, ResourceRef } from '../../kube/types.js';

export type InformerEvent = 'added' | 'modified' | 'deleted';

export class Informer {
  private readonly cache = new Map<string, KubeObject>();
  private synced!: () => void;
  /** Resolves after the first list: the cache then holds every object. */
  readonly ready = new Promise<void>((r) => (this.synced = r));

  constructor(
    private readonly kube: KubeClient,
    readonly ref: ResourceRef,
    private readonly onChange: (type: InformerEvent, obj: KubeObject) => void,
    private readonly signal: AbortSignal,
  ) {}

  get(name: string, namespace?: string): KubeObject | undefined {
    return this.cache.get(key(namespace, name));
  }

  list(namespace?: string): KubeObject[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  /** Runs until the signal aborts; never throws. */
  async run(): Promise<void> {
    let delay = 100;
    while (!this.signal.aborted) {
      try {
        const list = await this.kube.list(this.ref, { allNamespaces: true, signal: this.signal });
        const seen = new Set<string>();
        for (const item of list.items) {
          const obj = { ...item, apiVersion: this.ref.apiVersion, kind: this.ref.kind };
          const k = keyOf(obj);
          seen.add(k);
          const before = this.cache.get(k);
          this.cache.set(k, obj);
          if (!before) this.onChange('added', obj);
          else if (before.metadata.resourceVersion !== obj.metadata.resourceVersion) this.onChange('modified', obj);
        }
        for (const [k, obj] of this.cache) {
          if (!seen.has(k)) {
            this.cache.delete(k);
            this.onChange('deleted', obj);
          }
        }
        this.synced();
        let resourceVersion = list.metadata.resourceVersion;
        // Each watch lasts at most CYCLE_MS, ended from this side, and is followed by a new list:
        // a connection that stays open but stops delivering events (seen under heavy load) would
        // otherwise leave the cache stale for as long as the connection lives.
        const cycle = AbortSignal.any([this.signal, AbortSignal.timeout(CYCLE_MS)]);
        for (;;) {
          if (cycle.aborted) break;
          for await (const event of this.kube.watch(this.ref, { allNamespaces: true, resourceVersion, timeoutSeconds: Math.ceil(CYCLE_MS / 1000), allowBookmarks: true, signal: cycle })) {
            delay = 100;
            resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
            if (event.type === 'BOOKMARK') continue;
            const obj = { ...event.object, apiVersion: this.ref.apiVersion, kind: this.ref.kind };
            if (event.type === 'DELETED') {
              this.cache.delete(keyOf(obj));
              this.onChange('deleted', obj);
            } else {
              this.cache.set(keyOf(obj), obj);
              this.onChange(event.type === 'ADDED' ? 'added' : 'modified', obj);
            }
          }
        }
      } catch (err) {
        if (this.signal.aborted) return;
        if (!isGone(err)) {
          await sleep(delay, undefined, { signal: this.signal }).catch(() => undefined);
          delay = Math.min(delay * 2, 2_000);
        }
      }
    }
  }
}

/** How long one list + watch cycle lasts before the informer lists again. */
const CYCLE_MS = 15_000;

export function key(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export function keyOf(obj: KubeObject): string {
  return key(obj.metadata.namespace, obj.metadata.name!);
}
