// CEL, the expression language Kubernetes uses in validation rules, for `when`, `until`, waits and
// assertions. Expressions are parsed once and cached; results come back as plain JSON values.
import { env, ExpressionError, parse, parseForChecks, type Evaluator } from './cel-environment.js';
import { callsIn, freeNames } from './expression-names.js';
import { savedUses } from './shipped-expressions.js';
import { mapListOnChange, mapRecordOnChange } from '../contract/copy-on-change.js';
export { ExpressionError } from './cel-environment.js';

/** A parsed expression and the context names it reads: only those are converted for CEL. */
interface Compiled {
  fn: Evaluator;
  names: readonly string[];
}
const cache = new Map<string, Compiled>();

function compile(expression: string): Compiled {
  let compiled = cache.get(expression);
  if (!compiled) {
    const parsed = parse(expression);
    if ('error' in parsed) throw new ExpressionError(describe(parsed.error));
    compiled = { fn: parsed.fn, names: [...new Set((freeNames(expression) ?? []).map((u) => u.name))] };
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
  // A third of a runbook's expressions repeat (the same guard on many steps): each is judged once.
  if (syntaxErrors.has(expression)) return syntaxErrors.get(expression);
  // One the build parsed (shipped-expressions.ts) parses: its calls are still checked.
  const parsed = savedUses(expression) ? undefined : parseForChecks(expression);
  let error: { message: string; offset: number } | undefined;
  if (parsed && 'error' in parsed) {
    const pos = (parsed.error as { node?: { pos?: unknown } }).node?.pos;
    error = { message: describe(parsed.error), offset: typeof pos === 'number' ? pos : 0 };
  } else {
    error = callError(expression);
  }
  syntaxErrors.set(expression, error);
  return error;
}
const syntaxErrors = new Map<string, { message: string; offset: number } | undefined>();

/** Every function an expression can call: CEL's, its macros, and the ones registered above. */
export function functionNames(): ReadonlySet<string> {
  if (!knownFunctions) {
    knownFunctions = new Set(overloads().map((f) => f.name));
    for (const macro of ['has', 'all', 'exists', 'exists_one', 'map', 'filter', 'bind', 'optMap', 'optFlatMap']) knownFunctions.add(macro);
  }
  return knownFunctions;
}
let knownFunctions: Set<string> | undefined;

/**
 * A call of a function no overload of which exists, whatever its arguments (`nosuchfn(x)`,
 * `name.startWith("a")`): found before the run, where a type mismatch on dynamic values is left
 * to run time (the values decide).
 */
export function unknownFunction(expression: string): { name: string; offset: number } | undefined {
  const known = functionNames();
  const call = callsIn(expression).find((c) => !known.has(c.name));
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
  for (const call of callsIn(expression)) {
    const all = overloadsByName().get(call.name);
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

let byName: Map<string, Overload[]> | undefined;

function overloadsByName(): Map<string, Overload[]> {
  if (!byName) {
    byName = new Map();
    for (const o of overloads()) byName.set(o.name, [...(byName.get(o.name) ?? []), o]);
  }
  return byName;
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

export function evaluate(expression: string, context: Record<string, unknown>): unknown {
  const { fn, names } = compile(expression);
  // Converting the whole context at every evaluation cost O(size of every registered value): a
  // loop over a registered list of n objects converted that list n times. Only what the
  // expression reads is converted; a name the context lacks stays unknown, as CEL reports it.
  const cel: Record<string, unknown> = {};
  const sources = new Map<unknown, unknown>();
  for (const name of names) if (Object.hasOwn(context, name)) cel[name] = toCelFrom(context[name], sources);
  try {
    return toPlain(fn(cel), sources);
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
// A list or map is copied only from its first entry that changes: most of an object (names,
// images, conditions) is strings, which CEL takes as they are, and a loop converts one per item.
function toCel(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return mapListOnChange(value, toCel);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return mapRecordOnChange(value as Record<string, unknown>, toCel);
  return value;
}

/**
 * A context value as CEL takes it, remembering in `sources` the JSON value it came from and, for
 * a list, each element's. CEL values are never changed, so what an expression returns as it got it
 * (`objects.filter(...)` returns some of its objects) is given back as its source instead of being
 * converted again: a query's filter over 10,000 objects no longer holds a third copy of them.
 */
function toCelFrom(value: unknown, sources: Map<unknown, unknown>): unknown {
  const cel = toCel(value);
  if (cel !== null && typeof cel === 'object') sources.set(cel, value);
  if (Array.isArray(value) && Array.isArray(cel)) {
    for (const [i, element] of cel.entries()) if (element !== null && typeof element === 'object') sources.set(element, value[i]);
  }
  return cel;
}

/** CEL ints are BigInts and maps may be Maps; turn them back into JSON values. */
function toPlain(value: unknown, sources?: ReadonlyMap<unknown, unknown>): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (sources?.has(value)) return sources.get(value);
  if (Array.isArray(value)) return value.map((v) => toPlain(v, sources));
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toPlain(v, sources)]));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toPlain(v, sources);
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
