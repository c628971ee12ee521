// CEL, the expression language Kubernetes uses in validation rules, for `when`, `until`, waits and
// assertions. Expressions are parsed once and cached; results come back as plain JSON values.
import { Environment } from '@marcbachmann/cel-js';
import semver from 'semver';

const env = new Environment({
  unlistedVariablesAreDyn: true,
  homogeneousAggregateLiterals: false,
  enableOptionalTypes: true,
})
  .registerFunction('semverCompare(string, string): int', (a: string, b: string) =>
    BigInt(semver.compare(coerce(a), coerce(b))),
  )
  .registerFunction('semverGte(string, string): bool', (a: string, b: string) => semver.gte(coerce(a), coerce(b)))
  .registerFunction('semverLt(string, string): bool', (a: string, b: string) => semver.lt(coerce(a), coerce(b)))
  .registerFunction('semverSatisfies(string, string): bool', (v: string, range: string) =>
    semver.satisfies(coerce(v), range, { includePrerelease: true }),
  );

function coerce(v: string): string {
  const parsed = semver.coerce(v, { includePrerelease: true });
  if (!parsed) throw new ExpressionError(`not a version: ${JSON.stringify(v)}`);
  return parsed.version;
}

export class ExpressionError extends Error {}

type Compiled = (context: Record<string, unknown>) => unknown;
const cache = new Map<string, Compiled>();

function compile(expression: string): Compiled {
  let fn = cache.get(expression);
  if (!fn) {
    try {
      fn = env.parse(expression) as unknown as Compiled;
    } catch (err) {
      throw new ExpressionError(describe(err));
    }
    cache.set(expression, fn);
  }
  return fn;
}

/** Returns a syntax error message, or undefined when the expression parses. */
export function checkSyntax(expression: string): string | undefined {
  try {
    compile(expression);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export function evaluate(expression: string, context: Record<string, unknown>): unknown {
  const fn = compile(expression);
  try {
    return toPlain(fn(toCel(context) as Record<string, unknown>));
  } catch (err) {
    throw new ExpressionError(describe(err));
  }
}

export function evaluateBoolean(expression: string, context: Record<string, unknown>): boolean {
  const value = evaluate(expression, context);
  if (typeof value !== 'boolean') {
    throw new ExpressionError(`expected true or false, got ${JSON.stringify(value)}`);
  }
  return value;
}

// CEL maps cannot hold `undefined`; a declared var without a value is null.
function toCel(value: unknown): unknown {
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map(toCel);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toCel(v);
    return out;
  }
  return value;
}

/** CEL ints are BigInts and maps may be Maps; turn them back into JSON values. */
function toPlain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toPlain(v)]));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toPlain(v);
    return out;
  }
  return value;
}

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // The library appends a source excerpt with a caret; keep the first line, callers add position.
  return message.split('\n')[0]!.trim();
}
