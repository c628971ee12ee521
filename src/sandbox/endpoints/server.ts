// The sandbox's HTTP endpoints: one loopback port that answers for every host name a runbook's
// `http` steps call (Route hosts, InferenceService URLs, Gateway addresses), as the workloads behind
// them would. Simulator modules register handlers by host and path; the CLI is pointed here with a
// curl-style connect-to rule (`--connect-to ::127.0.0.1:PORT`) and trusts the sandbox CA, so the
// requests are real HTTP(S) over a real socket, with TLS verified against the host name asked for.
//
// One port serves both schemes: a connection whose first byte starts a TLS handshake goes to the
// HTTPS server (a certificate for the requested name is issued on the fly by the sandbox CA),
// anything else to the plain HTTP server.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { certificateAuthority, type CertificateAuthority } from '../webhooks/tls.js';

export interface EndpointRequest {
  method: string;
  /** The host name asked for (Host header, without the port). */
  host: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  scheme: 'http' | 'https';
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: unknown;
}

export interface EndpointAnswer {
  status: number;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
}

export interface EndpointHandler {
  /** A host name, a pattern, or a function; omitted: every host. */
  host?: string | RegExp | ((host: string) => boolean);
  /** Answers, or undefined to let the next handler try. */
  handle(req: EndpointRequest): EndpointAnswer | undefined | Promise<EndpointAnswer | undefined>;
}

export class SandboxEndpoints {
  private readonly handlers: EndpointHandler[] = [];
  private readonly contexts = new Map<string, SecureContext>();
  private readonly ca: CertificateAuthority = certificateAuthority('runbook sandbox endpoints CA');
  private readonly sockets = new Set<Socket>();
  private server?: NetServer;
  private portNumber = 0;
  /** Every request answered, in order: what tests read to see a check really called. */
  readonly requests: { method: string; host: string; path: string; status: number }[] = [];

  /** PEM of the CA the endpoints' certificates chain to. */
  get caPem(): string {
    return this.ca.cert;
  }

  get port(): number {
    if (!this.server) throw new Error('the sandbox endpoints are not started');
    return this.portNumber;
  }

  /** The curl-style rule that sends every host and port here: the CLI's --connect-to / RUNBOOK_CONNECT_TO. */
  get connectTo(): string {
    return `::127.0.0.1:${this.port}`;
  }

  /** Adds a handler; returns a function that removes it. Later handlers are asked first. */
  register(handler: EndpointHandler): () => void {
    this.handlers.unshift(handler);
    return () => {
      const i = this.handlers.indexOf(handler);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  async start(): Promise<void> {
    const answer = (scheme: 'http' | 'https') => (req: IncomingMessage, res: ServerResponse) => void this.answer(scheme, req, res);
    const http = createHttpServer({ keepAlive: true }, answer('http'));
    const https = createHttpsServer(
      {
        ...this.issue('localhost'),
        SNICallback: (name, cb) => {
          try {
            cb(null, this.contextFor(name));
          } catch (err) {
            cb(err as Error);
          }
        },
      },
      answer('https'),
    );
    this.server = createNetServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.once('readable', () => {
        const first = socket.read(1) as Buffer | null;
        if (!first) return;
        socket.unshift(first);
        (first[0] === 0x16 ? https : http).emit('connection', socket);
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.portNumber = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  private issue(name: string): { cert: string; key: string } {
    const isIp = /^\d+\.\d+\.\d+\.\d+$/.test(name);
    const issued = this.ca.issue(isIp ? { ips: [name] } : { dnsNames: [name] });
    return { cert: issued.cert + this.ca.cert, key: issued.key };
  }

  private contextFor(name: string): SecureContext {
    let ctx = this.contexts.get(name);
    if (!ctx) {
      ctx = createSecureContext(this.issue(name));
      this.contexts.set(name, ctx);
    }
    return ctx;
  }

  private async answer(scheme: 'http' | 'https', req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    let json: unknown;
    if (body) {
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
    }
    const request: EndpointRequest = { method: req.method ?? 'GET', host, path: url.pathname, query: url.searchParams, scheme, headers: req.headers, body, json };
    let reply: EndpointAnswer | undefined;
    try {
      for (const h of [...this.handlers]) {
        if (!matches(h.host, host)) continue;
        reply = await h.handle(request);
        if (reply) break;
      }
    } catch (err) {
      reply = { status: 500, json: { error: (err as Error).message } };
    }
    // What a router says for a host nothing serves: OpenShift's router answers 503 with its page.
    reply ??= { status: 503, body: `Application is not available: no route or service answers for ${host}${url.pathname}\n` };
    this.requests.push({ method: request.method, host, path: request.path, status: reply.status });
    const text = reply.json !== undefined ? JSON.stringify(reply.json) : reply.body ?? '';
    res.writeHead(reply.status, { 'content-type': reply.json !== undefined ? 'application/json' : 'text/plain; charset=utf-8', ...reply.headers });
    res.end(req.method === 'HEAD' ? undefined : text);
  }
}

function matches(pattern: EndpointHandler['host'], host: string): boolean {
  if (pattern === undefined) return true;
  if (typeof pattern === 'string') return pattern.toLowerCase() === host.toLowerCase();
  if (pattern instanceof RegExp) return pattern.test(host);
  return pattern(host);
}
