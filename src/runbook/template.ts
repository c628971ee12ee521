// Handlebars templating for step inputs and manifest files, in strict mode: a variable that does
// not exist is an error naming it, never an empty string in a production patch.
import Handlebars from 'handlebars';
import semver from 'semver';
import { stringify as toYaml } from 'yaml';
import { scanTemplate } from './template-scan.js';

const hb = Handlebars.create();

// With noEscape, handlebars joins the parts of a template with a bare `+`, so when it starts with
// two values, "{{ major }}{{ minor }}" of 4 and 19 gave 23. This compiler makes every part text
// before it is joined; nested blocks use it too (handlebars creates them from `compiler`).
interface CodeEmitter {
  appendToBuffer(source: unknown, location?: unknown, explicit?: boolean): unknown;
}
const BaseCompiler = (hb as unknown as { JavaScriptCompiler: new () => CodeEmitter }).JavaScriptCompiler;
class TextJoiningCompiler extends BaseCompiler {
  override appendToBuffer(source: unknown, location?: unknown, explicit?: boolean): unknown {
    const parts: unknown[] = Array.isArray(source) ? source : [source];
    return super.appendToBuffer(['""+(', ...parts, ')'], location, explicit);
  }
}
(TextJoiningCompiler.prototype as unknown as { compiler: unknown }).compiler = TextJoiningCompiler;
(hb as unknown as { JavaScriptCompiler: unknown }).JavaScriptCompiler = TextJoiningCompiler;

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

/**
 * Every name handlebars resolves as a helper before it looks at the data (ours, its built-ins and
 * its internal helperMissing/blockHelperMissing): `{{ log }}` calls the helper even when a var
 * named log exists, and renders empty. No var, register or loop variable may take one.
 */
export const RESERVED_HELPER_NAMES: ReadonlySet<string> = new Set(Object.keys(hb.helpers).sort());

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

/**
 * A whole value that is one plain reference keeps its type: "{{ replicas }}" renders as 3, not
 * "3". Data references (@root.x, @index) are left to handlebars, which knows them.
 */
const SINGLE_REFERENCE = /^\s*\{\{\{?\s*([A-Za-z_][\w-]*(?:\.[\w-]+)*)\s*\}?\}\}\s*$/;

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
    // Compilation is lazy: a syntax error surfaces here, explained as the validator explains it.
    const syntax = /^Parse error|doesn't match/.test((err as Error).message ?? '') ? inspectTemplate(template).error : undefined;
    throw new TemplateError(syntax?.message ?? explainHandlebarsError(template, err));
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

function explainHandlebarsError(template: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // Strict mode names only the last segment ("c" for obj.a.c), and a helper given a path through
  // a missing value fails with a TypeError; name the whole path as written in the template.
  const missing = /^"([^"]+)" not defined in/.exec(message);
  const through = /^Cannot read properties of (undefined|null) \(reading '([^']+)'\)/.exec(message);
  const segment = missing?.[1] ?? through?.[2];
  if (segment !== undefined) {
    const path = inspectTemplate(template).refs.find((r) => r.path === segment || r.path.endsWith(`.${segment}`))?.path ?? segment;
    if (missing || path === segment) return `"${path}" is not defined`;
    return `"${path}" is not defined: "${path.slice(0, -segment.length - 1)}" is ${through![1]}`;
  }
  return message.split('\n')[0]!;
}

export interface TemplateReference {
  /** The first segment of a path used as a value, e.g. `dsc` in `{{ dsc.metadata.name }}`. */
  name: string;
  path: string;
  /** Where it is written in the template (characters from its start). */
  offset: number;
}

export interface TemplateInspection {
  refs: TemplateReference[];
  helpers: { name: string; offset: number }[];
  error?: { message: string; offset: number };
}

/**
 * Parses a template without rendering it and lists the variables it reads and helpers it calls,
 * so unknown names are reported at validation time, before anything runs. The bodies of if and
 * unless see the same names and are walked; paths inside each/with are relative to their item and
 * are not listed.
 */
export function inspectTemplate(template: string): Readonly<TemplateInspection> {
  let found = inspected.get(template);
  if (!found) inspected.set(template, (found = inspect(template)));
  return found;
}

// The checks (names, flow) and error messages inspect the same templates: each is parsed once.
const inspected = new Map<string, TemplateInspection>();

function inspect(template: string): TemplateInspection {
  return scanTemplate(template, HELPER_NAMES) ?? inspectWithParser(template);
}

/** inspect, by handlebars' parser (template-scan.ts reads most templates without it). Exported for the scan's test. */
export function inspectWithParser(template: string): TemplateInspection {
  let ast: hbs.AST.Program;
  try {
    ast = hb.parse(template);
  } catch (err) {
    return { refs: [], helpers: [], error: explainParseError(template, err) };
  }
  const lineStarts = [0];
  for (let i = 0; i < template.length; i++) if (template[i] === '\n') lineStarts.push(i + 1);
  const offsetOf = (node: hbs.AST.Node): number => (lineStarts[node.loc.start.line - 1] ?? 0) + node.loc.start.column;

  const refs: TemplateReference[] = [];
  const helpers: { name: string; offset: number }[] = [];
  const addPath = (node: hbs.AST.Node): void => {
    if (node.type === 'PathExpression') {
      const p = node as hbs.AST.PathExpression;
      if (p.data || p.parts.length === 0 || p.original.startsWith('this') || p.original.startsWith('../')) return;
      refs.push({ name: p.parts[0]!, path: p.original, offset: offsetOf(p) });
    } else if (node.type === 'SubExpression') {
      visitCall(node as hbs.AST.SubExpression);
    }
  };
  const visitCall = (node: { path: hbs.AST.Node; params: hbs.AST.Node[]; hash?: hbs.AST.Hash }): void => {
    const callee = node.path as hbs.AST.PathExpression;
    const isCall = node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0;
    if (isCall || HELPER_NAMES.has(callee.original)) helpers.push({ name: callee.original, offset: offsetOf(callee) });
    else addPath(callee);
    node.params.forEach(addPath);
    node.hash?.pairs.forEach((p) => addPath(p.value));
  };
  const visitProgram = (program: hbs.AST.Program | undefined): void => {
    for (const stmt of program?.body ?? []) {
      if (stmt.type === 'MustacheStatement') visitCall(stmt as hbs.AST.MustacheStatement);
      else if (stmt.type === 'BlockStatement') {
        const block = stmt as hbs.AST.BlockStatement;
        const name = (block.path as hbs.AST.PathExpression).original;
        helpers.push({ name, offset: offsetOf(block.path) });
        block.params.forEach(addPath);
        block.hash?.pairs.forEach((p) => addPath(p.value));
        if (name === 'if' || name === 'unless') {
          visitProgram(block.program);
          visitProgram(block.inverse);
        }
      }
    }
  };
  visitProgram(ast);
  return { refs, helpers };
}

/**
 * Handlebars reports parse errors as a parser trace ("Expecting 'CLOSE', ..., got 'INVALID'")
 * with an excerpt and a caret; turn that into words and an offset into the template.
 */
function explainParseError(template: string, err: unknown): { message: string; offset: number } {
  const text = err instanceof Error ? err.message : String(err);
  const e = err as { lineNumber?: number; column?: number };
  const mismatch = /^(\S+) doesn't match (\S+)/.exec(text);
  if (mismatch) {
    const lines = template.split('\n').slice(0, (e.lineNumber ?? 1) - 1);
    // The parser points at the opening block; the closing one is the mistake.
    const opening = lines.reduce((n, l) => n + l.length + 1, 0) + (e.column ?? 0);
    const closing = template.indexOf(`{{/${mismatch[2]}`, opening);
    return { message: `{{/${mismatch[2]}}} does not close {{#${mismatch[1]}}}`, offset: closing >= 0 ? closing : opening };
  }
  const [, excerpt = '', caret = ''] = text.split('\n');
  const expecting = /Expecting (.*), got '(\w+)'/.exec(text);
  const offset = caretOffset(template, excerpt, caret.indexOf('^'));
  if (!expecting) return { message: text.split('\n')[0]!, offset };
  const [, wanted = '', got = ''] = expecting;
  let message: string;
  if (got === 'EOF' && wanted.includes('OPEN_ENDBLOCK')) {
    // Point at the block left open rather than at the end of the template.
    const open = /\{\{~?#\s*([\w-]+)/g;
    let last: RegExpExecArray | null = null;
    for (let m = open.exec(template); m; m = open.exec(template)) last = m;
    const name = last?.[1] ?? 'block';
    return { message: `{{#${name}}} is not closed: add {{/${name}}}`, offset: last?.index ?? offset };
  }
  if (got === 'EOF') message = 'the template ends inside {{ }}: add the closing "}}"';
  else if (got === 'OPEN_ENDBLOCK') message = 'a {{/block}} closes a block that was never opened';
  else if (got === 'CLOSE' && wanted.includes("'ID'")) message = 'empty {{ }}: write a name or a helper call inside';
  else if (got === 'INVALID') {
    message = `unexpected "${template[offset] ?? ''}"${wanted.includes("'CLOSE'") ? ': expected "}}"' : ''}`;
  } else if (got === 'CLOSE_UNESCAPED') message = 'unexpected "}}}": close {{ with }}';
  else message = `unexpected ${got.toLowerCase().replace(/_/g, ' ')}`;
  return { message, offset };
}

/** The caret column is into an excerpt with newlines removed and at most 20 characters before it. */
function caretOffset(template: string, excerpt: string, caret: number): number {
  if (caret < 0) return 0;
  const flatIndex: number[] = [];
  let flat = '';
  for (let i = 0; i < template.length; i++) {
    if (template[i] === '\n') continue;
    flat += template[i];
    flatIndex.push(i);
  }
  const lead = excerpt.startsWith('...') ? 3 : 0;
  const core = excerpt.slice(lead).replace(/\.\.\.$/, '');
  const at = flat.indexOf(core);
  if (at < 0) return 0;
  return flatIndex[at + caret - lead] ?? template.length;
}
