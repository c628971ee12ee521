// The loader takes a shipped file's data from the form the build saved, found by the digest of the
// file's text: any other text, a missing folder or a damaged form means parsing, as for any file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formName, shippedForm } from '../../../src/runbook/shipped-forms.js';

const work = mkdtempSync(join(tmpdir(), 'runbook-shipped-forms-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const dir = pathToFileURL(`${work}/`);

describe('shippedForm', () => {
  const text = 'apiVersion: runbook.dev/v1\nkind: Runbook\nmetadata: { name: saved }\n';
  writeFileSync(join(work, formName(text)), JSON.stringify({ kind: 'Runbook', metadata: { name: 'saved' } }));

  it('names a form by the SHA-256 of the text', () => {
    expect(formName('a')).toBe('ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb.json');
  });

  it('gives the saved data for the very text it was saved for, a new copy each time', () => {
    const first = shippedForm(text, dir);
    expect(first).toEqual({ value: { kind: 'Runbook', metadata: { name: 'saved' } } });
    (first!.value as { kind: string }).kind = 'changed by a caller';
    expect(shippedForm(text, dir)?.value).toEqual({ kind: 'Runbook', metadata: { name: 'saved' } });
  });

  it('gives nothing for a text one byte away, or where no forms were saved', () => {
    expect(shippedForm(text.replace('saved', 'saveD'), dir)).toBeUndefined();
    expect(shippedForm(text, pathToFileURL(join(work, 'absent/')))).toBeUndefined();
  });

  it('gives nothing for a damaged form, so the file is parsed instead', () => {
    const damaged = 'kind: Runbook\n';
    writeFileSync(join(work, formName(damaged)), '{"kind": "Run');
    expect(shippedForm(damaged, dir)).toBeUndefined();
  });
});
