// What loading a runbook read, and whether it reads the same again: files, looked-for paths and
// listed folders, digested under a key, never kept as content.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inputExists, inputsUnchanged, listInput, readInput, recordInputs, takeInputs } from '../../../src/runbook/input-log.js';

const key = Buffer.alloc(32, 7);
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-input-log-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('input log', () => {
  it('remembers nothing unless asked', async () => {
    writeFileSync(join(dir, 'a.yaml'), 'a: 1\n');
    await readInput(join(dir, 'a.yaml'));
    expect(takeInputs()).toEqual([]);
  });

  it('sees a file changed, a looked-for path appearing and a folder gaining an entry', async () => {
    const file = join(dir, 'a.yaml');
    const folder = join(dir, 'items');
    mkdirSync(folder);
    writeFileSync(file, 'password: hunter2-and-more\n');
    writeFileSync(join(folder, '000.yaml'), 'x: 1\n');
    recordInputs(key);
    await readInput(file);
    expect(inputExists(join(dir, 'template.yaml'))).toBe(false);
    expect(await listInput(folder)).toEqual(['000.yaml']);
    await expect(readInput(join(dir, 'missing.yaml'))).rejects.toThrow(/ENOENT/);
    const reads = takeInputs();
    expect(reads.map((r) => r.kind).sort()).toEqual(['exists', 'exists', 'file', 'listing']);
    expect(JSON.stringify(reads)).not.toMatch(/hunter2|aHVudGVyM|68756e74657232/);
    expect(await inputsUnchanged(reads, key)).toBe(true);
    // Another key digests differently: a cache folder's entries are checked under its own key.
    expect(await inputsUnchanged(reads, Buffer.alloc(32, 8))).toBe(false);

    writeFileSync(file, 'password: hunter3-and-more\n');
    expect(await inputsUnchanged(reads, key)).toBe(false);
    writeFileSync(file, 'password: hunter2-and-more\n');
    expect(await inputsUnchanged(reads, key)).toBe(true);

    writeFileSync(join(dir, 'template.yaml'), '');
    expect(await inputsUnchanged(reads, key)).toBe(false);
    rmSync(join(dir, 'template.yaml'));

    writeFileSync(join(folder, '001.yaml'), 'x: 2\n');
    expect(await inputsUnchanged(reads, key)).toBe(false);
    rmSync(join(folder, '001.yaml'));

    writeFileSync(join(dir, 'missing.yaml'), '');
    expect(await inputsUnchanged(reads, key)).toBe(false);
  });
});
