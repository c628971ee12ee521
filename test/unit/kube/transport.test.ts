// The transport's own deadline and the run's abort, against a server that takes the connection
// and never answers (what a hung API server or a black-holed proxy does).
import { getEventListeners, once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunAborted, StepFailure } from '../../../src/contract/errors.js';
import { KubeConfig } from '../../../src/kube/client-node.js';
import { ApiTransport, type HttpRequest } from '../../../src/kube/transport.js';

let server: Server;
let url: string;

beforeAll(async () => {
  // Reads the request and never answers; answers /ok at once.
  server = createServer((req, res) => {
    if (req.url?.startsWith('/ok')) res.end('{"kind":"Status"}');
    if (req.url?.startsWith('/cut')) {
      // Promises 100 bytes, sends a few, and hangs up.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"kind":');
      setTimeout(() => req.socket.destroy(), 20);
    }
    if (req.url?.startsWith('/proxied/')) res.end(JSON.stringify({ url: req.url, authorization: req.headers.authorization }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

function transport(timeoutMs: number, server = url): ApiTransport {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  // No resends: each test sees its one request's outcome.
  return new ApiTransport(kc, 'u', timeoutMs, { retries: 0, initialDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 });
}

const get = (path: string, signal?: AbortSignal): HttpRequest => ({ method: 'GET', path, kind: 'read', ctx: { verb: 'get', resource: 'configmaps' }, ...(signal ? { signal } : {}) });

describe('the API transport', () => {
  it('gives up on a server that does not answer within the request timeout, as a transient failure', async () => {
    const started = Date.now();
    const err = await transport(300).request(get('/hang')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailure);
    expect((err as StepFailure).message).toContain('the API server did not answer within 300 ms');
    expect((err as StepFailure).transient).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops a request when the run is aborted, as an abort rather than a failure', async () => {
    const run = new AbortController();
    const pending = transport(60_000).request(get('/hang', run.signal)).catch((e: unknown) => e);
    setTimeout(() => run.abort(new Error('Ctrl-C')), 100);
    expect(await pending).toBeInstanceOf(RunAborted);
  });

  it('leaves no listener on the run signal and no timer once requests are answered', async () => {
    const run = new AbortController();
    const t = transport(60_000);
    for (let i = 0; i < 20; i++) expect((await t.request(get('/ok', run.signal))).status).toBe(200);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
    // A 60 s timer left per request would keep the process alive: none is pending.
    const timers = (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().filter((r) => r === 'Timeout');
    expect(timers.length).toBeLessThan(5);
  });

  it('keeps the path a server sits under, and sends the query and the credentials', async () => {
    const t = transport(60_000, `${url}/proxied/c-1/`);
    const answer = await t.request<{ url: string; authorization: string }>({ ...get('/api/v1/namespaces'), query: { labelSelector: 'app in (a,b)', limit: 500, continue: undefined } });
    expect(answer.body).toEqual({ url: '/proxied/c-1/api/v1/namespaces?labelSelector=app+in+%28a%2Cb%29&limit=500', authorization: 'Bearer t' });
  });

  it('takes an answer cut off mid-body for a failure to reach the server, which a retry may fix', async () => {
    const err = await transport(60_000).request(get('/cut')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailure);
    expect((err as StepFailure).transient).toBe(true);
    expect((err as StepFailure).message).toMatch(/cannot reach the API server \(ECONNRESET\)/);
  });
});
