// Validates values against declared JSON Schemas (ajv) and turns ajv's errors into problems a
// person can act on: where, what is wrong, how to fix it.
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Problem } from '../contract/errors.js';
import type { JsonSchema } from '../contract/step-type.js';
import { compileSchema } from './schema-compile.js';
import { FORMATS } from './schema-formats.js';
import { parseYamlSource, positionOf, type SourceFile, type YamlPath } from './source.js';
import { didYouMean, suggestion } from './suggest.js';

const compiled = new WeakMap<JsonSchema, ValidateFunction>();

function validatorFor(schema: JsonSchema): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = compileSchema(schema);
    compiled.set(schema, v);
  }
  return v;
}

export interface SchemaCheckOptions {
  /** What the value is, for messages: e.g. `step "Stop notebooks" (patch)`. */
  subject: string;
  /** Paths (relative to the value) whose problems are ignored: templates rendered at run time. */
  ignore?: (path: YamlPath, value: unknown) => boolean;
}

/** An error to report, with the union (anyOf) it was chosen from, whose description may help. */
interface Reported {
  err: ErrorObject;
  union?: ErrorObject;
}

/**
 * A step's input once its templates are rendered, checked again: a template that renders a value
 * of the wrong type (a list where a name goes, nothing where a namespace goes) fails here, with
 * the step named, instead of deep inside a client call. No positions: the value was computed.
 */
export function checkRendered(value: unknown, schema: JsonSchema, subject: string): Problem[] {
  if (validatorFor(schema)(value)) return [];
  // A value the run computed, never a shipped file: no saved form is looked for.
  const { source } = parseYamlSource('(rendered input)', JSON.stringify(value ?? null));
  if (!source) return [{ message: `${subject}: the rendered input is not valid` }];
  return checkAgainstSchema(value, schema, source, [], { subject }).map(({ message, hint }) => ({ message, ...(hint ? { hint } : {}) }));
}

export function checkAgainstSchema(
  value: unknown,
  schema: JsonSchema,
  source: SourceFile,
  basePath: YamlPath,
  options: SchemaCheckOptions,
): Problem[] {
  const validate = validatorFor(schema);
  if (validate(value)) return [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const reported = simplify(validate.errors ?? []);
  const misspelt = misspeltRequired(reported.map((r) => r.err));
  for (const { err, union } of reported) {
    // propertyNames reports twice: the failed keyword (with propertyName) and a summary; keep one.
    // A failed if/then is said by the errors of its `then`; "must match then schema" adds nothing.
    if (err.keyword === 'propertyNames' || err.keyword === 'if') continue;
    // One typo reported once: `comand` is an unknown field whose suggestion is the missing `command`.
    if (err.keyword === 'required' && misspelt.has(`${err.instancePath}\0${String((err.params as { missingProperty?: unknown }).missingProperty)}`)) continue;
    const path = pointerToPath(err.instancePath);
    if (options.ignore?.(path, valueAt(value, path))) continue;
    const p =
      err.propertyName === undefined
        ? toProblem(err, union, path, source, basePath, options.subject)
        : nameProblem(err, err.propertyName, path, source, basePath, options.subject);
    const key = `${p.at?.line}:${p.at?.column}:${p.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(p);
    }
  }
  return problems;
}

/**
 * `path\0field` for each required field that an unknown field beside it is a typo of: the
 * unknown field's problem says it with its did-you-mean, the missing one would say it again.
 */
function misspeltRequired(errors: readonly ErrorObject[]): Set<string> {
  const out = new Set<string>();
  for (const err of errors) {
    if (err.keyword !== 'additionalProperties') continue;
    const known = Object.keys((err.parentSchema as { properties?: object } | undefined)?.properties ?? {});
    const guess = didYouMean(String((err.params as { additionalProperty?: unknown }).additionalProperty), known, { short: true });
    if (guess) out.add(`${err.instancePath}\0${guess}`);
  }
  return out;
}

/**
 * anyOf/oneOf failures list every branch's errors. When the value's type fits exactly one branch
 * (a list where a list or a string is allowed), that branch's errors say what is wrong; otherwise
 * the union itself does ("must be a list or a string").
 */
function simplify(errors: ErrorObject[]): Reported[] {
  let kept: Reported[] = errors.map((err) => ({ err }));
  for (const union of errors) {
    if (union.keyword !== 'anyOf' && union.keyword !== 'oneOf') continue;
    if (!kept.some((r) => r.err === union)) continue;
    const branches = (Array.isArray(union.schema) ? union.schema : []) as JsonSchema[];
    const fitting = branches.flatMap((b, i) => (typeFits(b, union.data) ? [i] : []));
    const branchOf = (e: ErrorObject): number | undefined => {
      const prefix = `${union.schemaPath}/`;
      return e !== union && e.schemaPath.startsWith(prefix) ? Number(e.schemaPath.slice(prefix.length).split('/')[0]) : undefined;
    };
    if (fitting.length === 1) {
      kept = kept
        .filter((r) => r.err !== union && (branchOf(r.err) === undefined || branchOf(r.err) === fitting[0]))
        .map((r) => (branchOf(r.err) === undefined ? r : { err: r.err, union: r.union ?? union }));
    } else {
      kept = kept.filter((r) => branchOf(r.err) === undefined);
    }
  }
  return kept;
}

function typeFits(schema: JsonSchema, data: unknown): boolean {
  const declared = schema.type;
  if (declared === undefined) return true;
  const types = Array.isArray(declared) ? (declared as string[]) : [String(declared)];
  return types.some((t) => t === jsonType(data) || (t === 'number' && jsonType(data) === 'integer'));
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function toProblem(
  err: ErrorObject,
  union: ErrorObject | undefined,
  path: YamlPath,
  source: SourceFile,
  basePath: YamlPath,
  subject: string,
): Problem {
  const full = [...basePath, ...path];
  const field = fieldName(path, basePath);
  const params = err.params as Record<string, unknown>;
  const at = positionOf(source, full);
  const hint = descriptionOf(err.parentSchema) ?? descriptionOf(union?.parentSchema);
  switch (err.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      return {
        message: `${subject}: missing required field "${formatPath([...path, missing])}"`,
        hint: describeProperty(err.parentSchema, missing),
        // The mapping that lacks the field, by its key: the value may be far below or absent.
        at: positionOf(source, full, true),
      };
    }
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const known = Object.keys((err.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return {
        message: `${subject}: unknown field "${formatPath([...path, extra])}"`,
        hint: known.length ? suggestion(extra, known, `Known fields: ${known.join(', ')}`, { short: true }) : 'this mapping takes no fields of its own',
        at: positionOf(source, [...full, extra], true),
      };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      const strings = (params.allowedValues as unknown[]).filter((v): v is string => typeof v === 'string');
      return {
        message: `${subject}: ${field} must be one of ${allowed.join(', ')}`,
        hint: typeof err.data === 'string' ? suggestion(err.data, strings, hint ?? '') : hint,
        at,
      };
    }
    case 'const':
      return { message: `${subject}: ${field} must be ${JSON.stringify(params.allowedValue)}`, hint, at };
    case 'type': {
      const wanted = String(params.type).split(',');
      const quote =
        wanted.includes('string') && (typeof err.data === 'number' || typeof err.data === 'boolean')
          ? `quote it to make it a string: "${String(err.data)}"`
          : undefined;
      return { message: `${subject}: ${field} must be ${typeList(wanted)}`, hint: quote ?? hint, at };
    }
    case 'pattern':
      return {
        message: `${subject}: ${field} has the wrong form`,
        hint: hint ?? `it must match ${String(params.pattern)}`,
        at,
      };
    case 'anyOf':
    case 'oneOf': {
      const branches = (Array.isArray(err.schema) ? err.schema : []) as JsonSchema[];
      const types = branches.map((b) => b.type);
      const allTyped = types.length > 0 && types.every((t) => typeof t === 'string');
      const fitsNone = !branches.some((b) => typeFits(b, err.data));
      const forms = formsOf(branches);
      return {
        message:
          allTyped && fitsNone
            ? `${subject}: ${field} must be ${typeList(types as string[])}`
            : `${subject}: ${field} does not match any allowed form${forms ? `: give ${err.keyword === 'oneOf' ? 'exactly one of' : 'one of'} ${forms}` : ''}`,
        hint,
        at,
      };
    }
    case 'format': {
      const f = FORMATS[String(params.format)];
      return { message: `${subject}: ${field} is not a valid ${f?.word ?? String(params.format)}`, hint, at };
    }
    case 'not':
      // `not: {}` on a field: a field the rest of the input rules out; the description says why.
      return { message: `${subject}: ${field} is not allowed here`, hint, at };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const bound = { minimum: 'at least', maximum: 'at most', exclusiveMinimum: 'more than', exclusiveMaximum: 'less than' }[err.keyword];
      return { message: `${subject}: ${field} must be ${bound} ${String(params.limit)}`, hint, at };
    }
    case 'minItems':
      return { message: `${subject}: ${field} must have at least ${plural(Number(params.limit), 'item')}`, hint, at };
    case 'minLength':
      return {
        message: Number(params.limit) === 1 ? `${subject}: ${field} must not be empty` : `${subject}: ${field} must be at least ${plural(Number(params.limit), 'character')} long`,
        hint,
        at,
      };
    default:
      return { message: `${subject}: ${field} ${err.message ?? 'is invalid'}`, hint, at };
  }
}

/** A key of a mapping that fails `propertyNames`, e.g. a var named dsc-name. */
function nameProblem(
  err: ErrorObject,
  name: string,
  path: YamlPath,
  source: SourceFile,
  basePath: YamlPath,
  subject: string,
): Problem {
  const where = path.length ? ` under "${formatPath(path)}"` : '';
  return {
    message: `${subject}: the name "${name}"${where} has the wrong form`,
    hint: descriptionOf(err.parentSchema) ?? `it must match ${String((err.params as { pattern?: string }).pattern)}`,
    at: positionOf(source, [...basePath, ...path, name], true),
  };
}

/**
 * The forms of a union, for its message: each branch by its `description`, else by the fields it
 * requires ("pod, selector"; "path and content; files"). Undefined when a branch says neither.
 */
function formsOf(branches: readonly JsonSchema[]): string | undefined {
  const forms = branches.map((b) => {
    const d = descriptionOf(b);
    if (d) return d;
    const required = Array.isArray(b.required) ? (b.required as string[]) : [];
    return required.length ? required.join(' and ') : undefined;
  });
  if (forms.length === 0 || forms.some((f) => f === undefined)) return undefined;
  return forms.join(forms.some((f) => f!.includes(' ')) ? '; ' : ', ');
}

function descriptionOf(schema: unknown): string | undefined {
  const d = (schema as { description?: unknown } | undefined)?.description;
  return typeof d === 'string' ? d : undefined;
}

function describeProperty(parentSchema: unknown, prop: string): string | undefined {
  const d = descriptionOf((parentSchema as { properties?: Record<string, unknown> })?.properties?.[prop]);
  return d ? `"${prop}": ${d}` : undefined;
}

/** `"sections[0].name"`; for the value itself, the key it sits under (`"assert"`). */
function fieldName(path: YamlPath, basePath: YamlPath): string {
  if (path.length) return `"${formatPath(path)}"`;
  const last = basePath[basePath.length - 1];
  return typeof last === 'string' ? `"${last}"` : 'the value';
}

function formatPath(path: YamlPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

// YAML words for JSON types: an admin writes mappings and lists.
const TYPE_WORDS: Record<string, string> = { object: 'a mapping', array: 'a list', integer: 'an integer', null: 'null' };

function typeList(types: readonly string[]): string {
  return [...new Set(types.map((t) => TYPE_WORDS[t] ?? `a ${t}`))].join(' or ');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function valueAt(value: unknown, path: YamlPath): unknown {
  let v = value;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}
