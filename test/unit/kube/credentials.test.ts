// The credentials a request carries: computed once for a user whose credentials cannot change,
// asked again for every request of one whose can (an exec plugin's expiring tokens).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KubeConfig } from '../../../src/kube/client-node.js';
import { Credentials } from '../../../src/kube/credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'runbook-credentials-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kubeConfig(user: Record<string, unknown>): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: false }],
    users: [{ name: 'u', ...user }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

describe('request credentials', () => {
  it('computes a token user\'s headers and keep-alive agent once', async () => {
    const credentials = new Credentials(kubeConfig({ token: 'sekret' }));
    const first = await credentials.forRequest();
    expect(first.headers.Authorization).toBe('Bearer sekret');
    expect(first.agent).toBeInstanceOf(https.Agent);
    expect((first.agent as https.Agent & { keepAlive?: boolean }).keepAlive).toBe(true);
    expect(await credentials.forRequest()).toBe(first);
  });

  it('asks an exec plugin again for every request, so an expired token is replaced', async () => {
    // A plugin whose tokens are already expired: client-node runs it again each time it is asked.
    const counter = join(dir, 'count');
    writeFileSync(counter, '0');
    const plugin = join(dir, 'plugin.sh');
    writeFileSync(
      plugin,
      `#!/bin/sh\nn=$(($(cat ${counter}) + 1)); echo $n > ${counter}\n` +
        `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t-'$n'","expirationTimestamp":"2000-01-01T00:00:00Z"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    const credentials = new Credentials(kubeConfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } }));
    const first = await credentials.forRequest();
    const second = await credentials.forRequest();
    expect(first.headers.Authorization).toBe('Bearer t-1');
    expect(second.headers.Authorization).toBe('Bearer t-2');
    // One TLS agent all the same: the connections stay open across token changes.
    expect(second.agent).toBe(first.agent);
  });

  it('tries again after a failure instead of keeping it', async () => {
    const certFile = join(dir, 'client.crt');
    const credentials = new Credentials(kubeConfig({ certFile, keyFile: certFile }));
    await expect(credentials.forRequest()).rejects.toThrow(/ENOENT/);
    writeFileSync(certFile, 'not really a certificate');
    await expect(credentials.forRequest()).resolves.toMatchObject({ headers: {} });
  });
});
