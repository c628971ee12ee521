// The `http` step through the executor, against a small HTTP server the test runs on 127.0.0.1:
// status and body checks, JSON output, 5xx retried as transient, and dry runs that send only
// reads.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runStep } from './support/run-step.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('http step', () => {
  let server: Server;
  let base: string;
  let seen: Seen[];
  let unavailableLeft = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        if (req.url === '/v2/models/granite') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'granite', ready: true }));
        } else if (req.url === '/flaky' && unavailableLeft > 0) {
          unavailableLeft--;
          res.writeHead(503).end('warming up');
        } else if (req.url === '/flaky') {
          res.writeHead(200).end('ready');
        } else if (req.url === '/echo') {
          res.writeHead(201).end(body);
        } else {
          res.writeHead(404).end('no such route');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen = [];
  });

  it('GET: checks the status and body and registers parsed JSON', async () => {
    const run = await runStep('http', { url: '{{ endpoint }}/v2/models/granite', bodyContains: '"ready":true', parseJson: true, headers: { Authorization: 'Bearer abc' } }, { vars: { endpoint: base } });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('ok');
    expect(run.result?.summary).toBe(`GET ${base}/v2/models/granite: 200`);
    expect((run.output as { json: unknown }).json).toEqual({ name: 'granite', ready: true });
    expect(seen[0]!.headers.authorization).toBe('Bearer abc');
  });

  it('an unexpected status fails with the status and the start of the body', async () => {
    const run = await runStep('http', { url: `${base}/missing` });
    expect(run.status).toBe('failed');
    expect(run.error).toBe(`GET ${base}/missing answered 404, expected 200: no such route`);
    expect(run.result?.error?.transient).toBe(false);
  });

  it('a body without the expected text fails', async () => {
    const run = await runStep('http', { url: `${base}/v2/models/granite`, bodyContains: 'llama' });
    expect(run.status).toBe('failed');
    expect(run.error).toBe(`GET ${base}/v2/models/granite: the response does not contain "llama"`);
  });

  it('a 5xx is transient: retried until the endpoint answers', async () => {
    unavailableLeft = 2;
    const run = await runStep('http', { url: `${base}/flaky`, bodyContains: 'ready' }, { common: { retries: 3, backoff: { delay: '20ms' } } });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('ok');
    expect(run.result?.attempts).toBe(3);
    expect(seen.map((s) => s.url)).toEqual(['/flaky', '/flaky', '/flaky']);
  });

  it('a refused connection is transient and says where', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const run = await runStep('http', { url: `http://127.0.0.1:${port}/` });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(new RegExp(`^GET http://127.0.0.1:${port}/: .*ECONNREFUSED`));
    expect(run.result?.error?.transient).toBe(true);
  });

  it('POST sends a JSON body with its content type; expectStatus accepts other codes', async () => {
    const run = await runStep('http', { url: `${base}/echo`, method: 'POST', body: { prompt: 'hi' }, expectStatus: [200, 201] });
    expect(run.status).toBe('ok');
    expect(seen[0]).toMatchObject({ method: 'POST', body: '{"prompt":"hi"}', headers: expect.objectContaining({ 'content-type': 'application/json' }) });
  });

  it('a dry run sends GET but not POST', async () => {
    const post = await runStep('http', { url: `${base}/echo`, method: 'POST', body: 'x' }, { dryRun: 'client' });
    expect(post.status).toBe('ok');
    expect(post.result?.summary).toBe(`dry run: would send POST ${base}/echo`);
    expect(seen).toEqual([]);
    const get = await runStep('http', { url: `${base}/v2/models/granite` }, { dryRun: 'server' });
    expect(get.status).toBe('ok');
    expect(seen).toHaveLength(1);
  });
});
