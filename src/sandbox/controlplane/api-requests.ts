import { request } from 'node:https';

/** Enough to talk to the API server before any client library is configured. */
export interface ApiEndpoint {
  server: string;
  caPem: string;
  token: string;
}

export interface ApiResponse {
  status: number;
  body: string;
}

// The launcher needs a handful of requests (readiness, one binding, one probe namespace); a
// bare HTTPS call keeps it independent of client library versions and their startup cost.
export function apiRequest(endpoint: ApiEndpoint, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      new URL(path, endpoint.server),
      {
        method,
        ca: endpoint.caPem,
        timeout: 10_000,
        headers: {
          authorization: `Bearer ${endpoint.token}`,
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
