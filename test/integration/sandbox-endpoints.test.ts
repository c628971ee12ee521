// The sandbox's HTTP endpoints through the real CLI: an http step to any https host name reaches
// the loopback server by --connect-to, with TLS verified against the sandbox CA given by --cacert
// (a certificate for the very host asked for), plain http to a Gateway-style IP too; without the
// CA the request fails on the certificate; a host nothing serves gets the router's 503.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxEndpoints } from '../../src/sandbox/endpoints/server.js';
import { runCli } from './support/cli-run.js';

const RUNBOOK = `apiVersion: runbook.dev/v1
kind: Runbook
metadata: { name: endpoints }
vars:
  host: { default: llama.apps.cluster.example.com }
sections:
  - name: verify
    steps:
      - name: The model list answers
        http:
          url: "https://{{ host }}/v1/models"
          bodyContains: granite
      - name: The gateway answers a completion
        http:
          url: http://192.0.2.10/v1/completions
          method: POST
          body: { model: granite, prompt: hi }
          bodyContains: text_completion
`;

describe('sandbox endpoints', () => {
  let endpoints: SandboxEndpoints;
  let dir: string;
  let caFile: string;
  beforeAll(async () => {
    endpoints = new SandboxEndpoints();
    await endpoints.start();
    endpoints.register({ host: 'llama.apps.cluster.example.com', handle: (r) => (r.path === '/v1/models' ? { status: 200, json: { data: [{ id: 'granite' }] } } : undefined) });
    endpoints.register({
      host: /^192\.0\.2\.\d+$/,
      handle: (r) => (r.method === 'POST' && r.path === '/v1/completions' ? { status: 200, json: { object: 'text_completion', model: (r.json as { model: string }).model } } : undefined),
    });
    dir = await mkdtemp(join(tmpdir(), 'runbook-endpoints-'));
    caFile = join(dir, 'ca.pem');
    await writeFile(caFile, endpoints.caPem);
    await writeFile(join(dir, 'rb.yaml'), RUNBOOK);
  });
  afterAll(async () => {
    await endpoints?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const run = (extra: string[]) => runCli(['run', join(dir, 'rb.yaml'), '--state-dir', join(dir, 'state'), '--fresh', '-o', 'json', ...extra]);

  it('reaches every host through --connect-to, TLS verified with --cacert', async () => {
    const before = endpoints.requests.length;
    const result = await run(['--connect-to', endpoints.connectTo, '--cacert', caFile]);
    expect(result.code, result.stderr).toBe(0);
    expect(endpoints.requests.slice(before)).toEqual([
      { method: 'GET', host: 'llama.apps.cluster.example.com', path: '/v1/models', status: 200 },
      { method: 'POST', host: '192.0.2.10', path: '/v1/completions', status: 200 },
    ]);
  });

  it('RUNBOOK_CONNECT_TO and NODE_EXTRA_CA_CERTS do the same from the environment', async () => {
    const result = await runCli(['run', join(dir, 'rb.yaml'), '--state-dir', join(dir, 'state-env'), '--fresh', '-o', 'json'], {
      env: { RUNBOOK_CONNECT_TO: endpoints.connectTo, NODE_EXTRA_CA_CERTS: caFile },
    });
    expect(result.code, result.stderr).toBe(0);
  });

  it('without the CA the https request fails on the certificate', async () => {
    const result = await run(['--connect-to', endpoints.connectTo]);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/GET https:\/\/llama\.apps\.cluster\.example\.com\/v1\/models: .*(certificate|self.signed|issuer)/i);
  });

  it('a host nothing serves gets the router answer 503', async () => {
    const result = await run(['--connect-to', endpoints.connectTo, '--cacert', caFile, '--var', 'host=nothing.apps.cluster.example.com']);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain('answered 503');
  });

  it('a malformed rule is refused before anything runs', async () => {
    const result = await run(['--connect-to', '127.0.0.1:8080']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--connect-to 127.0.0.1:8080: not a connect-to rule');
  });
});
