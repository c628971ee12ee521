// docs/coverage.md is exactly what the generator writes from the guide items and the shipped
// runbooks' `source:` fields, and the shipped guide items load without problems.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { coverageDocPath, renderCoverageDoc } from '../../../src/docs/coverage-doc.js';
import { formatProblem } from '../../../src/contract/errors.js';
import { loadGuides } from '../../../src/runbook/guide-items.js';

describe('guide coverage page', () => {
  it('the shipped guide items load', async () => {
    const { guides, problems } = await loadGuides();
    expect(problems.map(formatProblem)).toEqual([]);
    expect(guides.length).toBeGreaterThan(0);
  });

  it('docs/coverage.md is in sync (run npm run docs)', { timeout: 60_000 }, async () => {
    expect(await readFile(coverageDocPath(), 'utf8')).toBe(await renderCoverageDoc());
  });
});
