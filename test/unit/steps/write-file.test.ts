// `writeFile` and the step contract: apply writes what check planned in the same attempt (the
// texts check compared), and plans by itself when it runs without a check.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StepContext } from '../../../src/contract/step-type.js';
import { writeFileStep } from '../../../src/steps/write-file.js';

let dir: string;
let cwd: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runbook-write-prepared-'));
  cwd = process.cwd();
  process.chdir(dir);
});

afterEach(() => {
  process.chdir(cwd);
});

const ctx = { dryRun: 'none', log: () => undefined } as unknown as StepContext;

describe('writeFile check and apply', () => {
  it('check hands its plan to apply, which writes the files that differed', async () => {
    await writeFile(join(dir, 'same.txt'), 'kept');
    const input = { files: [{ path: 'same.txt', content: 'kept', format: 'text' as const }, { path: 'new.txt', content: 'fresh', format: 'text' as const }] };
    const checked = await writeFileStep.check!(ctx, input);
    expect(checked.holds).toBe(false);
    expect(checked.prepared?.map((f) => [f.path, f.same])).toEqual([
      ['same.txt', true],
      ['new.txt', false],
    ]);
    const applied = await writeFileStep.apply(ctx, input, checked.prepared);
    expect(applied.output).toEqual({ written: ['new.txt'], unchanged: ['same.txt'], files: ['same.txt', 'new.txt'] });
    expect(await readFile(join(dir, 'new.txt'), 'utf8')).toBe('fresh');
  });

  it('nothing to write: check holds and hands nothing on', async () => {
    await writeFile(join(dir, 'a.txt'), 'a');
    const checked = await writeFileStep.check!(ctx, { path: 'a.txt', content: 'a', format: 'text' });
    expect(checked).toMatchObject({ holds: true, reason: 'a.txt already holds this content' });
    expect(checked.prepared).toBeUndefined();
  });

  it('apply without a check plans for itself', async () => {
    const applied = await writeFileStep.apply(ctx, { path: 'out/b.json', content: { b: 1 } });
    expect(applied).toMatchObject({ changed: true, summary: 'wrote out/b.json' });
    expect(await readFile(join(dir, 'out/b.json'), 'utf8')).toBe('{\n  "b": 1\n}\n');
  });
});
