// RUNBOOK_VAR_* naming no var of the runbook: other tools may set such variables broadly, so it
// is not an error, but a typo of a real var is said (with the name meant) rather than ignored.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { prepare } from '../../../src/cli/prepare.js';
import { StepRegistry } from '../../../src/contract/registry.js';
import { World, standardTypes } from '../../fixtures/engine/types.js';

const RUNBOOK = `apiVersion: runbook.dev/v1
kind: Runbook
metadata: { name: env-vars }
vars:
  pinLlmConfigs: { type: boolean, default: false }
sections:
  - name: main
    steps:
      - name: use
        probe: { key: "{{ pinLlmConfigs }}" }
`;

const registry = new StepRegistry(standardTypes(new World()));

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('prepare: RUNBOOK_VAR_* that sets no var', () => {
  it('is a warning with the did-you-mean, and the run goes on with the default', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runbook-prepare-env-'));
    const runbook = join(dir, 'runbook.yaml');
    await writeFile(runbook, RUNBOOK);
    vi.stubEnv('RUNBOOK_VAR_pinLlmConfig', 'true');
    vi.stubEnv('RUNBOOK_VAR_somethingElse', 'x');
    const written: string[] = [];
    const p = await prepare(runbook, { varsFile: [], var: [] }, registry, {}, (s) => written.push(s));
    expect(p.vars.scopes['']).toMatchObject({ pinLlmConfigs: false });
    expect(p.warnings.map((w) => w.message)).toEqual([
      'RUNBOOK_VAR_pinLlmConfig sets no var of this runbook; it is ignored',
      'RUNBOOK_VAR_somethingElse sets no var of this runbook; it is ignored',
    ]);
    expect(written.join('')).toContain(
      'warning: RUNBOOK_VAR_pinLlmConfig sets no var of this runbook; it is ignored\n  hint: did you mean "pinLlmConfigs" (RUNBOOK_VAR_pinLlmConfigs)?',
    );
    expect(written.join('')).not.toMatch(/somethingElse[^\n]*\n {2}hint: did you mean/);
  });

  it('says nothing when every RUNBOOK_VAR_* sets a var', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runbook-prepare-env-'));
    const runbook = join(dir, 'runbook.yaml');
    await writeFile(runbook, RUNBOOK);
    vi.stubEnv('RUNBOOK_VAR_pinLlmConfigs', 'true');
    const written: string[] = [];
    const p = await prepare(runbook, { varsFile: [], var: [] }, registry, {}, (s) => written.push(s));
    expect(p.vars.scopes['']).toMatchObject({ pinLlmConfigs: true });
    expect(p.warnings).toEqual([]);
    expect(written).toEqual([]);
  });
});
