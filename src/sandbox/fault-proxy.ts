// A proxy in front of the API server that fails on purpose: 500s, 429s with Retry-After, reset
// connections and watches cut mid-stream, on demand or by a seeded schedule, so retries and watch
// reconnects are proven against a real server rather than a mock.
//
// TLS: the proxy terminates TLS (it must read requests to answer 429s and count watch events) with
// the API server's own self-signed serving certificate and key from the control plane's cert dir.
// That certificate names 127.0.0.1, where the proxy listens, so the kubeconfig for the proxy is
// the API server's with only the server URL changed: same token, same CA, verification stays on.
// Requests are forwarded with their Authorization header; client-certificate users are not supported.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import https from 'node:https';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { type Fault, type FaultRule, FaultSchedule } from './fault-rules.js';

export type { Fault, FaultMatch, FaultRule } from './fault-rules.js';

export interface FaultProxyOptions {
  /** Kubeconfig of the API server to stand in front of (its current context). */
  kubeconfigPath: string;
  /** Serving certificate chain and key, PEM; see servingTlsOf() for a sandbox control plane. */
  tls: { cert: string; key: string };
  /** Where to write the kubeconfig that points at the proxy. */
  kubeconfigOut: string;
  /** Seed of the draws for rules with a probability. Default 1. */
  seed?: number;
  rules?: FaultRule[];
}

export interface InjectedFault {
  method: string;
  url: string;
  fault: Fault['type'];
  at: number;
}

export interface FaultProxy {
  /** https://127.0.0.1:<port> */
  server: string;
  /** The API server's kubeconfig with the proxy as server. */
  kubeconfigPath: string;
  /** Adds a rule after the existing ones (on demand, while clients run). */
  inject(rule: FaultRule): void;
  /** Removes every rule: requests pass untouched from now on. */
  clear(): void;
  /** Requests seen so far. */
  readonly requests: number;
  /** Every fault injected, in order. */
  readonly injected: readonly InjectedFault[];
  /** Writes a copy of another kubeconfig of the same API server (e.g. the viewer's) pointing at the proxy. */
  writeKubeconfig(from: string, to: string): Promise<void>;
  stop(): Promise<void>;
}

/** The serving certificate and key kube-apiserver wrote into a control plane's folder. */
export function servingTlsOf(controlPlaneDir: string): { cert: string; key: string } {
  return { cert: readFileSync(join(controlPlaneDir, 'certs', 'apiserver.crt'), 'utf8'), key: readFileSync(join(controlPlaneDir, 'certs', 'apiserver.key'), 'utf8') };
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const kc = new KubeConfig();
  kc.loadFromFile(options.kubeconfigPath);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`${options.kubeconfigPath}: no current cluster`);
  const upstream = new URL(cluster.server);
  const ca = cluster.caData ? Buffer.from(cluster.caData, 'base64') : cluster.caFile ? readFileSync(cluster.caFile) : undefined;
  const agent = new https.Agent({ keepAlive: true, ...(ca ? { ca } : {}), rejectUnauthorized: !cluster.skipTLSVerify });
  const schedule = new FaultSchedule(options.seed ?? 1, options.rules);
  const injected: InjectedFault[] = [];
  let requests = 0;

  const forward = (req: IncomingMessage, res: ServerResponse, cut?: Extract<Fault, { type: 'cutWatch' }>): void => {
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !HOP_BY_HOP.has(k)));
    const out = https.request({ protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent }, (answer) => {
      const back = Object.fromEntries(Object.entries(answer.headers).filter(([k]) => !HOP_BY_HOP.has(k)));
      res.writeHead(answer.statusCode ?? 502, back);
      if (!cut) return void answer.pipe(res);
      // Watch events are one JSON document per line: count lines, then cut the connection
      // abruptly, as a dropped network or a restarting API server does.
      let events = 0;
      const timer = cut.afterMs !== undefined ? setTimeout(() => drop(req, res, answer), cut.afterMs) : undefined;
      answer.on('data', (chunk: Buffer) => {
        res.write(chunk);
        for (const byte of chunk) if (byte === 0x0a) events++;
        if (cut.afterEvents !== undefined && events >= cut.afterEvents) {
          clearTimeout(timer);
          drop(req, res, answer);
        }
      });
      answer.on('end', () => {
        clearTimeout(timer);
        res.end();
      });
    });
    out.on('error', () => drop(req, res));
    // A client that goes away (a watch it stopped) ends the upstream request too.
    res.on('close', () => out.destroy());
    req.pipe(out);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    requests++;
    const url = req.url ?? '/';
    const watch = /[?&]watch=(true|1)(&|$)/.test(url) || url.includes('/watch/');
    const fault = schedule.pick({ method: req.method ?? 'GET', url, watch });
    if (!fault || (fault.type === 'cutWatch' && !watch)) return forward(req, res);
    injected.push({ method: req.method ?? 'GET', url, fault: fault.type, at: Date.now() });
    if (fault.type === 'cutWatch') return forward(req, res, fault);
    if (fault.type === 'reset') return drop(req, res);
    // Read the body first so the keep-alive connection stays usable for the next request.
    req.resume();
    req.on('end', () => {
      const reason = fault.code === 429 ? 'TooManyRequests' : fault.code === 503 ? 'ServiceUnavailable' : 'InternalError';
      const message = fault.message ?? (fault.code === 429 ? 'the server has received too many requests and has asked us to try again later' : 'an error on the server ("injected fault") has prevented the request from succeeding');
      const body = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code: fault.code, ...(fault.retryAfterSeconds !== undefined ? { details: { retryAfterSeconds: fault.retryAfterSeconds } } : {}) };
      res.writeHead(fault.code, { 'content-type': 'application/json', ...(fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {}) });
      res.end(JSON.stringify(body));
    });
  };

  const server = https.createServer({ cert: options.tls.cert, key: options.tls.key }, handle);
  // Exec and port-forward upgrade the connection (WebSocket): passed through as bytes, never
  // faulted, so a step that runs a command in a pod works behind the proxy as against the server.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const out = tls.connect({ host: upstream.hostname, port: Number(upstream.port || 443), servername: upstream.hostname, ...(ca ? { ca } : {}), rejectUnauthorized: !cluster.skipTLSVerify }, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      out.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) out.write(head);
      out.pipe(socket);
      socket.pipe(out);
    });
    const close = (): void => {
      out.destroy();
      socket.destroy();
    };
    out.on('error', close);
    socket.on('error', close);
    out.on('close', close);
    socket.on('close', close);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const proxyUrl = `https://127.0.0.1:${port}`;
  await writeProxyKubeconfig(options.kubeconfigPath, options.kubeconfigOut, proxyUrl);

  return {
    server: proxyUrl,
    kubeconfigPath: options.kubeconfigOut,
    inject: (rule) => schedule.add(rule),
    clear: () => schedule.clear(),
    get requests() {
      return requests;
    },
    injected,
    writeKubeconfig: (from, to) => writeProxyKubeconfig(from, to, proxyUrl),
    async stop() {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}

/** Ends the exchange without an answer: a reset where the socket allows it, else a plain close. */
function drop(req: IncomingMessage, res: ServerResponse, upstream?: IncomingMessage): void {
  upstream?.destroy();
  const socket = req.socket as Socket & { resetAndDestroy?: () => void };
  try {
    socket.resetAndDestroy?.();
  } catch {
    // TLS sockets may refuse; destroying below closes it all the same
  }
  socket.destroy();
  res.destroy();
}

/** The upstream kubeconfig, every field kept, with the current cluster's server replaced. */
async function writeProxyKubeconfig(from: string, to: string, server: string): Promise<void> {
  const doc = parse(readFileSync(from, 'utf8')) as {
    'current-context'?: string;
    contexts?: { name: string; context: { cluster: string } }[];
    clusters?: { name: string; cluster: { server: string } }[];
  };
  const clusterName = doc.contexts?.find((c) => c.name === doc['current-context'])?.context.cluster;
  const cluster = doc.clusters?.find((c) => c.name === clusterName);
  if (!cluster) throw new Error(`${from}: the current context names no cluster`);
  cluster.cluster.server = server;
  await writeFile(to, stringify(doc), { mode: 0o600 });
}
