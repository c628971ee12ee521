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

  it('takes a shipped expression from the table, and still checks its names where it is used', () => {
    // The upgrade's own test of Kueue's state, in a runbook that never registers what it reads.
    const file = join(work, 'site.yaml');
    writeFileSync(
      file,
      'apiVersion: runbook.dev/v1\nkind: Runbook\nmetadata: { name: site }\nsections:\n  - name: one\n    steps:\n      - name: Out of place\n        id: one/a\n        when: kueueStateBefore == "Managed"\n        set: { value: "1" }\n',
    );
    expect(built.has('kueueStateBefore == "Managed"')).toBe(true);

    const r = spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'validate', '--no-cache', file], {
      cwd: work,
      env: { ...process.env, NODE_DEBUG: 'runbook', RUNBOOK_CACHE_DIR: work },
      encoding: 'utf8',
    });

    expect(r.stderr).toMatch(/^RUNBOOK \d+: \d+ expressions parsed by the build$/m);
    expect(r.stderr).toContain(`${file}:9:15: step "Out of place": unknown name "kueueStateBefore" in expression`);
    expect(r.stderr).toContain('1 problem found');
    expect(r.status).toBe(2);
  });
});
