// Resolves the values of every var scope: given values (--var, --vars-file, RUNBOOK_VAR_*), import
// bindings, inherited values and defaults, coerced to each var's declared type.
import { parse as parseYaml } from 'yaml';
import type { Problem } from '../engine/errors.js';
import { readSource } from './source.js';
import { suggestion } from './suggest.js';
import { isTemplate, renderString } from './template.js';
import type { Plan, VarSpec } from './types.js';

export interface ResolvedVars {
  /** Values per scope id ('' is the root runbook). */
  scopes: Record<string, Record<string, unknown>>;
  /** Values of vars marked secret, to redact from every output. */
  secrets: string[];
  /** Names of root vars marked secret, for state files (their values are never stored). */
  secretNames: string[];
}

/** `--var name=value` flags; values stay strings until coerced to the declared type. */
export function parseVarFlags(flags: readonly string[]): { values: Record<string, unknown>; problems: Problem[] } {
  const values: Record<string, unknown> = {};
  const problems: Problem[] = [];
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) {
      problems.push({ message: `--var ${flag}: expected NAME=VALUE`, hint: 'e.g. --var dscName=default-dsc' });
      continue;
    }
    values[flag.slice(0, eq)] = flag.slice(eq + 1);
  }
  return { values, problems };
}

export async function readVarsFile(file: string): Promise<{ values: Record<string, unknown>; problems: Problem[] }> {
  const { source, problems } = await readSource(file);
  if (!source) return { values: {}, problems };
  const v = source.value;
  if (v === null || v === undefined) return { values: {}, problems };
  if (typeof v !== 'object' || Array.isArray(v)) {
    return {
      values: {},
      problems: [{ message: `vars file ${file}: expected a mapping of var names to values`, at: { file, line: 1, column: 1 } }],
    };
  }
  return { values: v as Record<string, unknown>, problems };
}

/** RUNBOOK_VAR_<name> environment variables, for secrets that should not sit in shell history. */
export function varsFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith('RUNBOOK_VAR_') && v !== undefined) out[k.slice(12)] = v;
  return out;
}

export function resolveVars(plan: Plan, given: Record<string, unknown>): { vars?: ResolvedVars; problems: Problem[] } {
  const problems: Problem[] = [];
  const scopes: Record<string, Record<string, unknown>> = {};
  const secrets = new Set<string>();
  const failed = new Set<string>();
  const root = plan.scopes['']!;
  const rootNames = root.vars.map((v) => v.name);
  for (const name of Object.keys(given)) {
    if (!rootNames.includes(name)) {
      problems.push({
        message: `unknown var "${name}": the runbook declares no such var`,
        hint: rootNames.length ? suggestion(name, rootNames, `Vars: ${rootNames.join(', ')}`) : 'this runbook declares no vars',
      });
    }
  }

  const resolveScope = (id: string): Record<string, unknown> => {
    if (scopes[id]) return scopes[id]!;
    const scope = plan.scopes[id]!;
    const parentValues = scope.parent === undefined || id === '' ? {} : resolveScope(scope.parent);
    const values: Record<string, unknown> = {};
    for (const spec of scope.vars) {
      let value: unknown;
      try {
        if (id === '' && given[spec.name] !== undefined) value = given[spec.name];
        else if (spec.name in scope.bindings) value = renderValue(scope.bindings[spec.name], parentValues);
        // Inherited by name, unless the importer's var has no value: then this file's default holds.
        else if (parentValues[spec.name] !== undefined) value = parentValues[spec.name];
        else value = renderValue(spec.default, values);
        values[spec.name] = coerce(value, spec);
      } catch (err) {
        const where = id === '' ? '' : ` of ${scope.file}`;
        problems.push({ message: `var "${spec.name}"${where}: ${(err as Error).message}`, hint: coercionHint(spec), at: spec.at });
        values[spec.name] = undefined;
        failed.add(`${id}\0${spec.name}`);
      }
      if (spec.secret && typeof values[spec.name] === 'string' && values[spec.name] !== '') secrets.add(values[spec.name] as string);
    }
    scopes[id] = values;
    return values;
  };
  for (const id of Object.keys(plan.scopes)) resolveScope(id);
  for (const [id, scope] of Object.entries(plan.scopes)) {
    for (const spec of scope.vars) {
      const value = scopes[id]![spec.name];
      // A value that failed coercion was reported already; "missing" would say the wrong thing.
      if (!spec.required || (value !== undefined && value !== null) || failed.has(`${id}\0${spec.name}`)) continue;
      problems.push(
        id === ''
          ? {
              message: `missing required var "${spec.name}"`,
              hint: `give it with --var ${spec.name}=VALUE, in a --vars-file, or as RUNBOOK_VAR_${spec.name}`,
              at: spec.at,
            }
          : {
              // Bound or inherited from a var that ended up without a value.
              message: `required var "${spec.name}" of ${scope.file} has no value`,
              hint: 'give a value to the var of the importing runbook that it is bound to or inherits from',
              at: spec.at,
            },
      );
    }
  }
  return {
    vars: { scopes, secrets: [...secrets], secretNames: root.vars.filter((v) => v.secret).map((v) => v.name) },
    problems,
  };
}

function renderValue(value: unknown, context: Record<string, unknown>): unknown {
  return isTemplate(value) ? renderString(value, context) : value;
}

/** Values from flags and env arrive as strings; turn them into the declared type. */
export function coerce(value: unknown, spec: Pick<VarSpec, 'type'>): unknown {
  if (value === undefined || value === null) return value;
  switch (spec.type) {
    case 'string':
      if (typeof value === 'object') throw new Error(`expected a string, got ${JSON.stringify(value)}`);
      return String(value);
    case 'number': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n)) throw new Error(`expected a number, got ${JSON.stringify(value)}`);
      return n;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw new Error(`expected true or false, got ${JSON.stringify(value)}`);
    case 'list':
    case 'object': {
      const v = typeof value === 'string' ? parseStructured(value) : value;
      const ok = spec.type === 'list' ? Array.isArray(v) : v !== null && typeof v === 'object' && !Array.isArray(v);
      if (!ok) throw new Error(`expected ${spec.type === 'list' ? 'a list' : 'a mapping'}, got ${JSON.stringify(value)}`);
      return v;
    }
  }
}

/** A list or mapping given as text: YAML flow style, which JSON is part of. */
function parseStructured(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    // Reported by the caller as "expected a list/mapping, got <text>", with an example in the hint.
    return undefined;
  }
}

function coercionHint(spec: VarSpec): string | undefined {
  switch (spec.type) {
    case 'number':
      return `e.g. --var ${spec.name}=3`;
    case 'boolean':
      return `e.g. --var ${spec.name}=true`;
    case 'list':
      return `give a list in YAML or JSON flow style, e.g. --var '${spec.name}=[east, west]'`;
    case 'object':
      return `give a mapping in YAML or JSON flow style, e.g. --var '${spec.name}={name: demo, replicas: 2}'`;
    default:
      return undefined;
  }
}
