// Secrets never leave the process: a runbook applies a Secret from a `secret: true` var, reads it
// back (whole, one value, through a wait), copies it, publishes its base64 in a ConfigMap and
// prints it in every encoding; then a second run changes it. Every file written under the state
// dir and the report dir, and all the CLI printed, is searched for the value in each form it can
// take (raw, JSON-escaped, base64 standard and URL-safe, padded or not, base64 of the base64 a
// Secret's data holds, and inside longer base64). The Secret values of a var that was not marked
// secret never show either. Meanwhile the cluster gets the real values.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { adminKubeconfigPath } from './support/cluster.js';
import { runCli, type CliRun } from './support/cli-run.js';
import { createNamespace, deleteNamespace } from './support/objects.js';
import { scratchDir } from './support/processes.js';
import { adminKube } from './support/run-step.js';

// Quotes and a backslash (JSON and YAML escapes); bytes whose base64 holds "+" and "/" and needs
// padding, so that the URL-safe and unpadded forms differ from the standard one.
const FIRST = 'S3cr3t?>~pa"ss\\w0\'rd>!';
const SECOND = 'N3w?>~S3cr3t"\\\'pw>!!';
const API_KEY = 'plain-api-key-not-marked-secret';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const urlSafe = (s: string): string => s.replace(/\+/g, '-').replace(/\//g, '_');
const unpadded = (s: string): string => s.replace(/=+$/, '');

/** The characters of base64(prefix + secret) that the secret's bytes alone decide. */
function inner(prefix: string, secret: string): string {
  const encoded = b64(prefix + secret);
  const start = Math.ceil((Buffer.byteLength(prefix) * 4) / 3);
  return encoded.slice(start, Math.floor(((Buffer.byteLength(prefix) + Buffer.byteLength(secret)) * 8) / 6));
}

/** Every form a value can take in output: [name, text]. */
function forms(secret: string): [string, string][] {
  return [
    ['raw', secret],
    ['JSON-escaped', JSON.stringify(secret).slice(1, -1)],
    ['base64', b64(secret)],
    ['base64 unpadded', unpadded(b64(secret))],
    ['base64 URL-safe', urlSafe(b64(secret))],
    ['base64 URL-safe unpadded', unpadded(urlSafe(b64(secret)))],
    ['base64 of the base64 in Secret data', b64(b64(secret))],
    ['inside base64 of user:secret', inner('user:', secret)],
    ['inside URL-safe base64 of user:secret', urlSafe(inner('user:', secret))],
  ];
}

const RUNBOOK = `apiVersion: runbook.dev/v1
kind: Runbook
metadata: { name: secret-redaction }
vars:
  namespace: { required: true }
  password: { secret: true, required: true }
  apiKey: { required: true, description: "Not marked secret, but kept in a Secret." }
sections:
  - name: main
    steps:
      - name: Apply the credentials
        apply:
          manifest:
            apiVersion: v1
            kind: Secret
            metadata: { name: creds, namespace: "{{ namespace }}" }
            stringData: { password: "{{ password }}", apiKey: "{{ apiKey }}" }
      - name: Read them back
        query: { apiVersion: v1, kind: Secret, name: creds, namespace: "{{ namespace }}" }
        register: readback
      - name: Read the password alone
        query: { apiVersion: v1, kind: Secret, name: creds, namespace: "{{ namespace }}", select: object.data.password }
        register: encoded
      - name: Wait for them
        wait: { apiVersion: v1, kind: Secret, name: creds, namespace: "{{ namespace }}", for: { exists: true } }
        register: waited
      - name: Copy the password
        apply:
          manifest:
            apiVersion: v1
            kind: Secret
            metadata: { name: copy, namespace: "{{ namespace }}" }
            data: { password: "{{ readback.data.password }}", apiKey: "{{ readback.data.apiKey }}" }
      - name: Publish its base64
        apply:
          manifest:
            apiVersion: v1
            kind: ConfigMap
            metadata: { name: encoded, namespace: "{{ namespace }}" }
            data: { b64: "{{ base64 password }}", twice: "{{ base64 (base64 password) }}", auth: "user:{{ password }}" }
      - name: Print it in every encoding
        exec:
          command:
            - sh
            - -c
            - >-
              printf '%s\\n' "$P";
              printf '%s' "$P" | base64 -w0; echo;
              printf '%s' "$P" | base64 -w0 | tr '+/' '-_'; echo;
              printf '%s' "$P" | base64 -w0 | base64 -w0; echo;
              printf 'user:%s' "$P" | base64 -w0; echo
          env: { P: "{{ password }}" }
        register: printed
      - name: Say what was read
        assert:
          that: "encoded != ''"
          severity: info
          message: "read {{ encoded }} and {{ password }}"
`;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('secret values in every output of a run', () => {
  let kube: KubeClient;
  let ns: string;
  beforeAll(async () => {
    kube = adminKube();
    ns = await createNamespace(kube, 'secret-redaction');
  });
  afterAll(async () => {
    await deleteNamespace(kube, ns);
  });

  it('appear in no file under the state and report dirs and nowhere in the CLI output', { timeout: 180_000 }, async () => {
    const dir = scratchDir('runbook-secrets');
    const file = join(dir, 'runbook.yaml');
    writeFileSync(file, RUNBOOK);
    const stateDir = join(dir, 'state');
    const reportDir = join(dir, 'report');
    const run = (password: string, output: string, extra: string[] = []): Promise<CliRun> =>
      runCli(
        ['run', file, '--kubeconfig', adminKubeconfigPath(), '--state-dir', stateDir, '--report', reportDir, '-o', output, '--var', `namespace=${ns}`, '--var', `apiKey=${API_KEY}`, ...extra],
        // The secret comes from the environment, as the docs advise.
        { env: { RUNBOOK_VAR_password: password } },
      );

    const first = await run(FIRST, 'plain');
    expect(first.code, first.stderr).toBe(0);
    // A ConfigMap that still held the first password would show it in the second run's diff: no
    // redactor can know an earlier value of a secret kept outside a Secret. Gone, it is created anew.
    await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', name: 'encoded', namespace: ns });
    const second = await run(SECOND, 'json', ['--fresh']);
    expect(second.code, second.stderr).toBe(0);

    // The cluster got the real values: redaction is for output only, and later steps of a run
    // read the values they registered.
    const creds = await kube.get({ apiVersion: 'v1', kind: 'Secret', name: 'creds', namespace: ns });
    const copy = await kube.get({ apiVersion: 'v1', kind: 'Secret', name: 'copy', namespace: ns });
    const cm = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'encoded', namespace: ns });
    expect(creds!.data).toEqual({ password: b64(SECOND), apiKey: b64(API_KEY) });
    expect(copy!.data).toEqual({ password: b64(SECOND), apiKey: b64(API_KEY) });
    expect(cm!.data).toEqual({ b64: b64(SECOND), twice: b64(b64(SECOND)), auth: `user:${SECOND}` });

    // What the runs show instead: markers, and which keys changed.
    expect(first.stdout).toContain('password: <redacted>');
    const applied = second.events.find((e) => e.type === 'node:end' && (e.node as { id: string }).id === 'main/apply-the-credentials');
    const diff = (applied!.result as { diff: string }).diff;
    expect(diff).toContain('-  password: <redacted>');
    expect(diff).toContain('+  password: <redacted, changed>');
    expect(diff).not.toMatch(/^[-+]\s+apiKey:/m);

    const files = [...filesUnder(stateDir), ...filesUnder(reportDir)];
    const names = files.map((f) => f.slice(dir.length + 1));
    expect(names).toEqual(expect.arrayContaining(['report/report.md', 'report/report.json']));
    expect(names.filter((n) => /state\/runs\/[^/]+\/(state\.json|state\.log|report\.md|report\.json)$/.test(n))).toHaveLength(8);

    const outputs: [string, string][] = [
      ...files.map((f): [string, string] => [f.slice(dir.length + 1), readFileSync(f, 'utf8')]),
      ['first run stdout', first.stdout],
      ['first run stderr', first.stderr],
      ['second run stdout', second.stdout],
      ['second run stderr', second.stderr],
    ];
    const leaks: string[] = [];
    for (const [where, text] of outputs) {
      for (const [name, secret] of [['first password', FIRST], ['second password', SECOND]] as const) {
        for (const [form, value] of forms(secret)) if (text.includes(value)) leaks.push(`${where}: ${name}, ${form}`);
      }
      // The var not marked secret: its value as a Secret holds it never shows.
      for (const [form, value] of forms(API_KEY).slice(2)) if (text.includes(value)) leaks.push(`${where}: apiKey, ${form}`);
    }
    expect(leaks).toEqual([]);

    // The registered read-back is on disk with its keys and masked values.
    const runDirs = readdirSync(join(stateDir, 'runs'));
    expect(runDirs).toHaveLength(2);
    for (const runId of runDirs) {
      const state = JSON.parse(readFileSync(join(stateDir, 'runs', runId, 'state.json'), 'utf8')) as { registered: Record<string, unknown>; vars: Record<string, unknown> };
      const log = readFileSync(join(stateDir, 'runs', runId, 'state.log'), 'utf8');
      const registered = { ...state.registered };
      for (const line of log.split('\n').filter(Boolean)) Object.assign(registered, (JSON.parse(line) as { registered?: object }).registered);
      expect(registered.readback).toMatchObject({ kind: 'Secret', data: { password: '<redacted>', apiKey: '<redacted>' } });
      expect(registered.waited).toMatchObject({ kind: 'Secret', data: { password: '<redacted>', apiKey: '<redacted>' } });
      expect(registered.encoded).toBe('<redacted>');
      expect(state.vars.password).toBe('<redacted>');
    }
  });
});
