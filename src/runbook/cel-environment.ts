// The CEL environment runbooks evaluate in: cel-js with the functions and operators runbooks
// add (versions, merge patches, shell words, OpenShift Templates), and each expression parsed once
// per process, shared by the checks made before a run and by the evaluation during it.
import { Environment } from '@marcbachmann/cel-js';
import semver from 'semver';
import { processTemplate } from './openshift-template.js';
import { dropOption, hasOption, shellSplit } from './shell-words.js';

export const env = new Environment({
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

/** What went wrong evaluating an expression, in words a runbook author can act on. */
export class ExpressionError extends Error {}

export type Evaluator = ((context: Record<string, unknown>) => unknown) & { ast: unknown };
export type Parsed = { fn: Evaluator } | { error: unknown };
const parses = new Map<string, Parsed>();

/**
 * An expression parsed for the checks made before a run (syntax, calls, names), which keep what
 * they find and not the tree: it is kept only until the next expression is parsed. Kept for every
 * expression of the shipped upgrade, the trees outlived several garbage collections, each of which
 * copied them (see docs/performance.md). One the evaluator has parsed is shared.
 */
export function parseForChecks(expression: string): Parsed {
  const kept = parses.get(expression);
  if (kept) return kept;
  if (lastChecked?.expression !== expression) lastChecked = { expression, parsed: parseNow(expression) };
  return lastChecked.parsed;
}
let lastChecked: { expression: string; parsed: Parsed } | undefined;

function parseNow(expression: string): Parsed {
  try {
    return { fn: env.parse(expression) as unknown as Evaluator };
  } catch (error) {
    return { error };
  }
}

/** An expression parsed once for the evaluator. */
export function parse(expression: string): Parsed {
  let parsed = parses.get(expression);
  if (!parsed) {
    parsed = lastChecked?.expression === expression ? lastChecked.parsed : parseNow(expression);
    parses.set(expression, parsed);
  }
  return parsed;
}
