// `runbook sandbox export`: the site's own cluster as a sandbox scenario. Reads (get and list
// only) the objects of every kind the runbooks use, writes them into a folder with the Secrets
// redacted, and says what it read, skipped and wrote.
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { StepRegistry } from '../../contract/registry.js';
import { packageRoot } from '../../package-root.js';
import { exportCluster, prepareOutputDir, type ExportProgress, type ExportResult } from '../../sandbox/export/export.js';
import { kindsOf, loadRunbooks } from '../../sandbox/export/kinds.js';
import { EXIT } from '../exit-codes.js';
import type { KubeFlags, LoadFlags } from '../global-options.js';

export interface ExportFlags extends KubeFlags, LoadFlags {
  output: string;
  force?: boolean;
  allNamespaces?: boolean;
  json?: boolean;
}

/** The runbooks whose kinds are read when none are given, relative to the package root. */
export const DEFAULT_EXPORT_RUNBOOKS = [
  'runbooks/upgrade-2.25-to-3.3.yaml',
  'runbooks/inferenceservice-conversion/serverless-to-raw.yaml',
  'runbooks/inferenceservice-conversion/modelmesh-to-raw.yaml',
];

export async function sandboxExport(files: string[], flags: ExportFlags, registry: StepRegistry): Promise<number> {
  const runbooks = files.length ? files.map((f) => resolve(f)) : DEFAULT_EXPORT_RUNBOOKS.map((f) => join(packageRoot(), f));
  // Everything that needs no cluster is checked first: the runbooks, the kubeconfig, the folder.
  const loaded = await loadRunbooks(runbooks, flags, registry);
  const wanted = kindsOf(loaded, registry);
  wanted.runbooks = wanted.runbooks.map((r) => ({ ...r, file: shown(r.file) }));
  const { KubeClient, loadKubeConfig } = await import('../../kube/index.js');
  const config = loadKubeConfig({ kubeconfig: flags.kubeconfig, context: flags.context, namespace: flags.namespace });
  await prepareOutputDir(flags.output, flags.force === true);
  // A client whose every write would stay local (client dry run): the export only gets and lists,
  // and the call counters printed below show it.
  const kube = KubeClient.fromConfig(config, { dryRun: 'client' });

  const log = (s: string): void => void process.stderr.write(s);
  const tty = process.stderr.isTTY === true && !flags.json;
  if (!flags.json) log(`reading ${wanted.kinds.length} kinds from ${config.server} (context ${config.contextName})\n`);
  const progress = (e: ExportProgress): void => {
    if (e.type === 'start') {
      if (tty) log(`\r\x1b[K${bar(e.index - 1, e.total)} ${e.label}…`);
      return;
    }
    const line = `[${String(e.index).padStart(String(e.total).length)}/${e.total}] ${e.label}: ${e.objects} object${e.objects === 1 ? '' : 's'}${e.note ? ` (${e.note})` : ''}`;
    log(tty ? `\r\x1b[K${line}\n` : `export ${line}\n`);
  };
  const result = await exportCluster(kube, wanted, {
    dir: flags.output,
    force: flags.force === true,
    allNamespaces: flags.allNamespaces === true,
    source: { server: config.server, context: config.contextName },
    progress,
  });
  const { reads, writes, watches, discovery } = kube.stats;
  const apiCalls = { reads, writes, watches, discovery };
  process.stdout.write(flags.json ? `${JSON.stringify(jsonSummary(result, apiCalls))}\n` : textSummary(result, config.server, config.contextName, apiCalls));
  return EXIT.ok;
}

function shown(file: string): string {
  const rel = relative(packageRoot(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function bar(done: number, total: number, width = 24): string {
  const filled = Math.round((done / Math.max(total, 1)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

type Calls = { reads: number; writes: number; watches: number; discovery: number };

function jsonSummary(r: ExportResult, apiCalls: Calls): Record<string, unknown> {
  return {
    type: 'summary',
    dir: r.dir,
    objects: r.objects,
    kinds: r.kinds.map((k) => ({
      group: k.group,
      kind: k.kind,
      ...(k.version ? { version: k.version } : {}),
      objects: k.objects,
      ...(k.file ? { file: k.file } : {}),
      ...(k.skipped ? { skipped: k.skipped } : {}),
    })),
    crds: r.crds,
    files: r.files,
    redactedSecrets: r.redactions.map((s) => ({ namespace: s.namespace, name: s.name, keys: s.keys, annotations: s.annotations })),
    notes: r.notes.length,
    apiCalls,
  };
}

function textSummary(r: ExportResult, server: string, context: string, calls: Calls): string {
  const read = r.kinds.filter((k) => !k.skipped);
  const skipped = r.kinds.filter((k) => k.skipped);
  const labels = read.map((k) => `${k.kind} (${k.group ? `${k.group}/` : ''}${k.version})`);
  const width = Math.max(...labels.map((l) => l.length), 0);
  const values = r.redactions.reduce((n, s) => n + s.keys.length, 0);
  return [
    `exported ${r.objects} object${r.objects === 1 ? '' : 's'} of ${read.filter((k) => k.objects > 0).length} kinds and ${r.crds.length} CRDs from ${server} (context ${context}) into ${r.dir}`,
    ...read.map((k, i) => `  ${labels[i]!.padEnd(width)}  ${String(k.objects).padStart(5)}${k.file ? `  ${k.file}` : ''}`),
    ...(skipped.length || r.notes.length
      ? [`skipped: ${skipped.length} kind${skipped.length === 1 ? '' : 's'}${skipped.length ? ` (${skipped.map((k) => k.kind).join(', ')})` : ''}; ${r.notes.length} note${r.notes.length === 1 ? '' : 's'} (steps whose kinds are known only at run time, reads not allowed): see EXPORT.md`]
      : []),
    `Secrets redacted: ${r.redactions.length} (${values} value${values === 1 ? '' : 's'} replaced); no Secret value was written`,
    `files written: ${r.files.length} (listed in ${join(r.dir, 'EXPORT.md')})`,
    `API calls: ${calls.reads} reads, ${calls.discovery} discovery, ${calls.writes} writes, ${calls.watches} watches`,
    '',
  ].join('\n');
}
