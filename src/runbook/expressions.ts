// CEL, the expression language Kubernetes uses in validation rules, for `when`, `until`, waits and
// assertions. Expressions are parsed once and cached; results come back as plain JSON values.
import { Environment } from '@marcbachmann/cel-js';
import semver from 'semver';
import { freeNames } from './expression-names.js';
import { processTemplate } from './openshift-template.js';
import { dropOption, hasOption, shellSplit } from './shell-words.js';

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
  )
  // Building an object from another one, as runbooks transform what they read: a JSON merge patch
  // (RFC 7386: maps merge, null removes a key, anything else replaces) and a map without the keys a
  // regular expression matches, e.g. dropKeys(labels, "istio|knative").
  .registerFunction('mergePatch(dyn, dyn): dyn', (target: unknown, patch: unknown) => mergePatch(target, patch))
  .registerFunction('dropKeys(map, string): map', (map: unknown, pattern: string) => dropKeys(map, pattern))
  // Command-line arguments kept in one string (a workbench's NOTEBOOK_ARGS), read as a shell reads
  // them: see ./shell-words.ts.
  .registerFunction('shellSplit(string): list<string>', (value: string) => shellSplit(value))
  .registerFunction('hasOption(string, string): bool', (value: string, name: string) => hasOption(value, name))
  .registerFunction('dropOption(string, string): string', (value: string, name: string) => dropOption(value, name));

function isMapValue(v: unknown): boolean {
  if (v instanceof Map) return true;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function entriesOf(v: unknown): [string, unknown][] {
  return v instanceof Map ? [...v].map(([k, x]) => [String(k), x]) : Object.entries(v as object);
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isMapValue(patch)) return patch;
  const out: Record<string, unknown> = isMapValue(target) ? Object.fromEntries(entriesOf(target)) : {};
  for (const [k, v] of entriesOf(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function dropKeys(map: unknown, pattern: string): Record<string, unknown> {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (err) {
    throw new ExpressionError(`dropKeys: invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
  return Object.fromEntries(entriesOf(map).filter(([k]) => !re.test(k)));
}

// CEL has no mixed int/double arithmetic: `replicas * 1.5` would be "no such overload". A runbook
// author thinks of numbers, so mixing gives a double, as it would in any other language.
const MIXED: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
};
for (const [op, fn] of Object.entries(MIXED)) {
  env.registerOperator(`int ${op} double`, (a: bigint, b: number) => fn(Number(a), b));
  env.registerOperator(`double ${op} int`, (a: number, b: bigint) => fn(a, Number(b)));
}

// The objects of an OpenShift Template as `oc process` makes them (parameters substituted, the
// Template's labels added): see ./openshift-template.ts. processTemplate(template, {"NAME": "value"}).
env.registerFunction('processTemplate(map, map): list', (template: unknown, values: unknown) => processTemplate(template, values));

function coerce(v: string): string {
  const parsed = semver.coerce(v, { includePrerelease: true });
  if (!parsed) throw new ExpressionError(`not a version: ${JSON.stringify(v)}`);
  return parsed.version;
}

export class ExpressionError extends Error {}

type Evaluator = (context: Record<string, unknown>) => unknown;
/** A parsed expression and the context names it reads: only those are converted for CEL. */
interface Compiled {
  fn: Evaluator;
  names: readonly string[];
}
const cache = new Map<string, Compiled>();

function compile(expression: string): Compiled {
  let compiled = cache.get(expression);
  if (!compiled) {
    let fn: Evaluator;
    try {
      fn = env.parse(expression) as unknown as Evaluator;
    } catch (err) {
      throw new ExpressionError(describe(err));
    }
    compiled = { fn, names: [...new Set((freeNames(expression) ?? []).map((u) => u.name))] };
    cache.set(expression, compiled);
  }
  return compiled;
}

/** Returns a syntax error message, or undefined when the expression parses. */
export function checkSyntax(expression: string): string | undefined {
  return syntaxError(expression)?.message;
}

/** A syntax error with the offset in the expression where it was found, to point at it. */
export function syntaxError(expression: string): { message: string; offset: number } | undefined {
  try {
    env.parse(expression);
    return undefined;
  } catch (err) {
    const pos = (err as { node?: { pos?: unknown } }).node?.pos;
    return { message: describe(err), offset: typeof pos === 'number' ? pos : 0 };
  }
}

/** Every function an expression can call: CEL's, its macros, and the ones registered above. */
export function functionNames(): Set<string> {
  const names = new Set(env.getDefinitions().functions.map((f: { name: string }) => f.name));
  for (const macro of ['has', 'all', 'exists', 'exists_one', 'map', 'filter', 'bind', 'optMap', 'optFlatMap']) names.add(macro);
  return names;
}

/**
 * A call of a function no overload of which exists, whatever its arguments (`nosuchfn(x)`,
 * `name.startWith("a")`): found before the run, where a type mismatch on dynamic values is left
 * to run time (the values decide).
 */
export function unknownFunction(expression: string): { name: string; offset: number } | undefined {
  let result: { valid: boolean; error?: { message?: string; node?: { pos?: unknown } } };
  try {
    result = env.check(expression) as typeof result;
  } catch {
    return undefined;
  }
  if (result.valid || !result.error?.message) return undefined;
  const called = /found no matching overload for '(?:[^'(]*\.)?([A-Za-z_][A-Za-z0-9_]*)\(/.exec(result.error.message)?.[1];
  if (!called || functionNames().has(called)) return undefined;
  const pos = result.error.node?.pos;
  const at = expression.indexOf(`${called}(`);
  return { name: called, offset: at >= 0 ? at : typeof pos === 'number' ? pos : 0 };
}

export function evaluate(expression: string, context: Record<string, unknown>): unknown {
  const { fn, names } = compile(expression);
  // Converting the whole context at every evaluation cost O(size of every registered value): a
  // loop over a registered list of n objects converted that list n times. Only what the
  // expression reads is converted; a name the context lacks stays unknown, as CEL reports it.
  const cel: Record<string, unknown> = {};
  for (const name of names) if (Object.hasOwn(context, name)) cel[name] = toCel(context[name]);
  try {
    return toPlain(fn(cel));
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

// CEL maps cannot hold `undefined`; a declared var without a value is null. Whole numbers are
// CEL ints, as Kubernetes reads JSON integers, so `replicas * 2` and `size(xs) == count` work.
function toCel(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
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
  return readableTokens(message.split('\n')[0]!.trim());
}

// The parser names tokens (RPAREN, EOF); a reader knows them by their characters.
const TOKENS: Record<string, string> = {
  EOF: 'the end of the expression',
  LPAREN: '"("',
  RPAREN: '")"',
  LBRACKET: '"["',
  RBRACKET: '"]"',
  LBRACE: '"{"',
  RBRACE: '"}"',
  COMMA: '","',
  COLON: '":"',
  DOT: '"."',
  QUESTION: '"?"',
  EQ: '"=="',
  NE: '"!="',
  LT: '"<"',
  LE: '"<="',
  GT: '">"',
  GE: '">="',
  PLUS: '"+"',
  MINUS: '"-"',
  MULTIPLY: '"*"',
  DIVIDE: '"/"',
  MODULO: '"%"',
  AND: '"&&"',
  OR: '"||"',
  NOT: '"!"',
  IDENTIFIER: 'a name',
  NUMBER: 'a number',
  STRING: 'a string',
  BOOLEAN: 'true or false',
  NULL: 'null',
  IN: '"in"',
  BYTES: 'bytes',
};

function readableTokens(message: string): string {
  return message
    .replace(/^Unexpected token: EOF$/, 'unexpected end of expression')
    .replace(/^Unexpected token: (\w+)$/, (m, t: string) => (TOKENS[t] ? `unexpected ${TOKENS[t]}` : m))
    .replace(/^Expected (\w+), got (\w+)$/, (m, a: string, b: string) =>
      TOKENS[a] && TOKENS[b] ? `expected ${TOKENS[a]}, found ${TOKENS[b]}` : m,
    )
    .replace(/^Unexpected character: (.*)$/, 'unexpected character "$1"')
    .replace(/^Unterminated string$/, 'a string is not closed: add the closing quote');
}
