// One HTTP round trip to the API server through client-node's own request machinery (auth plugins,
// exec credentials, client certificates, proxies), with raw JSON in and out. Counts every call so
// callers can prove that a re-run wrote nothing.
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  HttpMethod,
  type KubeConfig,
  ServerConfiguration,
  createConfiguration,
  type Configuration,
} from './client-node.js';
import { RunAborted, StepFailure } from '../contract/errors.js';
import { type CallContext, classifyKubeError, errorFromStatus } from './errors.js';
import { DEFAULT_RETRY_BUDGET, type RetryBudget, resendDelayMs, shouldResend } from './retry-policy.js';

type RequestContext = ReturnType<ServerConfiguration<Record<string, string>>['makeRequestContext']>;

/**
 * Sends what client-node prepared (URL, headers with the credentials, TLS agent) with Node's own
 * client. client-node's fetch layer cost about as much CPU per call as everything else we do for
 * it: thousands of calls in a loop spent most of their time there.
 */
function send(ctx: RequestContext): Promise<{ status: number; headers: Record<string, string>; text: string }> {
  const url = new URL(ctx.getUrl());
  const body = ctx.getBody() as string | undefined;
  const headers: Record<string, string | number> = { ...ctx.getHeaders() };
  if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
  const client = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      { method: ctx.getHttpMethod().toString(), headers, agent: ctx.getAgent(), signal: ctx.getSignal() as AbortSignal | undefined },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const flat: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
          resolve({ status: res.statusCode ?? 0, headers: flat, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
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
  private readonly configuration: Configuration;
  private keepAliveAgent: https.Agent | undefined;
  private readonly resendListeners = new Set<ResendListener>();

  constructor(
    readonly kubeConfig: KubeConfig,
    readonly userName: string | undefined,
    private readonly requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
    private readonly budget: RetryBudget = DEFAULT_RETRY_BUDGET,
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new StepFailure('the kubeconfig has no current cluster');
    this.configuration = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kubeConfig },
    });
  }

  count(kind: CallKind | 'watch'): void {
    if (kind === 'read') this.stats.reads++;
    else if (kind === 'write') this.stats.writes++;
    else if (kind === 'discovery') this.stats.discovery++;
    else this.stats.watches++;
  }

  /**
   * client-node builds a fresh https.Agent for every request, which costs a TLS handshake per
   * call. Reuse one keep-alive agent with the same TLS options instead; the auth headers are still
   * computed per request so expiring tokens keep working.
   */
  private reuseAgent(agent: unknown): unknown {
    if (!(agent instanceof https.Agent) || agent.constructor !== https.Agent) return agent;
    this.keepAliveAgent ??= new https.Agent({ ...agent.options, keepAlive: true });
    return this.keepAliveAgent;
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
    const ctx = this.configuration.baseServer.makeRequestContext(req.path, HttpMethod[req.method]);
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) ctx.setQueryParam(key, String(value));
    }
    ctx.setHeaderParam('Accept', 'application/json');
    if (req.body !== undefined) {
      ctx.setHeaderParam('Content-Type', req.contentType ?? 'application/json');
      // The API server compares a JSON patch `test` value with the bytes of its own encoding, and
      // Go's encoder writes "&", "<", ">" as \u0026, \u003c, \u003e: sent plainly, a test of a string
      // holding one (a shell command with &&) fails with 422. Escaped, the JSON means the same.
      ctx.setBody(JSON.stringify(req.body).replace(/[&<>]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`));
    }
    // One controller per request, its timer cleared and its listener removed when the answer is in.
    // AbortSignal.timeout and AbortSignal.any left a 60 s timer and a dependent signal behind for
    // every call, thousands of them in a loop.
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort(new DOMException(`no answer within ${this.requestTimeoutMs} ms`, 'TimeoutError'));
    }, this.requestTimeoutMs);
    const onAbort = (): void => abort.abort(req.signal?.reason);
    if (req.signal?.aborted) onAbort();
    else req.signal?.addEventListener('abort', onAbort, { once: true });
    ctx.setSignal(abort.signal as Parameters<typeof ctx.setSignal>[0]);
    const callCtx: CallContext = { ...req.ctx, ...(this.userName ? { user: this.userName } : {}) };

    this.count(req.kind);
    let status: number;
    let headers: Record<string, string>;
    let text: string;
    try {
      await this.kubeConfig.applySecurityAuthentication(ctx);
      ctx.setAgent(this.reuseAgent(ctx.getAgent()) as Parameters<typeof ctx.setAgent>[0]);
      ({ status, headers, text } = await send(ctx));
    } catch (err) {
      if (req.signal?.aborted) throw new RunAborted(`${req.ctx.verb} aborted`, { cause: err });
      if (timedOut) {
        throw new StepFailure(
          `${req.ctx.verb} ${req.path}: the API server did not answer within ${this.requestTimeoutMs} ms`,
          { transient: true, connection: true, cause: err },
        );
      }
      throw classifyKubeError(err, callCtx);
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    }
    if (status < 200 || status > 299) throw errorFromStatus(status, text, headers, callCtx);
    const body = (text ? JSON.parse(text) : undefined) as T;
    return { status, headers, body };
  }
}
