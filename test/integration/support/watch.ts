import { Watch, type KubeConfig } from '@kubernetes/client-node';

export interface WatchEvent {
  type: string;
  object: { metadata?: { name?: string }; code?: number; reason?: string } & Record<string, unknown>;
}

export interface OpenWatch {
  events: WatchEvent[];
  /** Resolves with the error (or null) once the server or we close the stream. */
  closed: Promise<unknown>;
  stop(): void;
}

/** Opens a watch and records every event, so tests can wait for the ones they expect. */
export async function openWatch(kc: KubeConfig, path: string, query: Record<string, string>): Promise<OpenWatch> {
  const events: WatchEvent[] = [];
  let resolveClosed: (error: unknown) => void = () => {};
  const closed = new Promise<unknown>((resolve) => {
    resolveClosed = resolve;
  });
  const controller = await new Watch(kc).watch(
    path,
    query,
    (type, object) => events.push({ type, object: object as WatchEvent['object'] }),
    (error) => resolveClosed(error),
  );
  return { events, closed, stop: () => controller.abort() };
}
