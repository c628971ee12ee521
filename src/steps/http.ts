// `http`: probe an endpoint for the guides' verification steps (a model answers, a route serves).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { StepFailure } from '../contract/errors.js';
import type { JsonSchema, StepType } from '../contract/step-type.js';
import { parseDuration } from '../runbook/format.js';
import { routeFor, trustedCas, type ConnectRule } from './http-routing.js';
import { nodeModule } from './node-modules.js';
import { DURATION, defaultsOf, type InputOf } from './schema.js';

const INPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', pattern: '^https?://', description: 'The URL (templates allowed).' },
    method: { enum: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], default: 'GET', description: 'Default GET.' },
    headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'Request headers (templates allowed; values are redacted from every output).' },
    body: { description: 'Request body: a string, or a value sent as JSON.' },
    expectStatus: { anyOf: [{ type: 'integer' }, { type: 'array', items: { type: 'integer' } }], default: 200, description: 'Accepted status codes (default 200).' },
    bodyContains: { type: 'string', description: 'Text the response body must contain.' },
    insecureSkipTLSVerify: { type: 'boolean', description: 'Do not verify the server certificate (test clusters only).' },
    caFile: { type: 'string', description: 'CA bundle to verify the server with.' },
    timeout: { ...DURATION, default: '30s', description: 'Request timeout (default 30s).' },
    parseJson: { type: 'boolean', description: 'Parse the body as JSON into the output field `json`.' },
  },
} as const satisfies JsonSchema;

type HttpInput = InputOf<typeof INPUT>;
const DEFAULTS = defaultsOf(INPUT);
const DEFAULT_TIMEOUT_MS = parseDuration(DEFAULTS.timeout)!;

export const httpStep: StepType<HttpInput> = {
  name: 'http',
  summary: 'Call an HTTP endpoint and check the status and body.',
  description:
    'Fails unless the status is one of `expectStatus` (default 200) and the body contains `bodyContains`. A 5xx answer or a connection failure is transient (retried when the step has retries), so a probe can wait for an endpoint to come up. Header values pass through the secret redactor in every output. In a dry run only GET and HEAD are sent.',
  input: INPUT,
  examples: [
    `- name: The model answers on its new endpoint
  http:
    url: "https://{{ isvcHost }}/v2/models/{{ modelName }}"
    headers: { Authorization: "Bearer {{ token }}" }
    expectStatus: 200
  retries: 5`,
  ],
  dryRun: 'native',
  readOnly: true,
  async apply(ctx, input) {
    const method = input.method ?? DEFAULTS.method;
    if (ctx.dryRun !== 'none' && method !== 'GET' && method !== 'HEAD') {
      return { changed: false, summary: `dry run: would send ${method} ${ctx.redact(input.url)}` };
    }
    const expected = input.expectStatus ?? DEFAULTS.expectStatus;
    const expect = Array.isArray(expected) ? expected : [expected];
    const body = input.body === undefined ? undefined : typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
    const headers = { ...(body && typeof input.body !== 'string' ? { 'content-type': 'application/json' } : {}), ...input.headers };
    const ca = input.caFile ? await readFile(resolve(ctx.baseDir, input.caFile)) : trustedCas(ctx.services.http?.extraCa ?? []);
    const res = await send(input.url, method, headers, body, {
      signal: ctx.signal,
      timeoutMs: parseDuration(input.timeout) ?? DEFAULT_TIMEOUT_MS,
      rejectUnauthorized: input.insecureSkipTLSVerify !== true,
      ca,
      connectTo: ctx.services.http?.connectTo ?? [],
    }).catch((err: unknown) => {
      throw new StepFailure(`${method} ${ctx.redact(input.url)}: ${(err as Error).message}`, { transient: true, cause: err });
    });
    const where = `${method} ${ctx.redact(input.url)}`;
    if (!expect.includes(res.status)) {
      throw new StepFailure(`${where} answered ${res.status}, expected ${expect.join(' or ')}${res.body ? `: ${ctx.redact(res.body.slice(0, 300))}` : ''}`, {
        transient: res.status >= 500 || res.status === 429,
      });
    }
    if (input.bodyContains !== undefined && !res.body.includes(input.bodyContains)) {
      throw new StepFailure(`${where}: the response does not contain "${input.bodyContains}"`);
    }
    const output: Record<string, unknown> = { status: res.status, body: ctx.redact(res.body) };
    if (input.parseJson) {
      try {
        output.json = JSON.parse(res.body);
      } catch {
        throw new StepFailure(`${where}: the response is not JSON`);
      }
    }
    return { changed: false, summary: `${where}: ${res.status}`, output };
  },
};

async function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  o: { signal: AbortSignal; timeoutMs: number; rejectUnauthorized: boolean; ca?: Buffer | string[]; connectTo: readonly ConnectRule[] },
): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const { request } = secure ? nodeModule<typeof import('node:https')>('node:https') : nodeModule<typeof import('node:http')>('node:http');
  const { isIP } = nodeModule<typeof import('node:net')>('node:net');
  return new Promise((resolvePromise, reject) => {
    const port = Number(target.port) || (secure ? 443 : 80);
    const route = routeFor(o.connectTo, target.hostname, port);
    // Connected elsewhere, the request still names the URL's host: Host header and TLS server name.
    const rerouted = route
      ? { hostname: route.host, port: route.port, headers: { host: target.host, ...headers }, ...(secure && !isIP(target.hostname.replace(/^\[|\]$/g, '')) ? { servername: target.hostname } : {}) }
      : { headers };
    const req = request(url, { method, signal: o.signal, timeout: o.timeoutMs, rejectUnauthorized: o.rejectUnauthorized, ...(o.ca ? { ca: o.ca } : {}), ...rerouted }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += text.length < 1_000_000 ? d : ''));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
