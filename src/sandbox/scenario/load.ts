// Reads scenarios: the shipped ones by name, or a user's file or folder. Problems come back with
// file:line:column, as for runbooks.
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node, type YAMLSeq } from 'yaml';
import { InputError, type Problem, type SourcePosition } from '../../contract/errors.js';
import type { KubeObject } from '../../kube/types.js';
import { packageRoot } from '../controlplane/paths.js';
import { checkAgainstSchema } from '../../runbook/schema-check.js';
import { parseSource } from '../../runbook/source.js';
import { SCENARIO_SCHEMA, type Scenario } from './format.js';

// The YAML ships under src/ (package.json "files") while this code runs from src/, dist/ or a
// bench build elsewhere: found from the package root, never relative to this file.
export const SCENARIO_DIR = join(packageRoot(), 'src', 'sandbox', 'scenarios');

/**
 * Where each scenario object was written (file:line, or the shipped scenario it comes from), so a
 * conflict between two of them can name both.
 */
const SOURCES = new WeakMap<KubeObject, string>();

export function sourceOf(obj: KubeObject): string {
  return SOURCES.get(obj) ?? 'the scenario';
}

export async function shippedScenarios(): Promise<string[]> {
  return (await readdir(SCENARIO_DIR)).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
}

/**
 * A shipped scenario by name, or a path to a scenario file or a folder of object files; an object
 * given twice (or repeating the base's install) is refused here, before anything starts.
 */
export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  const scenario = await readScenario(nameOrPath);
  const { scenarioConflicts } = await import('./objects.js');
  const conflicts = scenarioConflicts(scenario);
  if (conflicts.length) throw new InputError(conflicts);
  return scenario;
}

async function readScenario(nameOrPath: string): Promise<Scenario> {
  const shipped = await shippedScenarios();
  if (shipped.includes(nameOrPath)) return loadScenarioFile(join(SCENARIO_DIR, `${nameOrPath}.yaml`));
  const path = resolve(nameOrPath);
  const info = await stat(path).catch(() => undefined);
  if (!info) {
    throw new InputError([{ message: `no scenario "${nameOrPath}": not a shipped scenario (${shipped.join(', ')}) nor a file or folder` }]);
  }
  if (info.isDirectory()) return objectsScenario(path, [path], await readFolder(path));
  return loadScenarioFile(path);
}

async function readFolder(path: string): Promise<{ objects: KubeObject[]; problems: Problem[] }> {
  const files = (await readdir(path)).filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f))).sort();
  const objects: KubeObject[] = [];
  const problems: Problem[] = [];
  for (const f of files) {
    const r = readObjects(join(path, f), await readFile(join(path, f), 'utf8'), true);
    objects.push(...r.objects);
    problems.push(...r.problems);
  }
  return { objects, problems };
}

/**
 * The objects of a scenario's `include` list: files or folders of plain objects next to it, so a
 * large scenario can keep each component's objects in a file of its own.
 */
async function readIncludes(scenarioFile: string, includes: readonly string[]): Promise<{ objects: KubeObject[]; problems: Problem[] }> {
  const objects: KubeObject[] = [];
  const problems: Problem[] = [];
  for (const include of includes) {
    const path = resolve(dirname(scenarioFile), include);
    const info = await stat(path).catch(() => undefined);
    if (!info) {
      problems.push({ message: `spec.include: no file or folder ${include} next to ${scenarioFile}`, hint: 'give a path relative to the scenario file' });
      continue;
    }
    const r = info.isDirectory() ? await readFolder(path) : readObjects(path, await readFile(path, 'utf8'), true);
    objects.push(...r.objects);
    problems.push(...r.problems);
  }
  return { objects, problems };
}

async function loadScenarioFile(file: string): Promise<Scenario> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new InputError([{ message: err.code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file}: ${err.message}` }]);
  });
  // Several documents: a file of plain objects (as `oc get -o yaml` and `---` joins print them).
  if (documentsOf(text).length > 1) return objectsScenario(file, [file], readObjects(file, text));
  const { source, problems } = parseSource(file, text);
  if (!source) throw new InputError(problems);
  const doc = source.value as { kind?: string; metadata?: { name?: string; description?: string }; spec?: Record<string, unknown> } | null;
  if (doc?.kind !== 'SandboxScenario') return objectsScenario(file, [file], readObjects(file, text));
  const schemaProblems = checkAgainstSchema(doc, SCENARIO_SCHEMA, source, [], { subject: 'scenario' });
  if (problems.length || schemaProblems.length) throw new InputError([...problems, ...schemaProblems]);
  const spec = (doc.spec ?? {}) as Partial<Scenario>;
  for (const obj of spec.objects ?? []) SOURCES.set(obj, `scenario ${doc.metadata!.name!} (${file})`);
  const included = await readIncludes(file, spec.include ?? []);
  if (included.problems.length) throw new InputError(included.problems);
  return withBase({
    name: doc.metadata!.name!,
    description: doc.metadata?.description ?? '',
    ...(spec.base ? { base: spec.base } : {}),
    ...(spec.openshiftVersion ? { openshiftVersion: spec.openshiftVersion } : {}),
    operators: spec.operators ?? [],
    ...(spec.dataScienceCluster ? { dataScienceCluster: spec.dataScienceCluster } : {}),
    ...(spec.dscInitialization ? { dscInitialization: spec.dscInitialization } : {}),
    objects: [...(spec.objects ?? []), ...included.objects],
    ...(spec.generate ? { generate: spec.generate } : {}),
    ...(spec.faults ? { faults: spec.faults } : {}),
  });
}

/**
 * Plain objects from files. Objects that bring their own OpenShift AI install (a DSC, a DSCI, or
 * the rhods-operator Subscription or CSV: an export of a real cluster) are the whole cluster, with
 * no built-in base under them; a few objects alone load on top of `minimal`.
 */
function objectsScenario(name: string, files: string[], read: { objects: KubeObject[]; problems: Problem[] }): Promise<Scenario> {
  if (read.problems.length) throw new InputError(read.problems);
  const own = read.objects.some(bringsRhoaiInstall);
  return withBase({ name, description: `objects from ${files.join(', ')}${own ? '' : ' on top of the minimal scenario'}`, ...(own ? {} : { base: 'minimal' }), operators: [], objects: read.objects });
}

export function bringsRhoaiInstall(obj: KubeObject): boolean {
  if (obj.kind === 'DataScienceCluster' || obj.kind === 'DSCInitialization') return true;
  if (!obj.apiVersion.startsWith('operators.coreos.com/')) return false;
  if (obj.kind === 'Subscription') return (obj.spec as { name?: string } | undefined)?.name === 'rhods-operator';
  return obj.kind === 'ClusterServiceVersion' && Object.keys(obj.metadata.labels ?? {}).some((l) => l.startsWith('operators.coreos.com/rhods-operator.'));
}

function documentsOf(text: string, lines?: LineCounter): Document.Parsed[] {
  const parsed = parseAllDocuments(text, { ...(lines ? { lineCounter: lines } : {}), prettyErrors: false });
  // An empty file, or a "---" with nothing after it, holds no object.
  return (Array.isArray(parsed) ? parsed : []).filter((d) => d.contents !== null || d.errors.length > 0);
}

/** Plain objects from a (multi-document) file; `List` documents are unwrapped. */
function readObjects(file: string, text: string, inFolder = false): { objects: KubeObject[]; problems: Problem[] } {
  const lines = new LineCounter();
  const objects: KubeObject[] = [];
  const problems: Problem[] = [];
  const at = (node: { range?: [number, number, number] | null } | null | undefined): SourcePosition => {
    const p = lines.linePos(node?.range?.[0] ?? 0);
    return { file, line: p.line, column: p.col };
  };
  for (const doc of documentsOf(text, lines)) {
    const error = doc.errors[0];
    if (error) {
      // The first error of a document; the rest usually follow from it.
      const p = lines.linePos(error.pos[0]);
      problems.push({ message: `YAML syntax: ${error.message.split('\n')[0]}`, at: { file, line: p.line, column: p.col } });
      continue;
    }
    const value = doc.toJS({ maxAliasCount: 1000 }) as { kind?: unknown; items?: unknown } | null;
    const isList = value !== null && typeof value === 'object' && value.kind === 'List';
    const nodes: { node: unknown; value: unknown }[] = isList
      ? (isSeq(doc.get('items', true)) ? (doc.get('items', true) as YAMLSeq).items : []).map((node, i) => ({ node, value: (value.items as unknown[])[i] }))
      : [{ node: doc.contents, value }];
    for (const { node, value: item } of nodes) {
      const obj = item as Partial<KubeObject> | null;
      if (obj?.kind === 'SandboxScenario') {
        problems.push(
          inFolder
            ? { message: 'a folder of objects cannot hold a SandboxScenario', hint: 'give the scenario file by its own path; list the objects in its spec.objects or base it on another scenario', at: at(node as Node) }
            : { message: 'a SandboxScenario must be the only document in its file', hint: "put the plain objects into the scenario's spec.objects, or into a file of their own", at: at(node as Node) },
        );
        continue;
      }
      const missing = [
        typeof obj?.apiVersion === 'string' && obj.apiVersion ? '' : 'apiVersion',
        typeof obj?.kind === 'string' && obj.kind ? '' : 'kind',
        typeof obj?.metadata?.name === 'string' && obj.metadata.name ? '' : 'metadata.name',
      ].filter(Boolean);
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || missing.length) {
        // Point at the metadata when only the name is missing, else at the object.
        const metadata = isMap(node) && missing.length === 1 && missing[0] === 'metadata.name' ? (node.items.find((pair) => isScalar(pair.key) && pair.key.value === 'metadata')?.key as Node | undefined) : undefined;
        problems.push({
          message: `object without ${missing.length ? missing.join(', ') : 'apiVersion, kind, metadata.name'}`,
          hint: 'a scenario file holds Kubernetes objects (as oc get -o yaml prints them, each with apiVersion, kind and metadata.name), or one SandboxScenario document',
          at: at((metadata ?? node) as Node),
        });
        continue;
      }
      const where = at(node as Node);
      SOURCES.set(obj as KubeObject, `${where.file}:${where.line}`);
      objects.push(obj as KubeObject);
    }
  }
  return { objects, problems };
}

/** Merges a scenario over its base (the base's objects and operators come first). */
async function withBase(s: Scenario): Promise<Scenario> {
  if (!s.base) return s;
  const base = await readScenario(s.base);
  const byPackage = new Map(base.operators.map((o) => [o.package, o]));
  for (const o of s.operators) byPackage.set(o.package, o);
  return {
    ...base,
    ...s,
    base: undefined,
    openshiftVersion: s.openshiftVersion ?? base.openshiftVersion,
    operators: [...byPackage.values()],
    dataScienceCluster: deepMerge(base.dataScienceCluster ?? {}, s.dataScienceCluster ?? {}),
    dscInitialization: deepMerge(base.dscInitialization ?? {}, s.dscInitialization ?? {}),
    objects: [...base.objects, ...s.objects],
    faults: { ...base.faults, ...s.faults },
    generate: s.generate ?? base.generate,
  } as Scenario;
}

export function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev) ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

export { parseSource };
