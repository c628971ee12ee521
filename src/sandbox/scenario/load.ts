// Reads scenarios: the shipped ones by name, or a user's file or folder. Problems come back with
// file:line:column, as for runbooks.
import { readdir, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, LineCounter } from 'yaml';
import { InputError, type Problem } from '../../engine/errors.js';
import type { KubeObject } from '../../kube/types.js';
import { checkAgainstSchema } from '../../runbook/schema-check.js';
import { parseSource, readSource } from '../../runbook/source.js';
import { SCENARIO_SCHEMA, type Scenario } from './format.js';

export const SCENARIO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'sandbox', 'scenarios');

export async function shippedScenarios(): Promise<string[]> {
  return (await readdir(SCENARIO_DIR)).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
}

/** A shipped scenario by name, or a path to a scenario file or a folder of object files. */
export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  const shipped = await shippedScenarios();
  if (shipped.includes(nameOrPath)) return loadScenarioFile(join(SCENARIO_DIR, `${nameOrPath}.yaml`));
  const path = resolve(nameOrPath);
  const info = await stat(path).catch(() => undefined);
  if (!info) {
    throw new InputError([{ message: `no scenario "${nameOrPath}": not a shipped scenario (${shipped.join(', ')}) nor a file or folder` }]);
  }
  if (info.isDirectory()) {
    const files = (await readdir(path)).filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f))).sort();
    const objects: KubeObject[] = [];
    const problems: Problem[] = [];
    for (const f of files) {
      const r = await readObjects(join(path, f));
      objects.push(...r.objects);
      problems.push(...r.problems);
    }
    if (problems.length) throw new InputError(problems);
    return withBase({ name: path, description: `objects from ${path}`, base: 'minimal', operators: [], objects });
  }
  return loadScenarioFile(path);
}

async function loadScenarioFile(file: string): Promise<Scenario> {
  const { source, problems } = await readSource(file);
  if (!source) {
    // Several documents: a file of plain objects.
    if (problems.some((p) => p.message.includes('multiple documents') || p.message.includes('Source contains multiple'))) {
      const r = await readObjects(file);
      if (r.problems.length) throw new InputError(r.problems);
      return withBase({ name: file, description: `objects from ${file}`, base: 'minimal', operators: [], objects: r.objects });
    }
    throw new InputError(problems);
  }
  const doc = source.value as { kind?: string; metadata?: { name?: string; description?: string }; spec?: Record<string, unknown> };
  if (doc?.kind !== 'SandboxScenario') {
    const r = await readObjects(file);
    if (r.problems.length) throw new InputError(r.problems);
    return withBase({ name: file, description: `objects from ${file}`, base: 'minimal', operators: [], objects: r.objects });
  }
  const schemaProblems = checkAgainstSchema(doc, SCENARIO_SCHEMA, source, [], { subject: 'scenario' });
  if (problems.length || schemaProblems.length) throw new InputError([...problems, ...schemaProblems]);
  const spec = (doc.spec ?? {}) as Partial<Scenario>;
  return withBase({
    name: doc.metadata!.name!,
    description: doc.metadata?.description ?? '',
    ...(spec.base ? { base: spec.base } : {}),
    ...(spec.openshiftVersion ? { openshiftVersion: spec.openshiftVersion } : {}),
    operators: spec.operators ?? [],
    ...(spec.dataScienceCluster ? { dataScienceCluster: spec.dataScienceCluster } : {}),
    ...(spec.dscInitialization ? { dscInitialization: spec.dscInitialization } : {}),
    objects: spec.objects ?? [],
    ...(spec.generate ? { generate: spec.generate } : {}),
    ...(spec.faults ? { faults: spec.faults } : {}),
  });
}

/** Plain objects from a multi-document file; `List` documents are unwrapped. */
async function readObjects(file: string): Promise<{ objects: KubeObject[]; problems: Problem[] }> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(file, 'utf8');
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines });
  const objects: KubeObject[] = [];
  const problems: Problem[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    for (const e of doc.errors) {
      const p = lines.linePos(e.pos[0]);
      problems.push({ message: `YAML syntax: ${e.message.split('\n')[0]}`, at: { file, line: p.line, column: p.col } });
    }
    if (doc.errors.length) continue;
    const value = doc.toJS() as KubeObject | { kind: 'List'; items: KubeObject[] } | null;
    if (!value) continue;
    const at = lines.linePos(doc.range[0]);
    const items = value.kind === 'List' ? ((value as { items: KubeObject[] }).items ?? []) : [value as KubeObject];
    for (const item of items) {
      if (!item || typeof item !== 'object' || !item.apiVersion || !item.kind || !item.metadata?.name) {
        problems.push({
          message: 'every object needs apiVersion, kind and metadata.name',
          hint: 'a scenario file holds Kubernetes objects (as oc get -o yaml prints them) or one SandboxScenario document',
          at: { file, line: at.line, column: at.col },
        });
        continue;
      }
      objects.push(item);
    }
  }
  return { objects, problems };
}

/** Merges a scenario over its base (the base's objects and operators come first). */
async function withBase(s: Scenario): Promise<Scenario> {
  if (!s.base) return s;
  const base = await loadScenario(s.base);
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
