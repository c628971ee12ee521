// The run report as written to disk, compared with files: the Markdown for a change ticket and the
// JSON for machines, both without the secret the run saw.
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/contract/redact.js';
import { buildReport } from '../../../src/report/model.js';
import { writeReport } from '../../../src/report/write.js';
import { SECRET, samplePlan, sampleState } from './fixtures/sample.js';

describe('writeReport', () => {
  it('writes report.md and report.json into every folder, private, with no secret', async () => {
    const plan = await samplePlan();
    const report = buildReport(plan, sampleState(plan), { server: 'https://api.example:6443', context: 'admin' }, { reads: 120, writes: 7, watches: 2 });
    const base = await mkdtemp(join(tmpdir(), 'runbook-report-'));
    const dirs = [join(base, 'runs', 'r1'), join(base, 'copy')];
    const written = await writeReport(report, dirs, new Redactor([SECRET]));
    expect(written).toEqual(dirs.map((d) => join(d, 'report.md')));

    const md = await readFile(join(dirs[0]!, 'report.md'), 'utf8');
    const json = await readFile(join(dirs[0]!, 'report.json'), 'utf8');
    await expect(md).toMatchFileSnapshot('__snapshots__/report.md');
    await expect(json).toMatchFileSnapshot('__snapshots__/report.json');
    for (const text of [md, json]) {
      expect(text).not.toContain(SECRET);
      expect(text).toContain('<redacted>');
    }
    expect(await readFile(join(dirs[1]!, 'report.md'), 'utf8')).toBe(md);
    expect(await readFile(join(dirs[1]!, 'report.json'), 'utf8')).toBe(json);
    for (const dir of dirs) {
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      for (const name of ['report.md', 'report.json']) expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
    }
  });
});
