// The checks take a shipped expression's names and calls from what the build saved: read back
// exactly as parsing gives them, and a missing or damaged table is only a lost shortcut.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findUses } from '../../../src/runbook/expression-names.js';
import { savedText } from '../../../src/build/shipped-expressions.js';
import { readSaved, type Uses } from '../../../src/runbook/shipped-expressions.js';

const work = mkdtempSync(join(tmpdir(), 'runbook-saved-expressions-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the saved expressions', () => {
  it('read back as parsing gives them, an argument of unknown type included', () => {
    const expressions = ['size(items) > 0 && vars.mode == "Raw"', 'x.orValue("é")', 'items.all(i, i.ready) ? semverGte(v, "3.3.0") : false'];
    const entries = expressions.map((e): [string, Uses] => [e, findUses(e)!]);
    expect(entries[0]![1].calls[0]!.args).toEqual([undefined]);
    const file = join(work, 'saved.json');
    const text = savedText(entries);
    expect([...text].every((c) => c.charCodeAt(0) < 0x80)).toBe(true);
    writeFileSync(file, text);

    const saved = readSaved(pathToFileURL(file));

    expect([...saved.keys()]).toEqual(expressions);
    for (const e of expressions) expect(saved.get(e), e).toStrictEqual(findUses(e));
  });

  it('are none when the table is missing or damaged', () => {
    expect(readSaved(pathToFileURL(join(work, 'absent.json'))).size).toBe(0);
    writeFileSync(join(work, 'damaged.json'), '{"a == 1": {"names": [');
    expect(readSaved(pathToFileURL(join(work, 'damaged.json'))).size).toBe(0);
  });
});
