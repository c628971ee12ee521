// `runbook sandbox export`: reads a cluster's objects of the kinds the runbooks use and writes them
// as a scenario folder (one multi-document YAML file per kind, the CRDs under crds/, and
// EXPORT.md saying what was read, skipped and redacted). Only get and list: never a write.
//
// Which objects: every object of a custom kind (one a CRD serves) and of a cluster-scoped kind,
// in all namespaces; objects of namespaced built-in kinds (Secrets, ConfigMaps, Deployments…)
// only in the namespaces that matter — those of the exported custom objects and those the
// runbooks name — unless `allNamespaces`; the Namespaces of all of them; the CRDs of the custom
// kinds. Copies OLM makes of a CSV in every namespace are left out.
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { InputError } from '../../contract/errors.js';
import type { KubeClient } from '../../kube/client.js';
import { isForbidden, isNotFound } from '../../kube/errors.js';
import type { KubeObject, ResourceMapping } from '../../kube/types.js';
import { EXPORT_NOTES, exportNotes, removeEarlierExport } from './export-notes.js';
import type { RunbookKinds, WantedKind } from './kinds.js';
import { exportedObject, type Redaction } from './redact.js';
import { byVersionPriority, CRD, resolveKind } from './resolve-kind.js';

export { EXPORT_NOTES } from './export-notes.js';
export { byVersionPriority } from './resolve-kind.js';

const NAMESPACE = { apiVersion: 'v1', kind: 'Namespace' } as const;
const COPIED_CSV_LABEL = 'olm.copiedFrom';

export interface ExportSource {
  server: string;
  context: string;
}

export interface ExportOptions {
  dir: string;
  /** Write into a folder that is not empty (replacing the files an earlier export listed). */
  force?: boolean;
  /** Read namespaced built-in kinds in every namespace, not only the ones that matter. */
  allNamespaces?: boolean;
  source: ExportSource;
  progress?: (event: ExportProgress) => void;
  now?: Date;
}

export type ExportProgress =
  | { type: 'start'; index: number; total: number; label: string }
  | { type: 'done'; index: number; total: number; label: string; objects: number; note?: string };

export interface KindResult {
  group: string;
  kind: string;
  /** The version read; undefined when skipped before reading. */
  version?: string;
  namespaced?: boolean;
  custom?: boolean;
  /** How it was read: all namespaces, some, or cluster-scoped. */
  scope?: string;
  objects: number;
  file?: string;
  skipped?: string;
  /** Why it was read: the steps naming it, or the reason it is always read. */
  why: string;
  /** Objects read but left out (copied CSVs), with why. */
  left?: string;
}

export interface ExportResult {
  dir: string;
  kinds: KindResult[];
  crds: string[];
  files: string[];
  redactions: Redaction[];
  notes: { what: string; reason: string }[];
  namespaces: number;
  objects: number;
}

/** Refuses a folder that is not empty (unless force); makes it. Before anything asks the cluster. */
export async function prepareOutputDir(dir: string, force: boolean): Promise<void> {
  const path = resolve(dir);
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (info && !info.isDirectory()) throw new InputError([{ message: `the output ${path} exists and is not a folder`, hint: 'give -o a folder (it is made if missing)' }]);
  if (info && !force && (await readdir(path)).length > 0) {
    throw new InputError([{ message: `the output folder ${path} is not empty`, hint: 'choose a new or empty folder, or pass --force to write into it (the files of an earlier export there are replaced)' }]);
  }
  await mkdir(path, { recursive: true, mode: 0o700 });
}

export async function exportCluster(kube: KubeClient, wanted: RunbookKinds, options: ExportOptions): Promise<ExportResult> {
  const dir = resolve(options.dir);
  const progress = options.progress ?? (() => undefined);
  const notes: ExportResult['notes'] = wanted.notes.map((n) => ({ what: `step ${n.stepId}`, reason: n.reason }));
  const results: KindResult[] = [];
  const byFile = new Map<string, KubeObject[]>();
  const redactions: Redaction[] = [];
  const crds = new Map<string, KubeObject>();

  const namespaceKind = wanted.kinds.find((k) => k.group === '' && k.kind === 'Namespace');
  const crdKind = wanted.kinds.find((k) => k.group === 'apiextensions.k8s.io' && k.kind === 'CustomResourceDefinition');
  const plain = wanted.kinds.filter((k) => k !== namespaceKind && k !== crdKind);
  const total = plain.length + 2; // + the Namespaces, + the CRDs
  let index = 0;

  // 1. Map every kind through discovery, and find its CRD.
  interface Resolved {
    wanted: WantedKind;
    result: KindResult;
    mapping: ResourceMapping;
    custom: boolean;
  }
  const resolved: Resolved[] = [];
  const seen = new Map<string, Resolved>();
  for (const w of plain) {
    const why = whyOf(w);
    const found = await resolveKind(kube, w);
    if (typeof found === 'string') {
      const result: KindResult = { group: w.group, kind: w.kind, version: [...w.versions].sort(byVersionPriority)[0], objects: 0, skipped: found, why };
      results.push(result);
      continue;
    }
    if (found.crdNote) notes.push({ what: `${w.kind} (${w.group})`, reason: found.crdNote });
    const key = `${found.mapping.group}/${found.mapping.kind}`;
    const earlier = seen.get(key);
    if (earlier) {
      // Named twice (another spelling of the kind): read once.
      earlier.result.why = `${earlier.result.why}; ${why}`;
      continue;
    }
    const result: KindResult = { group: found.mapping.group, kind: found.mapping.kind, version: found.mapping.version, namespaced: found.mapping.namespaced, custom: found.crd !== undefined || found.assumedCustom, objects: 0, why };
    results.push(result);
    if (found.crd) crds.set(found.crd.metadata.name!, found.crd);
    const r: Resolved = { wanted: w, result, mapping: found.mapping, custom: result.custom! };
    resolved.push(r);
    seen.set(key, r);
  }
  // Kinds skipped before reading still get their progress line.
  for (const result of results.filter((r) => r.skipped)) {
    progress({ type: 'start', index: ++index, total, label: labelOf(result) });
    progress({ type: 'done', index, total, label: labelOf(result), objects: 0, note: result.skipped });
  }

  const keep = (r: Resolved, items: KubeObject[]): void => {
    if (items.length === 0) return;
    const file = fileNameOf(r.mapping);
    const list = byFile.get(file) ?? [];
    for (const item of items) {
      const { object, redaction } = exportedObject({ ...item, apiVersion: item.apiVersion ?? r.mapping.apiVersion, kind: item.kind ?? r.mapping.kind });
      list.push(object);
      if (redaction) redactions.push(redaction);
    }
    byFile.set(file, list);
    r.result.objects += items.length;
    r.result.file = file;
  };
  const read = async (r: Resolved, how: (r: Resolved) => Promise<KubeObject[]>): Promise<void> => {
    const label = labelOf(r.result);
    progress({ type: 'start', index: ++index, total, label });
    if (!r.mapping.verbs.includes('list') && r.mapping.verbs.length > 0) {
      r.result.skipped = 'the API server does not list it';
    } else {
      try {
        keep(r, await how(r));
      } catch (err) {
        if (!isForbidden(err) && !isNotFound(err)) throw err;
        r.result.skipped = isForbidden(err) ? `not allowed: ${(err as Error).message}` : `no longer served: ${(err as Error).message}`;
      }
    }
    progress({ type: 'done', index, total, label, objects: r.result.objects, ...(r.result.skipped ? { note: r.result.skipped } : r.result.left ? { note: r.result.left } : {}) });
  };
  const listAll = async (r: Resolved): Promise<KubeObject[]> => {
    const items = (await kube.list({ apiVersion: r.mapping.apiVersion, kind: r.mapping.kind }, r.mapping.namespaced ? { allNamespaces: true } : {})).items;
    if (r.mapping.group === 'operators.coreos.com' && r.mapping.kind === 'ClusterServiceVersion') {
      const own = items.filter((csv) => csv.metadata.labels?.[COPIED_CSV_LABEL] === undefined);
      if (own.length < items.length) r.result.left = `${items.length - own.length} copies OLM made in other namespaces left out`;
      return own;
    }
    return items;
  };

  // 2. Custom and cluster-scoped kinds: every object.
  const wide = resolved.filter((r) => r.custom || !r.mapping.namespaced || options.allNamespaces);
  const narrow = resolved.filter((r) => !wide.includes(r));
  for (const r of wide) {
    r.result.scope = r.mapping.namespaced ? 'all namespaces' : 'cluster';
    await read(r, listAll);
  }

  // 3. The namespaces that matter: those of the custom objects, and those the runbooks name.
  const namespaceObjects = new Map<string, KubeObject | null>();
  const getNamespace = async (name: string): Promise<KubeObject | null> => {
    if (!namespaceObjects.has(name)) {
      try {
        namespaceObjects.set(name, await kube.get({ ...NAMESPACE, name }));
      } catch (err) {
        if (!isForbidden(err)) throw err;
        notes.push({ what: `Namespace ${name}`, reason: `not allowed to read it: ${(err as Error).message}` });
        namespaceObjects.set(name, null);
      }
    }
    return namespaceObjects.get(name)!;
  };
  const named = new Set<string>();
  for (const w of wanted.kinds) {
    for (const ns of w.namespaces) named.add(ns);
    if (w.defaultNamespace && resolved.some((r) => r.wanted === w && r.mapping.namespaced)) named.add(kube.defaultNamespace);
    if (w === namespaceKind) for (const name of w.names) named.add(name);
  }
  const scope = new Set<string>(named);
  for (const objects of byFile.values()) {
    for (const o of objects) {
      if (o.metadata.namespace) scope.add(o.metadata.namespace);
      // The runbooks find the applications namespace (and the monitoring one) in the DSCI at run time.
      if (o.kind === 'DSCInitialization') {
        const spec = (o.spec ?? {}) as { applicationsNamespace?: string; monitoring?: { namespace?: string } };
        if (spec.applicationsNamespace) scope.add(spec.applicationsNamespace);
        if (spec.monitoring?.namespace) scope.add(spec.monitoring.namespace);
      }
    }
  }
  const existing: string[] = [];
  if (!options.allNamespaces) for (const ns of [...scope].sort()) if (await getNamespace(ns)) existing.push(ns);

  // 4. Namespaced built-in kinds: in those namespaces.
  for (const r of narrow) {
    r.result.scope = `${existing.length} namespace${existing.length === 1 ? '' : 's'}`;
    await read(r, async () => {
      const items: KubeObject[] = [];
      // Rights may be given per namespace: one that is not readable does not stop the others.
      const denied: string[] = [];
      let lastDenial: unknown;
      for (const ns of existing) {
        try {
          items.push(...(await kube.list({ apiVersion: r.mapping.apiVersion, kind: r.mapping.kind }, { namespace: ns })).items);
        } catch (err) {
          if (!isForbidden(err)) throw err;
          denied.push(ns);
          lastDenial = err;
        }
      }
      if (denied.length > 0 && denied.length === existing.length) throw lastDenial;
      if (denied.length) r.result.left = `not allowed in ${denied.length} namespace${denied.length === 1 ? '' : 's'}: ${denied.join(', ')}`;
      return items;
    });
  }

  // 5. The Namespaces of every exported object, and those the runbooks name.
  {
    const label = 'Namespace (v1)';
    progress({ type: 'start', index: ++index, total, label });
    const names = new Set<string>([...named]);
    for (const objects of byFile.values()) for (const o of objects) if (o.metadata.namespace) names.add(o.metadata.namespace);
    const found: KubeObject[] = [];
    for (const ns of [...names].sort()) {
      const obj = await getNamespace(ns);
      if (obj) found.push(obj);
    }
    const file = fileNameOf({ group: '', kind: 'Namespace' });
    if (found.length) byFile.set(file, found.map((o) => exportedObject({ ...o, apiVersion: 'v1', kind: 'Namespace' }).object));
    results.push({
      group: '',
      kind: 'Namespace',
      version: 'v1',
      namespaced: false,
      custom: false,
      scope: 'the namespaces of the exported objects and those the runbooks name',
      objects: found.length,
      ...(found.length ? { file } : {}),
      why: namespaceKind ? whyOf(namespaceKind) : 'the namespaces of the exported objects',
    });
    progress({ type: 'done', index, total, label, objects: found.length });
  }

  // 6. The CRDs: of every custom kind read, and those the runbooks read by name.
  {
    const label = 'CustomResourceDefinition (apiextensions.k8s.io/v1)';
    progress({ type: 'start', index: ++index, total, label });
    for (const name of crdKind?.names ?? []) {
      if (crds.has(name)) continue;
      try {
        const crd = await kube.get({ ...CRD, name });
        if (crd) crds.set(name, crd);
        else notes.push({ what: `CRD ${name}`, reason: 'named by a step; the cluster has none' });
      } catch (err) {
        if (!isForbidden(err)) throw err;
        notes.push({ what: `CRD ${name}`, reason: `not allowed to read it: ${(err as Error).message}` });
      }
    }
    progress({ type: 'done', index, total, label, objects: crds.size });
  }

  // 7. Write: the files of an earlier export go first (with --force), then this one's.
  await removeEarlierExport(dir);
  await mkdir(join(dir, 'crds'), { recursive: true, mode: 0o700 });
  const files: string[] = [];
  let objects = 0;
  for (const [file, list] of [...byFile.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    list.sort(byNamespaceAndName);
    await writeFile(join(dir, file), documents(list), { mode: 0o600 });
    files.push(file);
    objects += list.length;
  }
  const crdFiles: string[] = [];
  for (const [name, crd] of [...crds.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const file = `crds/${safeFileName(name)}.yaml`;
    await writeFile(join(dir, file), documents([exportedObject(crd).object]), { mode: 0o600 });
    crdFiles.push(file);
  }
  files.push(...crdFiles);
  const result: ExportResult = {
    dir,
    kinds: results.sort((a, b) => `${a.group}/${a.kind}`.localeCompare(`${b.group}/${b.kind}`)),
    crds: [...crds.keys()].sort(),
    files: [...files, EXPORT_NOTES],
    redactions: redactions.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)),
    notes,
    namespaces: byFile.get(fileNameOf({ group: '', kind: 'Namespace' }))?.length ?? 0,
    objects,
  };
  await writeFile(join(dir, EXPORT_NOTES), exportNotes(result, wanted, options), { mode: 0o600 });
  return result;
}

/** `<group>_<Kind>.yaml`, `core_<Kind>.yaml` for the core group. */
export function fileNameOf(m: Pick<ResourceMapping, 'group' | 'kind'>): string {
  return `${safeFileName(m.group || 'core')}_${safeFileName(m.kind)}.yaml`;
}

function safeFileName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_');
}

function documents(objects: KubeObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

function byNamespaceAndName(a: KubeObject, b: KubeObject): number {
  return `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`);
}

function labelOf(r: Pick<KindResult, 'group' | 'kind' | 'version'>): string {
  return `${r.kind} (${r.group ? `${r.group}/` : ''}${r.version ?? '?'})`;
}

function whyOf(w: WantedKind): string {
  if (w.steps.length === 0) return `always read (${w.always ?? 'the upgrade'})`;
  const shown = w.steps.slice(0, 3).join(', ');
  return `steps ${shown}${w.steps.length > 3 ? ` and ${w.steps.length - 3} more` : ''}`;
}
