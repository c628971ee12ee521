// A forEach loop's items: read from the loop's `items` (a CEL expression, a template or a literal
// list), each keyed for its run key, and run by a pool of `concurrency` workers.
import { RunAborted, StepFailure } from '../contract/errors.js';
import { evaluate } from '../runbook/expressions.js';
import { renderDeep, renderString, isTemplate } from '../runbook/template.js';
import type { ForEachNode } from '../runbook/types.js';

/** The loop's items, or the failure of a loop whose items cannot be read or are not a list. */
export function loopItems(node: ForEachNode, context: Record<string, unknown>): unknown[] | StepFailure {
  let items: unknown;
  try {
    items = typeof node.items === 'string' ? (isTemplate(node.items) ? renderString(node.items, context) : evaluate(node.items, context)) : renderDeep(node.items, context);
  } catch (err) {
    return new StepFailure(`forEach items: ${(err as Error).message}`);
  }
  if (!Array.isArray(items)) return new StepFailure(`forEach items must be a list, got ${typeName(items)}`);
  return items;
}

/**
 * An item's key, the part of its run key in brackets: the loop's `key` expression, else the
 * object's namespace/name, the item itself when it is a string or number, its `name`, or its index.
 */
export function itemKey(node: ForEachNode, item: unknown, index: number, context: Record<string, unknown>): string {
  if (node.key) return String(evaluate(node.key, { ...context, [node.as]: item }));
  const meta = (item as { metadata?: { name?: string; namespace?: string } } | null)?.metadata;
  if (meta?.name) return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
  if (typeof item === 'string' || typeof item === 'number') return String(item);
  const name = (item as { name?: unknown } | null)?.name;
  if (typeof name === 'string') return name;
  return String(index);
}

/**
 * Runs `work` on the items in order, `concurrency` at a time; returns the first failure `work`
 * reported. After a failure, a stop thrown by one item (gate, blocking finding, abort) or the
 * signal, no new item is taken; a thrown stop is passed on only once the items under way have
 * finished, so nothing runs after the run ended.
 */
export async function runItemPool<T>(
  items: readonly T[],
  concurrency: number,
  signal: AbortSignal,
  work: (item: T, failed: (id: string) => void) => Promise<void>,
): Promise<string | undefined> {
  let next = 0;
  let failure: string | undefined;
  let thrown: { error: unknown } | undefined;
  // Set as soon as `work` knows, before its promise settles: no worker takes an item after it.
  const failed = (id: string): void => {
    failure ??= id;
  };
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure && !thrown && !signal.aborted) await work(items[next++]!, failed);
  };
  const guarded = (): Promise<void> =>
    worker().catch((error: unknown) => {
      thrown ??= { error };
    });
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, items.length)) }, guarded));
  if (thrown) throw thrown.error;
  if (signal.aborted) throw new RunAborted('the run was stopped');
  return failure;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v;
}
