// Handlebars templating for step inputs and manifest files, in strict mode: a variable that does
// not exist is an error naming it, never an empty string in a production patch.
import Handlebars from 'handlebars';
import semver from 'semver';
import { stringify as toYaml } from 'yaml';

const hb = Handlebars.create();

// Helpers are plain functions of their arguments; handlebars passes an options hash last.
type HelperArgs = unknown[];
const args = (a: HelperArgs): unknown[] => a.slice(0, -1);

const helpers: Record<string, (...a: HelperArgs) => unknown> = {
  json: (...a) => JSON.stringify(args(a)[0]),
  yaml: (...a) => toYaml(args(a)[0]).trimEnd(),
  default: (...a) => {
    const [value, fallback] = args(a);
    return value === undefined || value === null || value === '' ? fallback : value;
  },
  base64: (...a) => Buffer.from(String(args(a)[0] ?? ''), 'utf8').toString('base64'),
  base64decode: (...a) => Buffer.from(String(args(a)[0] ?? ''), 'base64').toString('utf8'),
  lower: (...a) => String(args(a)[0] ?? '').toLowerCase(),
  upper: (...a) => String(args(a)[0] ?? '').toUpperCase(),
  trim: (...a) => String(args(a)[0] ?? '').trim(),
  quote: (...a) => JSON.stringify(String(args(a)[0] ?? '')),
  join: (...a) => {
    const [list, sep] = args(a);
    return Array.isArray(list) ? list.join(typeof sep === 'string' ? sep : ',') : String(list ?? '');
  },
  indent: (...a) => {
    const [text, n] = args(a);
    const pad = ' '.repeat(Number(n ?? 2));
    return String(text ?? '')
      .split('\n')
      .map((l) => (l ? pad + l : l))
      .join('\n');
  },
  eq: (...a) => args(a)[0] === args(a)[1],
  ne: (...a) => args(a)[0] !== args(a)[1],
  and: (...a) => args(a).every(Boolean),
  or: (...a) => args(a).some(Boolean),
  not: (...a) => !args(a)[0],
  // Version comparison, with coercion so "4.19.9" and "v4.19" both work.
  semverCompare: (...a) => semver.compare(coerce(args(a)[0]), coerce(args(a)[1])),
  semverGte: (...a) => semver.gte(coerce(args(a)[0]), coerce(args(a)[1])),
  semverLt: (...a) => semver.lt(coerce(args(a)[0]), coerce(args(a)[1])),
  semverSatisfies: (...a) => semver.satisfies(coerce(args(a)[0]), String(args(a)[1]), { includePrerelease: true }),
};

for (const [name, fn] of Object.entries(helpers)) hb.registerHelper(name, fn);

export const HELPER_NAMES: ReadonlySet<string> = new Set([
  ...Object.keys(helpers),
  // Handlebars built-ins.
  'if',
  'unless',
  'each',
  'with',
  'lookup',
  'log',
]);

function coerce(v: unknown): string {
  const parsed = semver.coerce(String(v), { includePrerelease: true });
  if (!parsed) throw new TemplateError(`not a version: ${JSON.stringify(v)}`);
  return parsed.version;
}

export class TemplateError extends Error {}

export function isTemplate(value: unknown): value is string {
  return typeof value === 'string' && value.includes('{{');
}

const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** A whole value that is one plain reference keeps its type: "{{ replicas }}" renders as 3, not "3". */
const SINGLE_REFERENCE = /^\s*\{\{\{?\s*([A-Za-z_@][\w-]*(?:\.[\w-]+)*)\s*\}?\}\}\s*$/;

export function renderString(template: string, context: Record<string, unknown>): unknown {
  const single = SINGLE_REFERENCE.exec(template);
  if (single && !HELPER_NAMES.has(single[1]!)) return lookupPath(context, single[1]!);
  return renderText(template, context);
}

export function renderText(template: string, context: Record<string, unknown>): string {
  let fn = compiled.get(template);
  if (!fn) {
    fn = hb.compile(template, { strict: true, noEscape: true });
    compiled.set(template, fn);
  }
  try {
    return fn(context);
  } catch (err) {
    throw new TemplateError(explainHandlebarsError(err));
  }
}

/** Renders every template string inside a value, leaving other values as they are. */
export function renderDeep(value: unknown, context: Record<string, unknown>, skipKeys: readonly string[] = []): unknown {
  if (isTemplate(value)) return renderString(value, context);
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, context));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = skipKeys.includes(k) ? v : renderDeep(v, context);
    return out;
  }
  return value;
}

function lookupPath(context: Record<string, unknown>, path: string): unknown {
  const parts = path.split('.');
  let current: unknown = context;
  for (const [i, part] of parts.entries()) {
    if (current === null || typeof current !== 'object' || !(part in current)) {
      const name = parts.slice(0, i + 1).join('.');
      throw new TemplateError(`"${name}" is not defined`);
    }
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function explainHandlebarsError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const missing = /^"([^"]+)" not defined in/.exec(message);
  if (missing) return `"${missing[1]}" is not defined`;
  return message.split('\n')[0]!;
}

export interface TemplateReference {
  /** The first segment of a path used as a value, e.g. `dsc` in `{{ dsc.metadata.name }}`. */
  name: string;
  path: string;
}

/**
 * Parses a template without rendering it and lists the variables it reads and helpers it calls,
 * so unknown names are reported at validation time, before anything runs. Paths inside block
 * helpers (each/with) are relative to their item and are not listed.
 */
export function inspectTemplate(template: string): { refs: TemplateReference[]; helpers: string[]; error?: string } {
  let ast: hbs.AST.Program;
  try {
    ast = hb.parse(template);
  } catch (err) {
    return { refs: [], helpers: [], error: (err as Error).message.split('\n')[0]! };
  }
  const refs: TemplateReference[] = [];
  const used: string[] = [];
  const addPath = (node: hbs.AST.Node): void => {
    if (node.type === 'PathExpression') {
      const p = node as hbs.AST.PathExpression;
      if (p.data || p.parts.length === 0 || p.original.startsWith('this') || p.original.startsWith('../')) return;
      refs.push({ name: p.parts[0]!, path: p.original });
    } else if (node.type === 'SubExpression') {
      visitCall(node as hbs.AST.SubExpression);
    }
  };
  const visitCall = (node: { path: hbs.AST.Node; params: hbs.AST.Node[]; hash?: hbs.AST.Hash }): void => {
    const callee = node.path as hbs.AST.PathExpression;
    const isCall = node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0;
    if (isCall || HELPER_NAMES.has(callee.original)) used.push(callee.original);
    else addPath(callee);
    node.params.forEach(addPath);
    node.hash?.pairs.forEach((p) => addPath(p.value));
  };
  for (const stmt of ast.body) {
    if (stmt.type === 'MustacheStatement') visitCall(stmt as hbs.AST.MustacheStatement);
    else if (stmt.type === 'BlockStatement') {
      const block = stmt as hbs.AST.BlockStatement;
      used.push((block.path as hbs.AST.PathExpression).original);
      block.params.forEach(addPath);
    }
  }
  return { refs, helpers: used };
}
