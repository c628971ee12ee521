// `runbook vars`: every var of a runbook and of the files it imports, how to set each, and the
// shipped vars example, which is this command's output and must not drift from the runbooks.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { builtinRegistry } from '../../../../src/steps/index.js';
import { loadRunbook } from '../../../../src/runbook/loader.js';
import { listVars, varsExample } from '../../../../src/runbook/vars-listing.js';
import { resolveVars } from '../../../../src/runbook/vars.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const UPGRADE = 'runbooks/upgrade-2.25-to-3.3.yaml';
const EXAMPLE = 'runbooks/upgrade-2.25-to-3.3.vars.example.yaml';

async function upgrade() {
  const loaded = await loadRunbook(join(root, UPGRADE), { registry: builtinRegistry(), provided: {} });
  expect(loaded.problems).toEqual([]);
  return loaded.plan!;
}

describe('runbook vars', () => {
  it('lists the vars of imported files with the file that declares them', async () => {
    const vars = listVars(await upgrade(), join(root, 'runbooks'));
    // The var the site could not set before: declared only in an imported file.
    const pin = vars.find((v) => v.name === 'pinLlmConfigs');
    expect(pin).toMatchObject({ type: 'boolean', default: false, declaredIn: ['rhoai-2.25-to-3.3/before/model-serving.yaml'] });
    // A secret of two imported files: one entry, both files.
    expect(vars.find((v) => v.name === 'trustyaiToken')).toMatchObject({ secret: true, declaredIn: ['rhoai-2.25-to-3.3/before/trustyai.yaml', 'rhoai-2.25-to-3.3/after/trustyai.yaml'] });
    expect(vars.find((v) => v.name === 'catalogSource')).toMatchObject({ declaredIn: ['upgrade-2.25-to-3.3.yaml'] });
    // Names are unique: one name, one entry.
    expect(new Set(vars.map((v) => v.name)).size).toBe(vars.length);
  });

  it('every var it lists can be set from the top under the name it shows', async () => {
    const plan = await upgrade();
    for (const v of listVars(plan, join(root, 'runbooks'))) {
      if (v.type !== 'string') continue;
      const { problems } = resolveVars(plan, { [v.name]: 'x' });
      expect(problems.filter((p) => p.message.startsWith('unknown var')), v.name).toEqual([]);
    }
  });

  it('the shipped vars example is its output, and it parses as a vars file that sets nothing', async () => {
    const expected = varsExample(listVars(await upgrade(), join(root, 'runbooks')), UPGRADE);
    const shipped = readFileSync(join(root, EXAMPLE), 'utf8');
    expect(shipped, `regenerate with: node dist/cli/main.js vars ${UPGRADE} -o example > ${EXAMPLE}`).toBe(expected);
    expect(parseYaml(shipped)).toBeNull();
  });
});
