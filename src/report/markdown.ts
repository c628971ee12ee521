// The run report as Markdown, for a change ticket: what ran, against what, what it found, what
// changed, and what is left for people to do.
import { formatMs } from '../engine/attempt.js';
import type { ReportNote, RunReport } from './model.js';

const STATUS_MARK: Record<string, string> = {
  ok: '✓ ok',
  changed: '✎ changed',
  skipped: '– skipped',
  failed: '✗ failed',
  pending: '· pending',
  running: '… interrupted',
  waiting: '⏸ waiting',
};

export function renderMarkdown(r: RunReport): string {
  const out: string[] = [];
  out.push(`# Run report: ${r.runbook.name}`, '');
  if (r.runbook.description) out.push(r.runbook.description, '');
  out.push('| | |', '|---|---|');
  out.push(`| Result | **${r.status}**${r.message ? ` — ${esc(r.message)}` : ''} |`);
  out.push(`| Run id | \`${r.runId}\` |`);
  out.push(`| Runbook | \`${r.runbook.file}\` (digest \`${r.runbook.digest}\`) |`);
  if (r.dryRun !== 'none') out.push(`| Dry run | ${r.dryRun}: nothing was changed |`);
  if (r.cluster?.server) out.push(`| Cluster | ${r.cluster.server}${r.cluster.context ? ` (context \`${r.cluster.context}\`)` : ''} |`);
  out.push(`| Started | ${r.startedAt} |`, `| Last update | ${r.updatedAt} |`);
  if (r.apiCalls) out.push(`| API calls | ${r.apiCalls.reads} reads, ${r.apiCalls.writes} writes, ${r.apiCalls.watches} watches |`);
  out.push(
    `| Steps | ${r.counts.changed} changed, ${r.counts.ok} ok, ${r.counts.skipped} skipped, ${r.counts.failed} failed |`,
    '',
  );

  out.push('## Findings', '');
  if (r.findings.length === 0) out.push('None.', '');
  else {
    out.push('| Severity | Check | Message | Remediation | Objects |', '|---|---|---|---|---|');
    for (const f of r.findings) {
      // A dry run's finding made after changes it did not make says so: a run checks it again.
      const message = f.provisional ? `${f.message} (provisional: ${f.provisional})` : f.message;
      out.push(`| ${f.severity.toUpperCase()} | ${f.check} | ${esc(message)} | ${esc(f.remediation ?? '')} | ${esc((f.objects ?? []).join(', '))} |`);
    }
    out.push('');
  }

  out.push('## Steps', '', '| Step | Status | Attempts | Time | Note |', '|---|---|---|---|---|');
  let section = '';
  for (const s of r.steps) {
    if (s.section !== section) {
      section = s.section;
      out.push(`| **${section}** | | | | |`);
    }
    const indent = '&nbsp;&nbsp;'.repeat(s.depth);
    out.push(
      `| ${indent}${esc(s.name)}<br>\`${s.id}\`${s.overlay ? `<br>_${esc(s.overlay)}_` : ''} | ${STATUS_MARK[s.status] ?? s.status} | ${s.attempts || ''} | ${s.durationMs ? formatMs(s.durationMs) : ''} | ${esc(s.note ?? '')} |`,
    );
  }
  out.push('');

  const vars = Object.entries(r.vars);
  if (vars.length) {
    out.push('## Values given', '', '| Var | Value |', '|---|---|');
    for (const [k, v] of vars) out.push(`| ${k} | \`${esc(JSON.stringify(v))}\` |`);
    out.push('');
  }

  if (r.followUps.length) {
    out.push('## What is left for you', '');
    for (const f of r.followUps) out.push(`- ${noteText(f)}`);
    out.push('');
  }
  if (r.signOffs.length) {
    out.push('## Sign-off', '', 'No cluster can answer these: the person who closes the change confirms each.', '');
    for (const f of r.signOffs) out.push(`- [ ] ${noteText(f)}`);
    out.push('');
  }
  return out.join('\n');
}

function noteText(note: ReportNote): string {
  const text = note.text.trim().replace(/\n/g, '\n  ');
  return note.source.length ? `${text} _(guide: ${note.source.join(', ')})_` : text;
}

function esc(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, '<br>');
}
