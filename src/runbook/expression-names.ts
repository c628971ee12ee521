// The names an expression reads from its context (its free identifiers) and the functions it
// calls, with where they are written, so a misspelt name in `when` or a call no function takes is
// found before a run instead of failing in the middle.
import { parseForChecks } from './cel-environment.js';
import { savedUses, type Uses } from './shipped-expressions.js';

interface AstNode {
  op: string;
  args: unknown;
  start?: number;
  end?: number;
  pos?: number;
}

export interface NameUse {
  name: string;
  /** `vars.x` reads the var x: the field, when the name is `vars`. */
  field?: string;
  offset: number;
}

/** Macros whose first argument names a variable bound in the others: xs.all(x, x > 0). */
const BINDING_MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/** Identifiers CEL itself defines: type names and the `cel` namespace (cel.bind). */
export const CEL_NAMES: ReadonlySet<string> = new Set(['cel', 'int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type', 'dyn']);

// A runbook repeats its expressions (the same guard in many steps, one expression read by the
// syntax, names and flow checks): each is parsed and walked once per process.
const found = new Map<string, Uses | undefined>();

/** The free names of an expression; undefined when it does not parse (reported elsewhere). */
export function freeNames(expression: string): readonly NameUse[] | undefined {
  return usesOf(expression)?.names;
}

/** Every function call in an expression, in the order written; none when it does not parse. */
export function callsIn(expression: string): readonly Call[] {
  return usesOf(expression)?.calls ?? [];
}

function usesOf(expression: string): Uses | undefined {
  if (found.has(expression)) return found.get(expression);
  const uses = savedUses(expression) ?? findUses(expression);
  found.set(expression, uses);
  return uses;
}

/** Every expression asked about so far that parses, with what parsing found: what the build saves. */
export function parsedExpressions(): [string, Uses][] {
  return [...found].filter((e): e is [string, Uses] => e[1] !== undefined);
}

/** Names and calls, in one walk of the tree: each walk of the upgrade's 600 expressions took ~5 ms. */
export function findUses(expression: string): Uses | undefined {
  const parsed = parseForChecks(expression);
  if ('error' in parsed) return undefined;
  const ast = parsed.fn.ast as AstNode;
  const names: NameUse[] = [];
  const calls: Call[] = [];
  const walk = (value: unknown, bound: ReadonlySet<string>): void => {
    if (Array.isArray(value)) {
      for (const v of value) walk(v, bound);
      return;
    }
    if (!isNode(value)) return;
    if (value.op === 'id') {
      const name = value.args as string;
      if (!bound.has(name)) names.push({ name, offset: value.start ?? value.pos ?? 0 });
      return;
    }
    // vars.x must name a var; vars.?x tolerates its absence on purpose.
    if (value.op === '.' && Array.isArray(value.args)) {
      const [target, field] = value.args as [unknown, unknown];
      if (isNode(target) && target.op === 'id' && target.args === 'vars' && !bound.has('vars') && typeof field === 'string') {
        names.push({ name: 'vars', field, offset: value.pos ?? target.start ?? 0 });
        return;
      }
    }
    if ((value.op === 'call' || value.op === 'rcall') && Array.isArray(value.args)) calls.push(callOf(expression, value as AstNode & { args: unknown[] }));
    if (value.op === 'rcall' && Array.isArray(value.args)) {
      const [name, receiver, args] = value.args as [string, unknown, unknown[]];
      const variable = Array.isArray(args) && isNode(args[0]) && args[0].op === 'id' ? (args[0].args as string) : undefined;
      if (variable && BINDING_MACROS.has(name) && args.length >= 2) {
        walk(receiver, bound);
        walk(args.slice(1), new Set([...bound, variable]));
        return;
      }
      // cel.bind(name, value, expression): the name exists in the expression only.
      if (variable && name === 'bind' && isNode(receiver) && receiver.op === 'id' && receiver.args === 'cel' && args.length === 3) {
        walk(args[1], bound);
        walk(args[2], new Set([...bound, variable]));
        return;
      }
    }
    walk(value.args, bound);
  };
  walk(ast, new Set());
  return { names, calls };
}

export interface Call {
  name: string;
  /** The receiver's type when a literal shows it, `null` when unknown; undefined for a global call. */
  receiver?: string | null;
  /** Each argument's type when a literal shows it. */
  args: (string | undefined)[];
  /** Where the function's name is written. */
  offset: number;
}

function callOf(expression: string, node: AstNode & { args: unknown[] }): Call {
  const receiverCall = node.op === 'rcall';
  const name = node.args[0] as string;
  const receiver = receiverCall ? node.args[1] : undefined;
  const args = (receiverCall ? node.args[2] : node.args[1]) as unknown[];
  const from = receiverCall && isNode(receiver) ? (receiver.end ?? 0) : (node.start ?? node.pos ?? 0);
  const at = expression.indexOf(name, from);
  return {
    name,
    ...(receiverCall ? { receiver: literalType(receiver) ?? null } : {}),
    args: Array.isArray(args) ? args.map(literalType) : [],
    offset: at >= 0 ? at : (node.start ?? node.pos ?? 0),
  };
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

function isNode(v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as AstNode).op === 'string';
}
