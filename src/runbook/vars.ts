// Resolves the values of every var scope: given values (--var, --vars-file, RUNBOOK_VAR_*), import
// bindings, inherited values and defaults, coerced to each var's declared type.
//
// A string var takes text as written. From --var and RUNBOOK_VAR_* that is the text itself; from a
// vars file it is what YAML makes of it, and an unquoted 3.30 is the number 3.3, 0x1F is 31 and
// (for YAML 1.1 readers such as older tools) yes is true: such values are refused, at their
// line:column in the vars file, with a hint to quote them.
import { isMap, isScalar, parse as parseYaml } from 'yaml';
import type { Problem, SourcePosition } from '../contract/errors.js';
import { positionOf, readSource } from './source.js';
import { suggestion } from './suggest.js';
import { inspectTemplate, isTemplate, renderString } from './template.js';
import type { Plan, VarSpec } from './types.js';
import { routeValues, settableNames } from './var-addressing.js';

export interface ResolvedVars {
  /** Values per scope id ('' is the root runbook). */
  scopes: Record<string, Record<string, unknown>>;
  /** Values of vars marked secret, to redact from every output. */
  secrets: string[];
  /** Names of root vars marked secret, for state files (their values are never stored). */
  secretNames: string[];
}

/** Where a given value comes from, for problems with it. */
export interface ValueOrigin {
  /** Where the value is written (a vars file); the key's position when the value is empty. */
  at?: SourcePosition;
  /** Where its key is written. */
  keyAt?: SourcePosition;
  /** The text as written, for a value YAML read from a plain (unquoted) scalar. */
  plain?: string;
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

export async function readVarsFile(
  file: string,
): Promise<{ values: Record<string, unknown>; problems: Problem[]; origins: Record<string, ValueOrigin> }> {
  const { source, problems } = await readSource(file);
  if (!source) return { values: {}, problems, origins: {} };
  const v = source.value;
  if (v === null || v === undefined) return { values: {}, problems, origins: {} };
  if (typeof v !== 'object' || Array.isArray(v)) {
    return {
      values: {},
      problems: [{ message: `vars file ${file}: expected a mapping of var names to values`, at: { file, line: 1, column: 1 } }],
      origins: {},
    };
  }
  const origins: Record<string, ValueOrigin> = {};
  const contents = source.doc.contents;
  if (isMap(contents)) {
    for (const pair of contents.items) {
      if (!isScalar(pair.key)) continue;
      const name = String(pair.key.value);
      const value = pair.value;
      const hasValue = isScalar(value) ? value.value !== null : value !== null && value !== undefined;
      const origin: ValueOrigin = {
        keyAt: positionOf(source, [name], true),
        at: positionOf(source, [name], !hasValue),
      };
      if (isScalar(value) && value.type === 'PLAIN' && value.range) origin.plain = source.text.slice(value.range[0], value.range[1]);
      origins[name] = origin;
    }
  }
  return { values: v as Record<string, unknown>, problems, origins };
}

/**
 * Why the YAML value read from plain (unquoted) `text` is not that text: a number, a boolean, or
 * text folded from several lines; or what a YAML 1.1 reader would make of it (yes → true,
 * 1_000 → 1000, 12:30 → 750). Undefined when the text survives as written; null (an empty value,
 * `~`) means no value and is not judged.
 */
export function plainTextChange(text: string, value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string' && text.includes('\n')) return 'YAML folds an unquoted value over several lines into one line';
  if (typeof value !== 'string' && String(value) !== text) return `YAML reads ${text} as the ${kindOf(value)} ${String(value)}`;
  let old: unknown;
  try {
    old = parseYaml(text, { version: '1.1' });
  } catch {
    return undefined;
  }
  if ((typeof old === 'number' || typeof old === 'boolean') && String(old) !== text) return `YAML 1.1 reads ${text} as the ${kindOf(old)} ${String(old)}`;
  return undefined;
}

function kindOf(value: unknown): string {
  return typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : Array.isArray(value) ? 'list' : typeof value === 'object' ? 'mapping' : typeof value;
}

/**
 * `origins` says where given root values are written (vars files): problems with them point there
 * rather than at the runbook's declaration.
 */
export function resolveVars(
  plan: Plan,
  given: Record<string, unknown>,
  origins: Record<string, ValueOrigin> = {},
): { vars?: ResolvedVars; problems: Problem[] } {
  const problems: Problem[] = [];
  const scopes: Record<string, Record<string, unknown>> = {};
  const secrets = new Set<string>();
  const failed = new Set<string>();
  const routed = routeValues(plan, given);
  for (const name of routed.unknown) {
    const at = origins[name]?.keyAt;
    const names = settableNames(plan);
    problems.push({
      message: `unknown var "${name}": neither the runbook nor a file it imports declares it`,
      hint: names.length ? suggestion(name, names, 'runbook vars FILE lists every var and how to set it') : 'this runbook declares no vars',
      ...(at ? { at } : {}),
    });
  }
  const root = plan.scopes['']!;

  const resolveScope = (id: string): Record<string, unknown> => {
    if (scopes[id]) return scopes[id]!;
    const scope = plan.scopes[id]!;
    const parentValues = scope.parent === undefined || id === '' ? {} : resolveScope(scope.parent);
    const values: Record<string, unknown> = {};
    for (const spec of scope.vars) {
      let value: unknown;
      // A value the user gave for this var: a root var by name, an imported one by plain or
      // qualified name (routeValues); positions are those of the name as given.
      const mine = id === '' ? (routed.root[spec.name] !== undefined ? { value: routed.root[spec.name], as: spec.name } : undefined) : routed.scoped[id]?.[spec.name];
      const userGiven = mine !== undefined && mine.value !== undefined;
      const origin = userGiven ? origins[mine.as] : undefined;
      try {
        if (userGiven) {
          value = mine.value;
          const changed = spec.type === 'string' && origin?.plain !== undefined ? plainTextChange(origin.plain, value) : undefined;
          if (changed) {
            problems.push({
              message: `var "${spec.name}" is a string, but ${spec.secret ? 'its value is not read as the text written (the value is secret and not shown)' : `${changed}`}`,
              hint: quoteHint(spec, origin!.plain!),
              ...(origin?.at ? { at: origin.at } : spec.at ? { at: spec.at } : {}),
            });
            values[spec.name] = undefined;
            failed.add(`${id}\0${spec.name}`);
            continue;
          }
        } else if (spec.name in scope.bindings) {
          const binding = scope.bindings[spec.name];
          value = renderValue(binding, parentValues);
          // Bound to a var that failed: its problem says it all; "no value" here would repeat it.
          if (isTemplate(binding) && inspectTemplate(binding).refs.some((r) => failed.has(`${scope.parent}\0${r.name}`))) failed.add(`${id}\0${spec.name}`);
        } else if (parentValues[spec.name] !== undefined) {
          // Inherited by name, unless the importer's var has no value: then this file's default holds.
          value = parentValues[spec.name];
        } else {
          if (failed.has(`${scope.parent}\0${spec.name}`)) failed.add(`${id}\0${spec.name}`);
          value = renderValue(spec.default, values);
        }
        values[spec.name] = coerce(value, spec);
      } catch (err) {
        const where = id === '' ? '' : ` of ${scope.file}`;
        // A secret's value is never printed, not even a wrong one.
        const why = spec.secret ? (err as Error).message.replace(/, got [\s\S]*$/, ' (the value is secret and not shown)') : (err as Error).message;
        const at = origin?.at ?? spec.at;
        problems.push({ message: `var "${spec.name}"${where}: ${why}`, hint: coercionHint(spec, origin?.at !== undefined), ...(at ? { at } : {}) });
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
    vars: { scopes, secrets: [...secrets], secretNames: secretNamesOf(plan, root.vars, routed) },
    problems,
  };
}

/**
 * The names under which a secret's value is or may be given: the root's secret vars, and every
 * name given that reaches a secret var of an imported file, so a run state never keeps its value.
 */
function secretNamesOf(plan: Plan, rootVars: readonly VarSpec[], routed: ReturnType<typeof routeValues>): string[] {
  const names = new Set(rootVars.filter((v) => v.secret).map((v) => v.name));
  for (const [id, values] of Object.entries(routed.scoped)) {
    for (const [name, { as }] of Object.entries(values)) if (plan.scopes[id]!.vars.find((v) => v.name === name)?.secret) names.add(as);
  }
  return [...names];
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

/** How to keep the text of a plain scalar as written: quotes (never showing a secret). */
function quoteHint(spec: VarSpec, plain: string): string {
  if (spec.secret) return 'quote the value in the vars file to keep the text as written';
  if (plain.includes('\n')) return 'quote the value to keep its text, or write it as a block scalar (|) to keep its lines';
  return `quote it to keep the text as written: ${spec.name}: "${plain.replace(/["\\]/g, '\\$&')}"`;
}

/** An example of a good value, as a flag or (`inFile`) as a line of a vars file. */
function coercionHint(spec: VarSpec, inFile = false): string | undefined {
  const example = (value: string): string => (inFile ? `${spec.name}: ${value}` : `--var ${spec.name}=${value}`);
  const quoted = (value: string): string => (inFile ? `${spec.name}: ${value}` : `--var '${spec.name}=${value}'`);
  const declared = inFile && spec.at ? ` (declared as type ${spec.type} at ${spec.at.file}:${spec.at.line}:${spec.at.column})` : '';
  switch (spec.type) {
    case 'number':
      return `e.g. ${example('3')}${declared}`;
    case 'boolean':
      return `e.g. ${example('true')}${declared}`;
    case 'list':
      return `give a list in YAML or JSON flow style, e.g. ${quoted('[east, west]')}${declared}`;
    case 'object':
      return `give a mapping in YAML or JSON flow style, e.g. ${quoted('{name: demo, replicas: 2}')}${declared}`;
    default:
      return inFile ? `give text${declared}` : undefined;
  }
}
