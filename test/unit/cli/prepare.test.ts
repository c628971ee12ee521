// A runbook and its var values, checked before anything touches a cluster. Values win in this
// order, lowest first: stored (on resume), --vars-file in order, RUNBOOK_VAR_*, --var.
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StepRegistry } from '../../../src/contract/registry.js';
import { InputError } from '../../../src/contract/errors.js';
import { prepare } from '../../../src/cli/prepare.js';
import { World, standardTypes } from '../../fixtures/engine/types.js';

const RUNBOOK = `apiVersion: runbook.dev/v1
kind: Runbook
metadata:
  name: vars
vars:
  a: { default: from-default }
  b: { default: from-default }
  c: { default: from-default }
  d: { default: from-default }
  token: { secret: true }
sections:
  - name: main
    steps:
      - name: use
        probe: { key: "{{ a }}-{{ b }}-{{ c }}-{{ d }}" }
`;

const registry = new StepRegistry(standardTypes(new World()));

async function files(): Promise<{ runbook: string; first: string; second: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'runbook-prepare-'));
  const runbook = join(dir, 'runbook.yaml');
  await writeFile(runbook, RUNBOOK);
  await writeFile(join(dir, 'first.yaml'), 'a: first\nb: first\nc: first\n');
  await writeFile(join(dir, 'second.yaml'), 'b: second\nc: second\n');
  return { runbook, first: join(dir, 'first.yaml'), second: join(dir, 'second.yaml') };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('prepare', () => {
  it('stored < vars files in order < RUNBOOK_VAR_* < --var; given holds only values given', async () => {
    const f = await files();
    vi.stubEnv('RUNBOOK_VAR_c', 'env');
    vi.stubEnv('RUNBOOK_VAR_d', 'env');
    vi.stubEnv('RUNBOOK_VAR_other', 'a var of another runbook');
    const p = await prepare(f.runbook, { varsFile: [f.first, f.second], var: ['d=flag', 'token=s3cret'] }, registry, { a: 'stored', gone: 'no longer declared' });
    expect(p.given).toEqual({ a: 'first', b: 'second', c: 'env', d: 'flag', token: 's3cret' });
    expect(p.vars.scopes['']).toMatchObject({ a: 'first', b: 'second', c: 'env', d: 'flag' });
    expect(p.vars.secrets).toContain('s3cret');
    expect(p.vars.secretNames).toEqual(['token']);
    expect(p.plan.name).toBe('vars');
  });

  it('a stored value counts when nothing newer is given; defaults fill the rest', async () => {
    const f = await files();
    const p = await prepare(f.runbook, { varsFile: [], var: [] }, registry, { a: 'stored' });
    expect(p.given).toEqual({ a: 'stored' });
    expect(p.vars.scopes['']).toMatchObject({ a: 'stored', b: 'from-default' });
  });

  it('bad input is an InputError with every problem: a --var without =, a vars file that is not there, an unknown var', async () => {
    const f = await files();
    const err = await prepare(f.runbook, { varsFile: [join(f.first, '..', 'missing.yaml')], var: ['novalue'] }, registry).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).problems).toHaveLength(2);
    const unknown = await prepare(f.runbook, { varsFile: [], var: ['nosuch=1'] }, registry).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(InputError);
    expect((unknown as Error).message).toContain('nosuch');
  });
});
