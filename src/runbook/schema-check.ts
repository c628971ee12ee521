// Validates values against declared JSON Schemas (ajv) and turns ajv's errors into problems a
// person can act on: where, what is wrong, how to fix it.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { closest } from 'fastest-levenshtein';
import type { Problem } from '../engine/errors.js';
import type { JsonSchema } from '../engine/step-type.js';
import { positionOf, type SourceFile, type YamlPath } from './source.js';

const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
const compiled = new WeakMap<JsonSchema, ValidateFunction>();

function validatorFor(schema: JsonSchema): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(schema);
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
  for (const err of simplify(validate.errors ?? [])) {
    const path = pointerToPath(err.instancePath);
    const at = valueAt(value, path);
    if (options.ignore?.(path, at)) continue;
    const p = toProblem(err, path, source, basePath, options.subject);
    const key = `${p.at?.line}:${p.at?.column}:${p.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(p);
    }
  }
  return problems;
}

/** anyOf/oneOf failures list every branch's errors; keep the most specific ones. */
function simplify(errors: ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  if (unions.length === 0) return errors;
  const unionPaths = new Set(unions.map((e) => e.instancePath));
  const rest = errors.filter((e) => !(unionPaths.has(e.instancePath) && e.keyword !== 'anyOf' && e.keyword !== 'oneOf'));
  return rest;
}

function toProblem(err: ErrorObject, path: YamlPath, source: SourceFile, basePath: YamlPath, subject: string): Problem {
  const full = [...basePath, ...path];
  const field = path.length ? `"${path.join('.')}"` : 'the value';
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      return {
        message: `${subject}: missing required field "${[...path, missing].join('.')}"`,
        hint: describeProperty(err.parentSchema, missing),
        at: positionOf(source, full),
      };
    }
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const known = Object.keys((err.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = known.length ? closest(extra, known) : undefined;
      return {
        message: `${subject}: unknown field "${[...path, extra].join('.')}"`,
        hint: guess ? `did you mean "${guess}"? Known fields: ${known.join(', ')}` : undefined,
        at: positionOf(source, [...full, extra], true),
      };
    }
    case 'enum':
      return {
        message: `${subject}: ${field} must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
        at: positionOf(source, full),
      };
    case 'const':
      return {
        message: `${subject}: ${field} must be ${JSON.stringify(params.allowedValue)}`,
        at: positionOf(source, full),
      };
    case 'type':
      return { message: `${subject}: ${field} must be ${article(String(params.type))}`, at: positionOf(source, full) };
    case 'pattern':
      return {
        message: `${subject}: ${field} has the wrong form`,
        hint: (err.parentSchema as { description?: string })?.description ?? `it must match ${String(params.pattern)}`,
        at: positionOf(source, full),
      };
    case 'anyOf':
    case 'oneOf':
      return {
        message: `${subject}: ${field} does not match any allowed form`,
        hint: (err.parentSchema as { description?: string })?.description,
        at: positionOf(source, full),
      };
    default:
      return { message: `${subject}: ${field} ${err.message ?? 'is invalid'}`, at: positionOf(source, full) };
  }
}

function describeProperty(parentSchema: unknown, prop: string): string | undefined {
  const d = (parentSchema as { properties?: Record<string, { description?: string }> })?.properties?.[prop]?.description;
  return d ? `"${prop}": ${d}` : undefined;
}

function article(type: string): string {
  const t = type.replace(/,/g, ' or ');
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
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
