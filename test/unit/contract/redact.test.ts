// The redactor: every form a secret var's value can take on the way out (raw, escaped, percent-
// encoded, base64 in its variants and inside longer base64 text), and the values of every Secret
// object, whether or not a var was marked secret, in values, diffs and the files of a run.
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { REDACTED, REDACTED_CHANGED, Redactor, encodingsOf, maskSecretObjects, maskSecretPair } from '../../../src/contract/redact.js';
import { STATE_VERSION, StateStore, type RunState } from '../../../src/engine/state.js';
import { yamlDiff } from '../../../src/kube/diff.js';
import { changeDiff } from '../../../src/steps/kube/change-diff.js';

// Chosen so that every encoding differs from the others: quotes and a backslash (JSON and YAML
// escapes), characters percent-encoding changes, and bytes whose base64 holds "+" and "/".
const SECRET = 'S3cr3t?>~pa"ss\\w0\'rd>!';
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const url = (s: string): string => s.replace(/\+/g, '-').replace(/\//g, '_');
const bare = (s: string): string => s.replace(/=+$/, '');

/** [name, the text output might hold] */
const FORMS: [string, string][] = [
  ['raw', SECRET],
  ['JSON-escaped', JSON.stringify(SECRET).slice(1, -1)],
  ['JSON-escaped twice', JSON.stringify(JSON.stringify(SECRET).slice(1, -1)).slice(1, -1)],
  ['YAML single-quoted', SECRET.replace(/'/g, "''")],
  ['percent-encoded', encodeURIComponent(SECRET)],
  ['base64', b64(SECRET)],
  ['base64 unpadded', bare(b64(SECRET))],
  ['base64 URL-safe', url(b64(SECRET))],
  ['base64 URL-safe unpadded', bare(url(b64(SECRET)))],
  ['base64 of the base64 in a Secret’s data', b64(b64(SECRET))],
  ['base64 of "user:" + secret (offset 2)', b64(`user:${SECRET}`)],
  ['base64 of "u:" + secret (offset 2 of a group)', b64(`u:${SECRET}`)],
  ['base64 of "ab:" + secret (aligned)', b64(`ab:${SECRET}`)],
  ['base64 of "a:" + secret + newline (offset 2)', b64(`a:${SECRET}\n`)],
  ['base64 of secret + newline (echo | base64)', b64(`${SECRET}\n`)],
  ['base64 URL-safe of "x" + secret (offset 1)', url(b64(`x${SECRET}`))],
];

describe('encodingsOf / Redactor.redact', () => {
  it('the forms are all different from one another (the table tests something)', () => {
    expect(new Set(FORMS.map(([, f]) => f)).size).toBe(FORMS.length);
    expect(b64(SECRET)).toMatch(/[+/]/);
  });

  for (const [name, form] of FORMS) {
    it(`${name}: leaves no recognisable part of the secret`, () => {
      const r = new Redactor([SECRET]);
      const out = r.redact(`before ${form} after`);
      expect(out).toContain(REDACTED);
      expect(out.startsWith('before ')).toBe(true);
      expect(out.endsWith(' after')).toBe(true);
      // What is left of a longer base64 text is at most the few characters the secret shares with
      // its neighbours: never 4 characters in a row of the secret's own encodings.
      for (const enc of encodingsOf(SECRET)) expect(out).not.toContain(enc);
      expect(out).not.toContain(b64(SECRET).slice(4, 12));
    });
  }

  it('redacts the longest form first, in one pass, and leaves other text alone', () => {
    const r = new Redactor(['abc', 'abcdef']);
    expect(r.redact('abcdef abc xyz')).toBe(`${REDACTED} ${REDACTED} xyz`);
    // The marker itself is never redacted again: redacting twice changes nothing.
    const twice = new Redactor(['red', 'act', 'changed']);
    expect(twice.redact('red act')).toBe(`${REDACTED} ${REDACTED}`);
    expect(twice.redact(twice.redact(`red act changed ${REDACTED_CHANGED}`))).toBe(`${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED_CHANGED}`);
    expect(new Redactor([]).redact('anything')).toBe('anything');
  });

  it('short secrets are redacted whole, but pieces of longer base64 are only judged from 8 characters', () => {
    const forms = encodingsOf('pin1');
    expect(forms).toContain(b64('pin1'));
    expect(forms.every((f) => f.length >= 4)).toBe(true);
  });
});

describe('Redactor.redactValue', () => {
  const secretObject = (data: Record<string, string>, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: 'ns', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ data }), note: 'kept' } },
    type: 'Opaque',
    data,
    ...extra,
  });

  it('masks data and stringData of every Secret at any depth, whether or not a var was secret', () => {
    const r = new Redactor();
    const value = {
      readback: secretObject({ password: b64('not-a-declared-secret'), user: b64('admin') }, { stringData: { extra: 'plain text' } }),
      list: { apiVersion: 'v1', kind: 'SecretList', items: [{ metadata: { name: 'bare-item' }, data: { token: b64('tok') } }] },
      nested: [{ objects: [secretObject({ k: b64('v') })] }],
      configMap: { apiVersion: 'v1', kind: 'ConfigMap', data: { visible: 'yes' } },
    };
    const out = r.redactValue(value);
    expect(out.readback.data).toEqual({ password: REDACTED, user: REDACTED });
    expect((out.readback as { stringData?: unknown }).stringData).toEqual({ extra: REDACTED });
    expect(out.readback.metadata.annotations).toEqual({ 'kubectl.kubernetes.io/last-applied-configuration': REDACTED, note: 'kept' });
    expect(out.readback.type).toBe('Opaque');
    expect(out.list.items[0]!.data).toEqual({ token: REDACTED });
    expect(out.nested[0]!.objects[0]!.data).toEqual({ k: REDACTED });
    expect(out.configMap.data).toEqual({ visible: 'yes' });
    // The value in memory is untouched: later steps of the run may read it.
    expect(value.readback.data.password).toBe(b64('not-a-declared-secret'));
    expect(JSON.stringify(out)).not.toMatch(/not-a-declared-secret|bm90LWEtZGVjbGFyZWQtc2VjcmV0|YWRtaW4|dG9r/);
  });

  it('redacts secret values in strings and keys, and leaves numbers and booleans', () => {
    const r = new Redactor([SECRET]);
    const out = r.redactValue({ [SECRET]: `x ${b64(SECRET)}`, n: 1, b: true, none: null, list: [SECRET, 2] });
    expect(out).toEqual({ [REDACTED]: `x ${REDACTED}`, n: 1, b: true, none: null, list: [REDACTED, 2] });
  });

  it('a secret that is JSON syntax does not break the JSON it is written in', () => {
    for (const secret of ['"', ':', 'true', '1', '}']) {
      const r = new Redactor([secret]);
      const text = r.json({ steps: { a: { attempts: 1, resumed: true, summary: `used ${secret}` } } });
      expect(JSON.parse(text)).toEqual({ steps: { a: { attempts: 1, resumed: true, summary: `used ${REDACTED}` } } });
    }
  });

  it('shares what does not change', () => {
    const value = { a: { b: ['c'] } };
    expect(new Redactor(['zzz']).redactValue(value)).toBe(value);
    expect(maskSecretObjects(value)).toBe(value);
  });

  it('copies an object or list from its first changed entry on, keeping the ones before it, in order', () => {
    const first = { name: 'untouched' };
    const value = { a: first, b: 1, c: [first, 'x', SECRET, 'y'], d: `at the end: ${SECRET}`, e: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: b64('v') } } };
    const out = new Redactor([SECRET]).redactValue(value);
    expect(out).toEqual({ a: first, b: 1, c: [first, 'x', REDACTED, 'y'], d: `at the end: ${REDACTED}`, e: { ...value.e, data: { k: REDACTED } } });
    expect(Object.keys(out)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(out.a).toBe(first);
    expect(out.c[0]).toBe(first);
    expect(value.c[2]).toBe(SECRET);
    // Without secret values, only Secret objects are masked; everything around them is shared.
    const masked = new Redactor().redactValue(value);
    expect(masked.c).toBe(value.c);
    expect(masked.e.data).toEqual({ k: REDACTED });
  });
});

describe('Secrets in diffs', () => {
  const secret = (data: Record<string, string>, stringData?: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: 'ns' },
    data,
    ...(stringData ? { stringData } : {}),
  });

  it('maskSecretPair marks a changed value on the after side only, and compares stringData as the server stores it', () => {
    const [before, after] = maskSecretPair(secret({ same: b64('1'), changed: b64('old'), gone: b64('x') }), secret({ same: b64('1'), changed: b64('new'), added: b64('y') }));
    expect((before as { data: unknown }).data).toEqual({ same: REDACTED, changed: REDACTED, gone: REDACTED });
    expect((after as { data: unknown }).data).toEqual({ same: REDACTED, changed: REDACTED_CHANGED, added: REDACTED });
    const [, applied] = maskSecretPair(secret({ password: b64('pw') }), secret({}, { password: 'pw' }));
    expect((applied as { stringData: unknown }).stringData).toEqual({ password: REDACTED });
  });

  const cases: [string, unknown, unknown, string[], string[]][] = [
    ['creation', null, secret({ password: b64(SECRET) }), [`+data:`, `+  password: ${REDACTED}`], []],
    ['a changed value', secret({ password: b64('old-value'), user: b64('admin') }), secret({ password: b64(SECRET), user: b64('admin') }), [`-  password: ${REDACTED}`, `+  password: ${REDACTED_CHANGED}`], ['user']],
    ['deletion', secret({ password: b64(SECRET) }), null, [`-  password: ${REDACTED}`], []],
    ['stringData applied', null, secret({}, { password: SECRET }), [`+  password: ${REDACTED}`], []],
  ];
  for (const [name, before, after, lines, absent] of cases) {
    it(`${name}: changeDiff and yamlDiff show keys, never values`, () => {
      for (const diff of [changeDiff(before, after, { fromLabel: 'live', toLabel: 'desired' }), yamlDiff(before, after)]) {
        for (const form of [SECRET, b64(SECRET), b64('old-value'), 'old-value']) expect(diff).not.toContain(form);
        for (const line of lines) expect(diff.split('\n')).toContain(line);
        for (const word of absent) expect(diff).not.toMatch(new RegExp(`^[-+]\\s*${word}:`, 'm'));
      }
    });
  }

  it('an unchanged Secret gives an empty diff', () => {
    expect(changeDiff(secret({ a: b64('x') }), secret({ a: b64('x') }), { fromLabel: 'a', toLabel: 'b' })).toBe('');
  });

  it('other kinds are diffed as before', () => {
    const cm = (v: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: v } });
    expect(yamlDiff(cm('one'), cm('two'))).toContain(stringify({ k: 'two' }).trim());
  });
});

describe('state files', () => {
  it('hold no Secret values and no form of a secret var, in the snapshot or the log', async () => {
    const store = new StateStore(await mkdtemp(join(tmpdir(), 'runbook-redact-')), new Redactor([SECRET]), false);
    await store.prepare('r1');
    const st: RunState = {
      version: STATE_VERSION,
      runId: 'r1',
      runbook: { name: 'x', file: '/x.yaml', digest: 'd' },
      stepDigests: {},
      status: 'running',
      dryRun: 'none',
      startedAt: 't0',
      updatedAt: 't0',
      vars: { manifest: { apiVersion: 'v1', kind: 'Secret', stringData: { given: 'in-an-object-var' } } },
      options: { only: [], skip: [] },
      steps: {},
      registered: {},
      findings: [],
      approved: [],
    };
    await store.save(st); // snapshot
    const readback = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, data: { password: b64(SECRET), other: b64('undeclared-value') } };
    st.registered.readback = readback;
    st.registered.encoded = b64(SECRET);
    st.steps.a = { state: 'done', status: 'ok', summary: `read ${url(b64(SECRET))}` };
    await store.save(st); // a log line
    await store.close();
    const dir = store.runDir('r1');
    const names = await readdir(dir);
    expect(names.sort()).toEqual(['state.json', 'state.log']);
    const text = (await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8')))).join('\n');
    expect(text).toContain('"password":"<redacted>"');
    for (const form of [...encodingsOf(SECRET), 'in-an-object-var', b64('undeclared-value')]) expect(text).not.toContain(form);
    const loaded = (await store.load('r1'))!;
    expect(loaded.registered).toEqual({ readback: { ...readback, data: { password: REDACTED, other: REDACTED } }, encoded: REDACTED });
    expect(loaded.steps.a?.summary).toBe(`read ${REDACTED}`);
    // What the run holds in memory is untouched.
    expect(readback.data.password).toBe(b64(SECRET));
  });
});
