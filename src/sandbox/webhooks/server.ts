// The HTTPS server the simulated RHOAI operator serves its webhooks from: the DSC/DSCI conversion
// webhook at /convert and the validating webhooks (./admission.ts), on 127.0.0.1 with a fresh
// self-signed certificate (./tls.ts). The real operator serves them from its pod behind the Service
// redhat-ods-operator/rhods-operator-webhook-service (port 443 -> 9443); a local control plane has
// no pod network, so registrations point at this server by URL instead.
//
// When the server stops, the registrations stay, as on a cluster whose operator pod is gone: the API
// server then refuses what needs a webhook (conversion between v1 and v2, validated writes) with a
// connection error, because every webhook is failurePolicy Fail. A simulator that starts again
// registers its own address before anything else (see ../simulator/rhoai-platform.ts).
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { reviewAdmission, type CountObjects } from './admission.js';
import { reviewConversion } from './conversion.js';
import { selfSignedCertificate } from './tls.js';

export interface WebhookServer {
  /** https://127.0.0.1:<port> */
  url: string;
  /** base64 PEM to put in caBundle. */
  caBundle: string;
  /** Requests answered so far, by path (tests and logs). */
  served: Map<string, number>;
  close(): void;
}

/** Larger bodies are refused: a ConversionReview of a list of DSCs is a few kilobytes. */
const MAX_BODY = 8 * 1024 * 1024;

export async function startWebhookServer(options: { count: CountObjects; log?: (message: string) => void }): Promise<WebhookServer> {
  const tls = selfSignedCertificate();
  const served = new Map<string, number>();
  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://127.0.0.1').pathname;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      void (async () => {
        let status = 200;
        let body: unknown;
        try {
          const review: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          body = req.method !== 'POST' ? undefined : path === '/convert' ? reviewConversion(review) : await reviewAdmission(path, review, options.count);
          if (body === undefined) [status, body] = [404, { message: `no webhook at ${req.method} ${path}` }];
        } catch (err) {
          [status, body] = [500, { message: (err as Error).message }];
          options.log?.(`webhook ${path}: ${(err as Error).message}`);
        }
        served.set(path, (served.get(path) ?? 0) + 1);
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // The API server keeps its connections alive: nothing here may keep the process running.
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caBundle: tls.caBundle,
    served,
    close() {
      server.close();
      server.closeAllConnections();
    },
  };
}
