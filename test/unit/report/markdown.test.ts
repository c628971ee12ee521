// The Markdown report's parts that a real run rarely shows all at once: a dry run, notes that name
// the guide items they answer, table cells that hold a pipe or a newline, every status mark.
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../../src/report/markdown.js';
import type { RunReport } from '../../../src/report/model.js';

const base: RunReport = {
  runId: 'r-1',
  runbook: { name: 'sample', file: 'sample.yaml', digest: 'd1' },
  status: 'succeeded',
  dryRun: 'none',
  startedAt: '2026-03-02T09:30:00.000Z',
  updatedAt: '2026-03-02T09:31:00.000Z',
  vars: {},
  counts: { ok: 0, changed: 0, skipped: 0, failed: 0 },
  findings: [],
  steps: [],
  followUps: [],
  signOffs: [],
};

describe('renderMarkdown', () => {
  it('a dry run says nothing was changed; no findings says None; empty parts are left out', () => {
    const md = renderMarkdown({ ...base, dryRun: 'server' });
    expect(md).toContain('| Dry run | server: nothing was changed |');
    expect(md).toContain('## Findings\n\nNone.\n');
    for (const part of ['## Values given', '## What is left for you', '## Sign-off', '| Cluster |', '| API calls |']) expect(md).not.toContain(part);
  });

  it('notes name the guide items they answer, and keep their line breaks indented', () => {
    const md = renderMarkdown({
      ...base,
      followUps: [{ text: 'Hand out the new URLs.\nAnd the tokens.', source: ['002.update-downstream'] }],
      signOffs: [{ text: 'Users log in.', source: ['001.done-workbench-login', '000.x'] }],
    });
    expect(md).toContain('- Hand out the new URLs.\n  And the tokens. _(guide: 002.update-downstream)_');
    expect(md).toContain('- [ ] Users log in. _(guide: 001.done-workbench-login, 000.x)_');
  });

  it('a pipe or a newline in a cell does not break the table; every status has its mark', () => {
    const statuses = ['ok', 'changed', 'skipped', 'failed', 'pending', 'running', 'waiting'] as const;
    const md = renderMarkdown({
      ...base,
      message: 'a | b\nc',
      steps: statuses.map((status, i) => ({ id: `s${i}`, name: `step ${status}`, depth: 0, section: 'one', status, attempts: 0, durationMs: 0 })),
    });
    expect(md).toContain('| Result | **succeeded** — a \\| b<br>c |');
    expect(md.match(/^\| step .*$/gm)!.map((l) => l.split(' | ')[1])).toEqual(['✓ ok', '✎ changed', '– skipped', '✗ failed', '· pending', '… interrupted', '⏸ waiting']);
  });
});
