// A watch connection as an async iterable of events, on top of client-node's Watch. Ends when the
// server closes the connection; throws (classified) when it fails or sends an ERROR event, so the
// caller decides between reconnecting (network), re-listing (410 Gone) and giving up (403).
import { Watch, type KubeConfig } from './client-node.js';
import { RunAborted } from '../contract/errors.js';
import { type ApiStatus, type CallContext, classifyKubeError, errorFromStatus } from './errors.js';
import type { KubeObject } from './types.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface WatchRequest {
  path: string;
  query: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
  ctx: CallContext;
}

type Item = { event: WatchEvent } | { error: unknown } | { end: true };

export async function* watchEvents(kubeConfig: KubeConfig, req: WatchRequest): AsyncGenerator<WatchEvent> {
  if (req.signal?.aborted) throw new RunAborted('watch aborted');
  const queue: Item[] = [];
  let wake: (() => void) | undefined;
  let stoppedByUs = false;
  const push = (item: Item): void => {
    queue.push(item);
    wake?.();
    wake = undefined;
  };

  const onEvent = (type: string, object: unknown): void => {
    if (type === 'ERROR') {
      const status = object as ApiStatus;
      push({ error: errorFromStatus(status.code ?? 500, status, undefined, req.ctx) });
    } else if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED' || type === 'BOOKMARK') {
      push({ event: { type, object: object as KubeObject } });
    }
  };
  const onDone = (err: unknown): void => {
    // Aborting the request ourselves surfaces as an AbortError; that is a normal end.
    if (stoppedByUs) push({ end: true });
    else push(err ? { error: classifyKubeError(err, req.ctx) } : { end: true });
  };

  const controller = await new Watch(kubeConfig).watch(req.path, req.query, onEvent, onDone);
  const stop = (): void => {
    stoppedByUs = true;
    controller.abort();
  };
  const onAbort = (): void => {
    stop();
    push({ error: new RunAborted('watch aborted') });
  };
  req.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const item = queue.shift();
      if (!item) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if ('event' in item) yield item.event;
      else if ('error' in item) throw item.error;
      else return;
    }
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
    stop();
  }
}
