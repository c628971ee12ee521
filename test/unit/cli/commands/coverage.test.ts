// `runbook coverage FILE`: the guide items a runbook answers, as text or JSON, for some guides or
// only what is missing; unknown guides and formats are bad input.
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { coverageCommand } from '../../../../src/cli/commands/coverage.js';
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
describe('coverage command', { timeout: 120_000 }, () => {
  it('json for one guide: only that guide, and --missing leaves only rows not answered', async () => {
    let out = stdout();
    expect(await coverageCommand(UPGRADE, { output: 'json', guide: ['001'] }, builtinRegistry())).toBe(EXIT.ok);
    const all = JSON.parse(out.join('')) as { rows: { item?: { id: string }; id?: string }[] };
    expect(all.rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(all.rows)).not.toMatch(/"000\./);
    vi.restoreAllMocks();
    out = stdout();
    await coverageCommand(UPGRADE, { output: 'json', guide: ['001'], missing: true }, builtinRegistry());
    const missing = JSON.parse(out.join('')) as { rows: unknown[] };
    expect(missing.rows.length).toBeLessThanOrEqual(all.rows.length);
  });

  it('text names the guide items', async () => {
    const out = stdout();
    await coverageCommand(UPGRADE, { output: 'text' }, builtinRegistry());
    expect(out.join('')).toMatch(/001\./);
  });

  it('an unknown guide or format is bad input', async () => {
    const guide = await coverageCommand(UPGRADE, { output: 'text', guide: ['999'] }, builtinRegistry()).catch((e: unknown) => e);
    expect(guide).toBeInstanceOf(InputError);
    expect((guide as InputError).problems[0]!.message).toBe('--guide 999: no such guide');
    const format = await coverageCommand(UPGRADE, { output: 'yaml' }, builtinRegistry()).catch((e: unknown) => e);
    expect((format as InputError).problems).toEqual([{ message: '-o yaml: unknown format', hint: 'one of text, json' }]);
  });
});
