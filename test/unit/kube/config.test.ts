import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/contract/errors.js';
import { loadKubeConfig } from '../../../src/kube/config.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kubeconfig-'));

function kubeconfig(file: string, opts: { current?: string; contexts: { name: string; cluster: string; user: string; namespace?: string }[]; server?: string }): string {
  const clusters = [...new Set(opts.contexts.map((c) => c.cluster))];
  const users = [...new Set(opts.contexts.map((c) => c.user))];
  const text = [
    'apiVersion: v1',
    'kind: Config',
    opts.current ? `current-context: ${opts.current}` : '',
    'clusters:',
    ...clusters.map((c) => `- name: ${c}\n  cluster:\n    server: ${opts.server ?? `https://${c}.example:6443`}`),
    'users:',
    ...users.map((u) => `- name: ${u}\n  user:\n    token: t-${u}`),
    'contexts:',
    ...opts.contexts.map((c) => `- name: ${c.name}\n  context:\n    cluster: ${c.cluster}\n    user: ${c.user}${c.namespace ? `\n    namespace: ${c.namespace}` : ''}`),
  ].join('\n');
  const full = path.join(dir, file);
  writeFileSync(full, text);
  return full;
}

const a = kubeconfig('a.yaml', { current: 'alpha', contexts: [{ name: 'alpha', cluster: 'one', user: 'admin', namespace: 'team-a' }, { name: 'shared', cluster: 'one', user: 'admin' }] });
const b = kubeconfig('b.yaml', { current: 'beta', contexts: [{ name: 'beta', cluster: 'two', user: 'dev' }, { name: 'shared', cluster: 'two', user: 'dev', namespace: 'ignored' }] });
const none = kubeconfig('none.yaml', { contexts: [{ name: 'only', cluster: 'three', user: 'u' }] });

describe('loadKubeConfig', () => {
  it('uses an explicit file and its context namespace', () => {
    const out = loadKubeConfig({ kubeconfig: a, env: {} });
    expect(out).toMatchObject({ contextName: 'alpha', namespace: 'team-a', userName: 'admin', server: 'https://one.example:6443', sources: [a] });
  });
  it('merges KUBECONFIG with the first file winning, skipping missing files', () => {
    const out = loadKubeConfig({ env: { KUBECONFIG: [path.join(dir, 'missing.yaml'), a, b].join(path.delimiter) } });
    expect(out.contextName).toBe('alpha');
    expect(out.sources).toEqual([a, b]);
    const shared = loadKubeConfig({ env: { KUBECONFIG: [a, b].join(path.delimiter) }, context: 'shared' });
    expect(shared).toMatchObject({ namespace: 'default', server: 'https://one.example:6443' });
    const beta = loadKubeConfig({ env: { KUBECONFIG: [a, b].join(path.delimiter) }, context: 'beta', namespace: 'override' });
    expect(beta).toMatchObject({ namespace: 'override', userName: 'dev', server: 'https://two.example:6443' });
  });
  it('falls back to ~/.kube/config', () => {
    const emptyHome = mkdtempSync(path.join(tmpdir(), 'home-'));
    expect(() => loadKubeConfig({ env: {}, homeDir: emptyHome })).toThrow(/no Kubernetes configuration found/);
    const home = mkdtempSync(path.join(tmpdir(), 'home-'));
    mkdirSync(path.join(home, '.kube'));
    const file = kubeconfig(path.relative(dir, path.join(home, '.kube', 'config')), { current: 'x', contexts: [{ name: 'x', cluster: 'c', user: 'u' }] });
    expect(loadKubeConfig({ env: {}, homeDir: home })).toMatchObject({ contextName: 'x', namespace: 'default', sources: [file] });
  });
  it('names the available contexts when the context does not exist', () => {
    expect(() => loadKubeConfig({ kubeconfig: a, context: 'nope', env: {} })).toThrow(/context "nope" not found .*available contexts: alpha, shared/);
  });
  it('asks for --context when there is no current context', () => {
    try {
      loadKubeConfig({ kubeconfig: none, env: {} });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).problems[0]?.hint).toContain('--context');
    }
  });
  it('reports a missing explicit file and a KUBECONFIG of missing files', () => {
    expect(() => loadKubeConfig({ kubeconfig: path.join(dir, 'nope.yaml'), env: {} })).toThrow(/does not exist/);
    expect(() => loadKubeConfig({ env: { KUBECONFIG: path.join(dir, 'nope.yaml') } })).toThrow(/none of the files in KUBECONFIG exist/);
  });
});
