// `source:` on steps, sections, follow-ups and sign-offs: read at load, checked against the shipped
// guide items (a typo is an error at its line, with the closest id), joined into the coverage
// matrix, and carried into the report (sign-offs as a checklist).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/contract/errors.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { buildReport } from '../../../src/report/model.js';
import { coverageOf, coverageText, missingRows } from '../../../src/runbook/coverage.js';
import { loadGuides, type Guide } from '../../../src/runbook/guide-items.js';
import { loadRunbook } from '../../../src/runbook/loader.js';
import { builtinRegistry } from '../../../src/steps/index.js';

let guide: Guide;
beforeAll(async () => {
  const { guides } = await loadGuides();
  guide = guides.find((g) => g.items.length >= 3)!;
});

const runbook = (first: string, second: string, third: string) => `apiVersion: runbook.dev/v1
kind: Runbook
metadata: { name: traced }
sections:
  - name: before
    source: ${third}
    steps:
      - name: Check one thing
        id: before/one
        source: ${first}
        set: { value: 'true' }
followUps:
  - A sentence without a source
  - { text: "Tell the users", source: [${second}] }
signOffs:
  - { text: "The backup restores", source: ${third} }
`;

async function load(text: string) {
  const dir = await mkdtemp(join(tmpdir(), 'coverage-'));
  await writeFile(join(dir, 'rb.yaml'), text);
  return { ...(await loadRunbook(join(dir, 'rb.yaml'), { registry: builtinRegistry() })), dir };
}

describe('guide item references', () => {
  it('joins steps, sections, follow-ups and sign-offs to the items they name', async () => {
    const [a, b, c] = guide.items.map((i) => i.id);
    const { plan, problems } = await load(runbook(a!, b!, c!));
    expect(problems.map(formatProblem)).toEqual([]);
    const coverage = coverageOf(plan!, [guide]);
    const row = (id: string) => coverage.rows.find((r) => r.item.id === id)!.by.map((w) => `${w.kind}:${w.name}`);
    expect(row(a!)).toEqual(['step:before/one']);
    expect(row(b!)).toEqual(['followUp:Tell the users']);
    expect(row(c!)).toEqual(['section:before', 'signOff:The backup restores']);
    expect(missingRows(coverage)).toHaveLength(guide.items.length - 3);
    expect(coverageText(coverage, '/')).toContain(`✗ ${guide.items[3]!.id}`);
  });

  it('refuses an id its guide does not list, at its line, with the closest id', async () => {
    const [a, b, c] = guide.items.map((i) => i.id);
    const typo = `${a!.slice(0, -1)}x`;
    const { plan, problems, dir } = await load(runbook(typo, b!, c!));
    expect(plan).toBeUndefined();
    expect(problems.map(formatProblem).join('\n')).toContain(`${join(dir, 'rb.yaml')}:10:17: source: guide ${guide.name} has no item "${typo}"`);
    expect(problems[0]!.hint).toContain(`did you mean "${a}"?`);
  });

  it('refuses a source that is not an item id', async () => {
    const { problems } = await load(runbook('"Upgrade guide, step 3"', guide.items[1]!.id, guide.items[2]!.id));
    expect(problems.map(formatProblem).join('\n')).toMatch(/rb\.yaml:10:\d+: .*source/);
  });

  it('lists sign-offs as a checklist and follow-ups with their guide items in the report', async () => {
    const [a, b, c] = guide.items.map((i) => i.id);
    const { plan } = await load(runbook(a!, b!, c!));
    const now = new Date(0).toISOString();
    const md = renderMarkdown(
      buildReport(plan!, { version: 1, runId: 'r', runbook: plan!.file, digest: plan!.digest, status: 'succeeded', dryRun: 'none', startedAt: now, updatedAt: now, vars: {}, steps: {}, findings: [], registered: {} } as never),
    );
    expect(md).toContain(`- Tell the users _(guide: ${b})_`);
    expect(md).toContain('- A sentence without a source\n');
    expect(md).toContain(`## Sign-off`);
    expect(md).toContain(`- [ ] The backup restores _(guide: ${c})_`);
  });
});
