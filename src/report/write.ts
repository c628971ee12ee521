// Writes the report of a run next to its state (and, when asked, into another folder too).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import type { Redactor } from '../contract/redact.js';
import { renderMarkdown } from './markdown.js';
import type { RunReport } from './model.js';

export async function writeReport(report: RunReport, dirs: readonly string[], redactor: Redactor): Promise<string[]> {
  const written: string[] = [];
  // Structurally first (a Secret object among the vars shows no values), then as text.
  const safe = redactor.redactValue(report);
  const md = redactor.redact(renderMarkdown(safe));
  const json = redactor.json(safe, 2);
  for (const dir of dirs) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(dir, 'report.md'), md, { mode: 0o600 });
    await writeFileAtomic(join(dir, 'report.json'), json + '\n', { mode: 0o600 });
    written.push(join(dir, 'report.md'));
  }
  return written;
}
