// Which var a name given by the user (--var, --vars-file, RUNBOOK_VAR_*) sets. A site runs our
// runbook from the top, so every var of every imported file must be reachable from there:
//   - `name`: the root runbook's var; or, when the root declares none of that name, the var of
//     that name in every imported file that declares it and whose importer does not bind it;
//   - `qualifier.name`: the var in the imported file(s) the qualifier names: the imported
//     runbook's metadata.name, or its path, with or without the extension, relative to the root
//     runbook or to any runbook that imports it on the way down
//     (`rhoai-2.25-to-3.3/before/llama-stack.llamaStackBackupCommand` from a site overlay of the
//     upgrade, as in the upgrade's own docs), or in the shipped form for a runbook shipped with
//     runbook (`runbook:rhoai-2.25-to-3.3/before/llama-stack.llamaStackBackupCommand`). This form
//     also reaches a var its importer binds.
// As Ansible's role defaults can be overridden by extra vars, and Terraform's module inputs only
// through the caller: the qualified form is the explicit one, the plain form the convenient one.
import { dirname, extname, relative, sep } from 'node:path';
import { packageRoot } from '../package-root.js';
import type { Plan, VarScope, VarSpec } from './types.js';

/** A var a user can set, as `runbook vars` lists it. */
export interface SettableVar {
  /** How to set it: the plain name, or `qualifier.name`. */
  name: string;
  spec: VarSpec;
  /** Files that declare it (one for a root var; several for a var declared alike in many imports). */
  files: string[];
  /** The scopes a value given under `name` reaches. */
  scopes: string[];
}

export interface RoutedValues {
  /** Values for the root runbook's vars. */
  root: Record<string, unknown>;
  /** Values for imported scopes' vars: scope id → var name → { value, given as }. */
  scoped: Record<string, Record<string, { value: unknown; as: string }>>;
  /** Names that reach no var. */
  unknown: string[];
}

/**
 * The names an imported scope answers to, before the dot of a qualified var name: the loader's
 * (metadata.name, path from the root runbook) first, the first being the one listings show; with
 * the plan, also its path from each runbook that imports it on the way down and its shipped form.
 */
export function qualifiersOf(scope: VarScope, plan?: Pick<Plan, 'scopes'>): string[] {
  const names = [...(scope.qualifiers ?? [])];
  if (!plan) return names;
  const withAndWithout = (path: string): string[] => [path.slice(0, path.length - extname(path).length), path];
  for (let parent = scope.parent; parent !== undefined; parent = parent === '' ? undefined : plan.scopes[parent]?.parent) {
    const importer = plan.scopes[parent];
    if (importer) names.push(...withAndWithout(posix(relative(dirname(importer.file), scope.file))));
  }
  const shipped = shippedName(scope.file);
  if (shipped) names.push(...withAndWithout(shipped));
  return [...new Set(names)];
}

/** `runbook:rhoai-2.25-to-3.3/before/model-serving.yaml` for a runbook shipped with runbook. */
export function shippedName(file: string): string | undefined {
  const path = relative(`${packageRoot()}${sep}runbooks`, file);
  return path && !path.startsWith('..') ? `runbook:${posix(path)}` : undefined;
}

function posix(path: string): string {
  return path.split(sep).join('/');
}

function split(name: string): { qualifier: string; name: string } | undefined {
  const dot = name.lastIndexOf('.');
  return dot > 0 && dot < name.length - 1 ? { qualifier: name.slice(0, dot), name: name.slice(dot + 1) } : undefined;
}

function imported(plan: Plan): VarScope[] {
  return Object.values(plan.scopes).filter((s) => s.id !== '');
}

/** Routes given values to the scopes whose vars they set. */
export function routeValues(plan: Plan, given: Record<string, unknown>): RoutedValues {
  const rootNames = new Set(plan.scopes['']!.vars.map((v) => v.name));
  const out: RoutedValues = { root: {}, scoped: {}, unknown: [] };
  const put = (scope: string, name: string, value: unknown, as: string): void => {
    (out.scoped[scope] ??= {})[name] = { value, as };
  };
  // Plain names first, so a qualified value for the same var wins whatever the order given.
  const names = Object.keys(given).sort((a, b) => Number(split(a) !== undefined) - Number(split(b) !== undefined));
  for (const given_ of names) {
    const value = given[given_];
    if (rootNames.has(given_)) {
      out.root[given_] = value;
      continue;
    }
    const q = split(given_);
    const targets = q
      ? imported(plan).filter((s) => qualifiersOf(s, plan).includes(q.qualifier) && s.vars.some((v) => v.name === q.name))
      : imported(plan).filter((s) => s.vars.some((v) => v.name === given_) && !(given_ in s.bindings));
    if (targets.length === 0) {
      out.unknown.push(given_);
      continue;
    }
    for (const s of targets) put(s.id, q ? q.name : given_, value, given_);
  }
  return out;
}

/**
 * Every var a user can set, in the order a reader meets them: the root's, then each imported
 * file's by import order. A var inherited from the root (same name) is the root's entry.
 */
export function settableVars(plan: Plan): SettableVar[] {
  const root = plan.scopes['']!;
  const rootNames = new Set(root.vars.map((v) => v.name));
  const out: SettableVar[] = root.vars.map((spec) => ({ name: spec.name, spec, files: [root.file], scopes: [''] }));
  const byName = new Map<string, SettableVar>();
  for (const scope of imported(plan)) {
    for (const spec of scope.vars) {
      if (rootNames.has(spec.name)) continue;
      const bound = spec.name in scope.bindings;
      // A bound var is reached only by its qualified name; an unbound one by its plain name.
      const name = bound ? `${qualifiersOf(scope)[0] ?? scope.id}.${spec.name}` : spec.name;
      const entry = byName.get(name);
      if (entry) {
        if (!entry.files.includes(scope.file)) entry.files.push(scope.file);
        entry.scopes.push(scope.id);
        continue;
      }
      const created: SettableVar = { name, spec, files: [scope.file], scopes: [scope.id] };
      byName.set(name, created);
      out.push(created);
    }
  }
  return out;
}

/** Every name a value may be given under, for did-you-mean suggestions. */
export function settableNames(plan: Plan): string[] {
  const names = new Set(settableVars(plan).map((v) => v.name));
  for (const scope of imported(plan)) for (const spec of scope.vars) names.add(`${qualifiersOf(scope)[0] ?? scope.id}.${spec.name}`);
  return [...names];
}
