// The names an expression reads from its context (its free identifiers), with where they are
// written, so a misspelt name in `when` is found before a run instead of failing in the middle.
import { parse } from './cel-environment.js';

interface AstNode {
  op: string;
  args: unknown;
  start?: number;
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
const known = new Map<string, readonly NameUse[] | undefined>();

/** The free names of an expression; undefined when it does not parse (reported elsewhere). */
export function freeNames(expression: string): readonly NameUse[] | undefined {
  if (known.has(expression)) return known.get(expression);
  const uses = findFreeNames(expression);
  known.set(expression, uses);
  return uses;
}

function findFreeNames(expression: string): NameUse[] | undefined {
  const parsed = parse(expression);
  if ('error' in parsed) return undefined;
  const ast = parsed.fn.ast as AstNode;
  const uses: NameUse[] = [];
  const walk = (value: unknown, bound: ReadonlySet<string>): void => {
    if (Array.isArray(value)) {
      for (const v of value) walk(v, bound);
      return;
    }
    if (!isNode(value)) return;
    if (value.op === 'id') {
      const name = value.args as string;
      if (!bound.has(name)) uses.push({ name, offset: value.start ?? value.pos ?? 0 });
      return;
    }
    // vars.x must name a var; vars.?x tolerates its absence on purpose.
    if (value.op === '.' && Array.isArray(value.args)) {
      const [target, field] = value.args as [unknown, unknown];
      if (isNode(target) && target.op === 'id' && target.args === 'vars' && !bound.has('vars') && typeof field === 'string') {
        uses.push({ name: 'vars', field, offset: value.pos ?? target.start ?? 0 });
        return;
      }
    }
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
  return uses;
}

function isNode(v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as AstNode).op === 'string';
}
