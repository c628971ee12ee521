// EXPORT.md, the summary of an export: what was read, skipped and redacted, and the files written,
// whose list is also what a later --force export into the same folder removes first.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExportOptions, ExportResult } from './export.js';
import type { RunbookKinds } from './kinds.js';
import { REDACTED_DATA, REDACTED_TEXT } from './redact.js';

/** The summary file; its "Files" list is what a later --force export replaces. */
export const EXPORT_NOTES = 'EXPORT.md';

/** Removes the files the earlier export in this folder listed (nothing else). */
export async function removeEarlierExport(dir: string): Promise<void> {
  const text = await readFile(join(dir, EXPORT_NOTES), 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const section = text.split(/^## Files$/m)[1] ?? '';
  for (const line of section.split('\n')) {
    const file = /^- `([^`]+)`/.exec(line)?.[1];
    if (file && /^(crds\/)?[A-Za-z0-9._-]+\.yaml$/.test(file) && !file.includes('..')) await rm(join(dir, file), { force: true });
  }
}

/** Text for a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function exportNotes(r: ExportResult, wanted: RunbookKinds, options: ExportOptions): string {
  const when = (options.now ?? new Date()).toISOString();
  const lines: string[] = [
    '# Cluster export',
    '',
    `Written by \`runbook sandbox export\` at ${when}, reading (get and list only) from:`,
    '',
    `- API server: ${options.source.server}`,
    `- kubeconfig context: ${options.source.context}`,
    '',
    `The kinds are those the runbooks' steps read or write (${wanted.runbooks.map((b) => `\`${b.file}\``).join(', ')}), plus OLM's Subscriptions, ClusterServiceVersions, CatalogSources, InstallPlans and OperatorGroups, ClusterVersion, the DataScienceCluster and DSCInitialization, the Namespaces of the exported objects and the CRDs of the custom kinds.`,
    `Objects of custom and cluster-scoped kinds are read in all namespaces; those of namespaced built-in kinds ${options.allNamespaces ? 'in all namespaces too (--all-namespaces)' : 'only in the namespaces of the exported custom objects and those the runbooks name'}.`,
    'Every object is as `oc get -o yaml` gives it, without `metadata.managedFields`.',
    '',
    'Load it as a sandbox scenario: `runbook sandbox up --scenario <this folder>`.',
    '',
    `## Objects (${r.objects})`,
    '',
    '| kind | apiVersion | read in | objects | file | why |',
    '|---|---|---|---|---|---|',
    ...r.kinds
      .filter((k) => !k.skipped)
      .map((k) => `| ${k.kind} | ${k.group ? `${k.group}/` : ''}${k.version} | ${k.scope ?? ''} | ${k.objects}${k.left ? ` (${k.left})` : ''} | ${k.file ? `\`${k.file}\`` : '—'} | ${k.why} |`),
    '',
    `## CRDs (${r.crds.length})`,
    '',
    ...(r.crds.length ? r.crds.map((c) => `- ${c}`) : ['none']),
    '',
    '## Skipped',
    '',
  ];
  const skipped = [...r.kinds.filter((k) => k.skipped).map((k) => `- ${k.kind} (${k.group || 'core'}): ${k.skipped}; ${k.why}`), ...r.notes.map((n) => `- ${n.what}: ${n.reason}`)];
  lines.push(...(skipped.length ? skipped : ['nothing']), '');
  lines.push(
    `## Redacted Secrets (${r.redactions.length})`,
    '',
    `No Secret value was written: every value under \`data\` is replaced by \`${REDACTED_DATA}\` (base64 of "${REDACTED_TEXT}"), every value under \`stringData\` by \`${REDACTED_TEXT}\`, and so is every annotation of a Secret that held one of its values (such as \`kubectl.kubernetes.io/last-applied-configuration\`). Keys and types are kept. Give a rehearsal the values it needs by editing these files.`,
    '',
  );
  if (r.redactions.length) {
    lines.push('| Secret | type | keys | annotations |', '|---|---|---|---|');
    for (const s of r.redactions) {
      lines.push(`| ${cell(`${s.namespace ? `${s.namespace}/` : ''}${s.name}`)} | ${cell(s.type ?? '')} | ${cell(s.keys.join(', ')) || '—'} | ${cell(s.annotations.join(', ')) || '—'} |`);
    }
    lines.push('');
  }
  lines.push('## Files', '', ...r.files.map((f) => `- \`${f}\``), '');
  return lines.join('\n');
}
