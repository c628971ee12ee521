// The foreach bench's baseline as a program of its own: a raw client with no framework, one LIST
// and then one JSON patch per Notebook over keep-alive HTTPS, PARALLEL at a time (with --read, a
// GET before each PATCH). It runs as its own process, as runbook and the other peers do: it starts
// Node, opens its connections and runs its code cold, and the bench times it from spawn to exit.
// It imports only Node: the server, CA and token come from the bench in RUNBOOK_BENCH_SERVER.
// The bench uses its client and its migration in its own process too (seeding, checks, the warm
// reference run).
//
//   RUNBOOK_BENCH_SERVER='{"server":…,"ca":…,"token":…}' node raw-client.js NAMESPACE [--read]
import { Agent, request } from 'node:https';
import { pathToFileURL } from 'node:url';

export const PARALLEL = 32;
const NOTEBOOKS = '/apis/kubeflow.org/v1/namespaces';
/** The migration as one JSON patch: the oauth-proxy container is second in the bench's Notebooks. */
export const PATCH = [
  { op: 'test', path: '/spec/template/spec/containers/1/name', value: 'oauth-proxy' },
  { op: 'remove', path: '/spec/template/spec/containers/1' },
  { op: 'remove', path: '/metadata/annotations/notebooks.opendatahub.io~1inject-oauth' },
  { op: 'add', path: '/metadata/annotations/notebooks.opendatahub.io~1inject-auth', value: 'true' },
];

/** Where the server is and how to reach it: what the bench reads from the kubeconfig. */
export interface ServerAccess {
  server: string;
  /** The CA certificate, base64 (as in a kubeconfig). */
  ca: string;
  token: string;
}

/** A bare HTTPS client on the server: keep-alive, `parallel` sockets, the token as bearer. */
export interface Api {
  call(method: string, path: string, body?: unknown, type?: string): Promise<{ status: number; body: string }>;
  close(): void;
}

export interface NotebookList {
  items: Array<{ metadata: { name: string; annotations?: Record<string, string> }; spec: { template: { spec: { containers: Array<{ name: string }> } } } }>;
}

export function httpsApi(access: ServerAccess, parallel = PARALLEL): Api {
  const server = new URL(access.server);
  const agent = new Agent({ keepAlive: true, maxSockets: parallel, ca: Buffer.from(access.ca, 'base64') });
  return {
    call: (method, path, body, type = 'application/json') =>
      new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const headers = { authorization: `Bearer ${access.token}`, accept: 'application/json', ...(data ? { 'content-type': type, 'content-length': Buffer.byteLength(data) } : {}) };
        const req = request({ agent, host: server.hostname, port: server.port, method, path, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(data);
      }),
    close: () => agent.destroy(),
  };
}

/** `body` for each item, `width` at a time. */
export async function inParallel<T>(items: readonly T[], width: number, body: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await body(items[next++]!);
    }),
  );
}

/** The migration: one LIST, then a PATCH (with `read`, a GET first) per Notebook still on oauth-proxy. */
export async function migrate(api: Api, namespace: string, read = false): Promise<{ todo: number; failed: number }> {
  const list = await api.call('GET', `${NOTEBOOKS}/${namespace}/notebooks`);
  if (list.status !== 200) throw new Error(`LIST: HTTP ${list.status}`);
  const todo = (JSON.parse(list.body) as NotebookList).items.filter((i) => i.spec.template.spec.containers.some((c) => c.name === 'oauth-proxy'));
  let failed = 0;
  await inParallel(todo, PARALLEL, async (item) => {
    const path = `${NOTEBOOKS}/${namespace}/notebooks/${item.metadata.name}`;
    if (read && (await api.call('GET', path)).status !== 200) failed++;
    if ((await api.call('PATCH', path, PATCH, 'application/json-patch+json')).status !== 200) failed++;
  });
  return { todo: todo.length, failed };
}

async function main(): Promise<void> {
  const [namespace, flag] = process.argv.slice(2);
  const access = JSON.parse(process.env.RUNBOOK_BENCH_SERVER ?? 'null') as ServerAccess | null;
  if (!namespace || !access) throw new Error('usage: RUNBOOK_BENCH_SERVER=… raw-client.js NAMESPACE [--read]');
  const api = httpsApi(access);
  const outcome = await migrate(api, namespace, flag === '--read');
  api.close();
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  if (outcome.failed) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
