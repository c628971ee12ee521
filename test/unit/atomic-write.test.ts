import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/atomic-write.js';

describe('writeFileAtomic', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the whole file with the mode asked, replacing what was there, and leaves no staged file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'runbook-atomic-'));
    const file = join(dir, 'report.md');
    await writeFileAtomic(file, 'first\n', { mode: 0o600 });
    await writeFileAtomic(file, Buffer.from('second\n'), { mode: 0o600 });
    expect(readFileSync(file, 'utf8')).toBe('second\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['report.md']);
  });

  it('fails with the file system error when the folder does not exist', async () => {
    dir = mkdtempSync(join(tmpdir(), 'runbook-atomic-'));
    await expect(writeFileAtomic(join(dir, 'missing', 'x'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
