// `runbook vars FILE` in its three formats, without values for required vars; an unknown format is
// bad input.
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { varsCommand } from '../../../../src/cli/commands/vars.js';
import { EXIT } from '../../../../src/cli/exit-codes.js';
import { InputError } from '../../../../src/contract/errors.js';
import { builtinRegistry } from '../../../../src/steps/index.js';

const UPGRADE = fileURLToPath(new URL('../../../../runbooks/upgrade-2.25-to-3.3.yaml', import.meta.url));

function stdout(): string[] {
  const out: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
  return out;
}

afterEach(() => {
  vi.restoreAllMocks();
});

// Each call loads the whole upgrade runbook with every step type: seconds on a busy machine.
describe('vars command', { timeout: 120_000 }, () => {
  it('json: every var with its type and the file that declares it', async () => {
    const out = stdout();
    expect(await varsCommand(UPGRADE, { output: 'json' }, builtinRegistry())).toBe(EXIT.ok);
    const vars = JSON.parse(out.join('')) as { name: string; declaredIn: string[] }[];
    expect(vars.length).toBeGreaterThan(5);
    expect(vars.find((v) => v.name === 'pinLlmConfigs')?.declaredIn).toEqual(['rhoai-2.25-to-3.3/before/model-serving.yaml']);
  });

  it('table and example name the same vars', async () => {
    const table = stdout();
    await varsCommand(UPGRADE, { output: 'table' }, builtinRegistry());
    vi.restoreAllMocks();
    const example = stdout();
    await varsCommand(UPGRADE, { output: 'example' }, builtinRegistry());
    expect(table.join('')).toContain('pinLlmConfigs');
    expect(example.join('')).toContain('pinLlmConfigs');
  });

  it('an unknown format is bad input, naming the formats', async () => {
    const err = await varsCommand(UPGRADE, { output: 'yaml' }, builtinRegistry()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).problems).toEqual([{ message: '-o yaml: unknown format', hint: 'one of table, json, example' }]);
  });
});
