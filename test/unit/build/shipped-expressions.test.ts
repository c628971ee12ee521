// The build parses every expression of the shipped runbooks and saves what it found
// (src/build/shipped-expressions.ts); the checks trust an entry for its exact text, so each entry
// must be what parsing that text gives, and every shipped expression must have one.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseExpressionsUnder } from '../../../src/build/shipped-expressions.js';
import { packageRoot } from '../../../src/package-root.js';
import { findUses } from '../../../src/runbook/expression-names.js';
import { SAVED_EXPRESSIONS, readSaved } from '../../../src/runbook/shipped-expressions.js';

const root = packageRoot();
const built = readSaved(pathToFileURL(join(root, 'dist', 'runbook', SAVED_EXPRESSIONS)));

describe('the expressions saved by the build', () => {
  it('are every expression of the shipped runbooks that parses', async () => {
    expect(built.size, 'runbook is built (npm run build)').toBeGreaterThan(600);
    const parsed = await parseExpressionsUnder(join(root, 'runbooks'));
    expect([...built.keys()].sort()).toEqual(parsed.map(([e]) => e));
  });

  it('hold what parsing each one finds', () => {
    for (const [expression, uses] of built) expect(uses, expression).toStrictEqual(findUses(expression));
  });
});

describe('a run of the built command line', () => {
  const work = mkdtempSync(join(tmpdir(), 'runbook-expressions-cli-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const cli = join(root, 'dist', 'cli', 'main.js');
  const validate = (file: string) =>
    spawnSync(process.execPath, [cli, 'validate', '--no-cache', file], { cwd: work, env: { ...process.env, NODE_DEBUG: 'runbook', RUNBOOK_CACHE_DIR: work }, encoding: 'utf8' });
  // The upgrade's own test of Kueue's state, in a step of a site's.
  const step = '  - name: one\n    steps:\n      - name: Out of place\n        id: one/a\n        when: kueueStateBefore == "Managed"\n        set: { value: "1" }\n';

  it('takes a shipped expression from the table, and still checks what it reads where it is used', () => {
    expect(built.has('kueueStateBefore == "Managed"')).toBe(true);
    const file = join(work, 'site.yaml');
    writeFileSync(file, `apiVersion: runbook.dev/v1\nkind: Runbook\nmetadata: { name: site }\nimports:\n  - file: runbook:upgrade-2.25-to-3.3.yaml\nsections:\n${step}`);

    const r = validate(file);

    expect(r.stderr).toMatch(/^RUNBOOK \d+: \d+ expressions parsed by the build$/m);
    // The upgrade registers the name, in a section that runs after the site's.
    expect(r.stderr).toContain(`${file}:9:9: step "Out of place" reads "kueueStateBefore" before any step registers it`);
    expect(r.stderr).toContain('1 problem found');
    expect(r.status).toBe(2);
  });

  it('is not read for a runbook that reads no shipped file, whose expressions are parsed', () => {
    const file = join(work, 'own.yaml');
    writeFileSync(file, `apiVersion: runbook.dev/v1\nkind: Runbook\nmetadata: { name: own }\nsections:\n${step}`);

    const r = validate(file);

    expect(r.stderr).not.toMatch(/expressions parsed by the build/);
    expect(r.stderr).toContain(`${file}:9:15: step "Out of place": unknown name "kueueStateBefore" in expression`);
    expect(r.stderr).toContain('1 problem found');
    expect(r.status).toBe(2);
  });
});
