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

/**
 * What is wrong with an expression before it runs, with the offset in the expression to point
 * at: its syntax, or a known function called in a way no overload of it accepts (see callError).
 */
export function syntaxError(expression: string): { message: string; offset: number } | undefined {
  try {
    env.parse(expression);
  } catch (err) {
    const pos = (err as { node?: { pos?: unknown } }).node?.pos;
    return { message: describe(err), offset: typeof pos === 'number' ? pos : 0 };
  }
  return callError(expression);
}

/** Every function an expression can call: CEL's, its macros, and the ones registered above. */
export function functionNames(): Set<string> {
  const names = new Set(overloads().map((f) => f.name));
  for (const macro of ['has', 'all', 'exists', 'exists_one', 'map', 'filter', 'bind', 'optMap', 'optFlatMap']) names.add(macro);
  return names;
}

/**
 * A call of a function no overload of which exists, whatever its arguments (`nosuchfn(x)`,
 * `name.startWith("a")`): found before the run, where a type mismatch on dynamic values is left
 * to run time (the values decide).
 */
export function unknownFunction(expression: string): { name: string; offset: number } | undefined {
  const known = functionNames();
  const call = callsOf(expression).find((c) => !known.has(c.name));
  return call && { name: call.name, offset: call.offset };
}

/**
 * A known function called in a way the runtime has no overload for, which would fail with "no
 * matching overload" when the step runs: globally where it takes a receiver (`orValue(x, "a")`
 * for `x.orValue("a")`), on a receiver where it is global (`v.semverGte("1.0.0")`), with the
 * wrong number of arguments, or with an argument whose type a literal shows (`size(1)`). Values
 * whose type only the run knows are left to the run.
 */
export function callError(expression: string): { message: string; offset: number } | undefined {
  const byName = new Map<string, Overload[]>();
  for (const o of overloads()) byName.set(o.name, [...(byName.get(o.name) ?? []), o]);
  for (const call of callsOf(expression)) {
    const all = byName.get(call.name);
    if (!all) continue; // Unknown names are unknownFunction's.
    const shaped = all.filter((o) => (o.receiverType !== null) === (call.receiver !== undefined) && o.params.length === call.args.length);
    if (shaped.length === 0) {
      return { message: `${call.name} is not called like that: write ${forms(all).join(' or ')}`, offset: call.offset };
    }
    const fits = shaped.some(
      (o) => (call.receiver === undefined || fitsType(call.receiver ?? undefined, o.receiverType!, o)) && o.params.every((p, i) => fitsType(call.args[i], p.type, o)),
    );
    if (!fits) {
      const written = `${call.receiver === undefined ? '' : `${call.receiver ?? 'dyn'}.`}${call.name}(${call.args.map((a) => a ?? 'dyn').join(', ')})`;
      return {
        message: `${written}: ${call.name} takes ${shaped.map((o) => o.signature.replace(/:.*$/, '')).join(' or ')}`,
        offset: call.offset,
      };
    }
  }
  return undefined;
}

interface Overload {
  signature: string;
  name: string;
  receiverType: string | null;
  params: { type: string }[];
}

let overloadTable: Overload[] | undefined;

/** The runtime's own table of function overloads: cel-js's and the ones registered above. */
function overloads(): Overload[] {
  overloadTable ??= env.getDefinitions().functions as Overload[];
  return overloadTable;
}

/** `x.startsWith(y)`, `size(x)`: the ways a function can be called, one per style and arity. */
function forms(all: readonly Overload[]): string[] {
  const seen = new Set<string>();
  for (const o of all) {
    const receiver = o.receiverType === 'CelNamespace' ? 'cel.' : o.receiverType === 'OptionalNamespace' ? 'optional.' : o.receiverType === null ? '' : 'x.';
    const letters = receiver === 'x.' ? ['y', 'z', 'w'] : ['x', 'y', 'z', 'w'];
    const params = o.params.map((_, i) => letters[i] ?? `a${i}`);
    seen.add(`${receiver}${o.name}(${params.join(', ')})`);
  }
  return [...seen];
}

/** Whether a value of the type a literal shows (undefined: unknown before the run) fits `declared`. */
function fitsType(known: string | undefined, declared: string, overload: Overload): boolean {
  if (known === undefined) return true;
  // Macros take expressions (`ast`) and accept lists and maps alike; type parameters take anything.
  if (overload.params.some((p) => p.type === 'ast')) return true;
  const base = declared.replace(/<.*$/, '');
  if (base === 'dyn' || /^[A-Z]$/.test(base)) return true;
  return base === known;
}

interface Call {
  name: string;
  /** The receiver's type when a literal shows it, `null` when unknown; undefined for a global call. */
  receiver?: string | null;
  /** Each argument's type when a literal shows it. */
  args: (string | undefined)[];
  /** Where the function's name is written. */
  offset: number;
}

interface AstNode {
  op: string;
  args: unknown;
  start?: number;
  end?: number;
  pos?: number;
}

function isNode(v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as AstNode).op === 'string';
}

/** Every function call in an expression, in the order written; none when it does not parse. */
function callsOf(expression: string): Call[] {
  let ast: unknown;
  try {
    ast = (env.parse(expression) as unknown as { ast: unknown }).ast;
  } catch {
    return [];
  }
  const calls: Call[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(walk);
      return;
    }
    if (!isNode(value)) return;
    if ((value.op === 'call' || value.op === 'rcall') && Array.isArray(value.args)) {
      const receiverCall = value.op === 'rcall';
      const name = value.args[0] as string;
      const receiver = receiverCall ? value.args[1] : undefined;
      const args = (receiverCall ? value.args[2] : value.args[1]) as unknown[];
      const from = receiverCall && isNode(receiver) ? (receiver.end ?? 0) : (value.start ?? value.pos ?? 0);
      const at = expression.indexOf(name, from);
      calls.push({
        name,
        ...(receiverCall ? { receiver: literalType(receiver) ?? null } : {}),
        args: Array.isArray(args) ? args.map(literalType) : [],
        offset: at >= 0 ? at : (value.start ?? value.pos ?? 0),
      });
      if (receiverCall) walk(receiver);
      walk(args);
      return;
    }
    walk(value.args);
  };
  walk(ast);
  return calls;
}

/** The CEL type of a literal (`"a"`, `1`, `[..]`, `{..}`), or of the cel/optional namespaces. */
function literalType(node: unknown): string | undefined {
  if (!isNode(node)) return undefined;
  if (node.op === 'list') return 'list';
  if (node.op === 'map') return 'map';
  if (node.op === 'id') return node.args === 'cel' ? 'CelNamespace' : node.args === 'optional' ? 'OptionalNamespace' : undefined;
  if (node.op !== 'value') return undefined;
  const v = node.args;
  if (typeof v === 'string') return 'string';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'double';
  if (typeof v === 'boolean') return 'bool';
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return 'bytes';
  return undefined;
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
