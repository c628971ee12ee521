// One HTTP round trip to the API server through client-node's own request machinery (auth plugins,
// exec credentials, client certificates, proxies), with raw JSON in and out. Counts every call so
// callers can prove that a re-run wrote nothing.
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from './client-node.js';
import { RunAborted, StepFailure } from '../contract/errors.js';
import { Credentials } from './credentials.js';
import { type CallContext, classifyKubeError, errorFromStatus } from './errors.js';
import { DEFAULT_RETRY_BUDGET, type RetryBudget, resendDelayMs, shouldResend } from './retry-policy.js';

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** Where the cluster's server is, split once into what Node's client takes. */
interface ServerAddress {
  client: typeof http | typeof https;
  hostname: string;
  port: string;
  /** A path the server sits under (a proxy's /k8s/clusters/c-1), without its trailing slash. */
  basePath: string;
}

function serverAddress(server: string): ServerAddress {
  const url = new URL(server);
  return {
    client: url.protocol === 'http:' ? http : https,
    // An IPv6 address comes in brackets, which Node's client does not take.
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port,
    basePath: url.pathname.replace(/\/+$/, ''),
  };
}

/**
 * One request with Node's own client. client-node's fetch layer cost about as much CPU per call as
 * everything else we do for it: thousands of calls in a loop spent most of their time there. The
 * deadline and the run's abort destroy the request themselves: an AbortController per request, and
 * the listeners Node's client hangs on its signal, cost more than the request's own work.
 */
function send(
  address: ServerAddress,
  options: { method: string; path: string; headers: Record<string, string | number>; agent: http.Agent | undefined; body: string | undefined },
  deadline: { ms: number; onTimeout: () => Error },
  signal: AbortSignal | undefined,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // Settles once; the timer and the abort listener go with the first outcome.
    const done = (outcome: () => void): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const fail = (err: unknown): void => done(() => reject(err));
    const req = address.client.request(
      { hostname: address.hostname, port: address.port, method: options.method, path: options.path, headers: options.headers, agent: options.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('close', () => {
          // Node reports a cut answer as an error first; this covers a close that comes alone.
          if (!res.complete) fail(Object.assign(new Error('the connection closed before the whole answer came'), { code: 'ECONNRESET' }));
        });
        res.on('end', () => {
          const flat: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
          done(() => resolve({ status: res.statusCode ?? 0, headers: flat, text: Buffer.concat(chunks).toString('utf8') }));
        });
      },
    );
    const timer = setTimeout(() => req.destroy(deadline.onTimeout()), deadline.ms);
    const onAbort = (): void => {
      req.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', fail);
    req.end(options.body);
  });
}

/** What kind of call it was, for the counters. */
export type CallKind = 'read' | 'write' | 'discovery';

/** Calls per kind. `writes` counts every mutating request sent, server dry-runs included; client dry-runs send none. */
export interface CallStats {
  reads: number;
  writes: number;
  /** Watch connections opened (each reconnect counts). */
  watches: number;
  discovery: number;
  /** Requests sent again after a transient failure (each resend counts once more above too). */
  resends: number;
}

export function emptyStats(): CallStats {
  return { reads: 0, writes: 0, watches: 0, discovery: 0, resends: 0 };
}

/** Told of every resend, so a person sees that the cluster is flaky rather than a long pause. */
export type ResendListener = (info: { method: string; path: string; retry: number; delayMs: number; error: string }) => void;

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  kind: CallKind;
  /** For error messages. */
  ctx: CallContext;
  /** A repeat is harmless although the method alone does not say so (access reviews). */
  idempotent?: boolean;
}

export interface HttpAnswer<T> {
  status: number;
  headers: Record<string, string>;
  body: T;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export class ApiTransport {
  readonly stats: CallStats = emptyStats();
  private readonly address: ServerAddress;
  private readonly credentials: Credentials;
  private readonly resendListeners = new Set<ResendListener>();

  constructor(
    readonly kubeConfig: KubeConfig,
    readonly userName: string | undefined,
    private readonly requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
    private readonly budget: RetryBudget = DEFAULT_RETRY_BUDGET,
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new StepFailure('the kubeconfig has no current cluster');
    this.address = serverAddress(cluster.server);
    this.credentials = new Credentials(kubeConfig);
  }

  count(kind: CallKind | 'watch'): void {
    if (kind === 'read') this.stats.reads++;
    else if (kind === 'write') this.stats.writes++;
    else if (kind === 'discovery') this.stats.discovery++;
    else this.stats.watches++;
  }

  onResend(listener: ResendListener): () => void {
    this.resendListeners.add(listener);
    return () => this.resendListeners.delete(listener);
  }

  /**
   * One request, sent again after a transient failure when that is safe (retry-policy.ts), within
   * the budget; the last failure is thrown as it came.
   */
  async request<T = unknown>(req: HttpRequest): Promise<HttpAnswer<T>> {
    for (let retry = 1; ; retry++) {
      try {
        return await this.requestOnce<T>(req);
      } catch (err) {
        if (retry > this.budget.retries || req.signal?.aborted || !shouldResend(req, err)) throw err;
        const delayMs = resendDelayMs(this.budget, retry, err);
        this.stats.resends++;
        const error = err instanceof Error ? err.message : String(err);
        for (const listener of this.resendListeners) listener({ method: req.method, path: req.path, retry, delayMs, error });
        try {
          await sleep(delayMs, undefined, req.signal ? { signal: req.signal } : undefined);
        } catch {
          throw new RunAborted(`${req.ctx.verb} aborted`, { cause: err });
        }
      }
    }
  }

  private async requestOnce<T = unknown>(req: HttpRequest): Promise<HttpAnswer<T>> {
    let path = this.address.basePath + req.path;
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(req.query ?? {})) if (value !== undefined) query.append(key, String(value));
    if (query.size) path += `${path.includes('?') ? '&' : '?'}${query.toString()}`;
    let body: string | undefined;
    if (req.body !== undefined) {
      // The API server compares a JSON patch `test` value with the bytes of its own encoding, and
      // Go's encoder writes "&", "<", ">" as \u0026, \u003c, \u003e: sent plainly, a test of a string
      // holding one (a shell command with &&) fails with 422. Escaped, the JSON means the same.
      body = JSON.stringify(req.body).replace(/[&<>]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
    }
    const callCtx: CallContext = { ...req.ctx, ...(this.userName ? { user: this.userName } : {}) };

    this.count(req.kind);
    let timedOut = false;
    let answer: Answer;
    try {
      if (req.signal?.aborted) throw req.signal.reason;
      const credentials = await this.credentials.forRequest();
      const headers: Record<string, string | number> = { Accept: 'application/json', ...credentials.headers };
      if (body !== undefined) {
        headers['Content-Type'] = req.contentType ?? 'application/json';
        headers['Content-Length'] = Buffer.byteLength(body);
      }
      const deadline = {
        ms: this.requestTimeoutMs,
        onTimeout: () => {
          timedOut = true;
          return new DOMException(`no answer within ${this.requestTimeoutMs} ms`, 'TimeoutError');
        },
      };
      answer = await send(this.address, { method: req.method, path, headers, agent: credentials.agent, body }, deadline, req.signal);
    } catch (err) {
      if (req.signal?.aborted) throw new RunAborted(`${req.ctx.verb} aborted`, { cause: err });
      if (timedOut) {
        throw new StepFailure(
          `${req.ctx.verb} ${req.path}: the API server did not answer within ${this.requestTimeoutMs} ms`,
          { transient: true, connection: true, cause: err },
        );
      }
      throw classifyKubeError(err, callCtx);
    }
    const { status, headers, text } = answer;
    if (status < 200 || status > 299) throw errorFromStatus(status, text, headers, callCtx);
    return { status, headers, body: (text ? JSON.parse(text) : undefined) as T };
  }
}
