// Applies a patch to a copy of an object without the server: exactly for merge and JSON patches,
// approximately for strategic merge and server-side apply (named lists merged by `name`, other
// lists replaced). Used by client-side dry runs and by "would this change anything?" checks.
import jsonpatch from 'fast-json-patch';
import { StepFailure } from '../contract/errors.js';
import { applyMergePatch, cloneJson, isPlainObject, type JsonObject } from './json.js';
import type { JsonPatchOperation, PatchType } from './types.js';

/** True when every item is an object with a string `name`: the lists Kubernetes merges by name. */
export function isNamedList(list: readonly unknown[]): list is JsonObject[] {
  return list.length > 0 && list.every((item) => isPlainObject(item) && typeof item.name === 'string');
}

/** Strategic-merge-like overlay: maps merge, `null` deletes, named lists merge by name, others replace. */
export function overlay(target: unknown, patch: unknown): unknown {
  if (Array.isArray(patch) && Array.isArray(target) && isNamedList(patch) && isNamedList(target)) {
    const merged = target.map((item) => cloneJson(item));
    for (const item of patch) {
      const at = merged.findIndex((m) => m.name === item.name);
      if (at >= 0) merged[at] = overlay(merged[at], item) as JsonObject;
      else merged.push(cloneJson(item));
    }
    return merged;
  }
  if (!isPlainObject(patch)) return cloneJson(patch);
  const result: JsonObject = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = overlay(result[key], value);
  }
  return result;
}

/**
 * The target after a JSON patch, sharing with it every part the patch leaves alone. Each operation
 * first copies the objects and lists on its way (root to the parent of what it changes), so the
 * library, told to change the document in place, changes only copies. Cloning the whole object
 * instead was most of the cost of a loop's "would this patch change anything?" check.
 */
export function applyJsonPatch(target: unknown, ops: readonly JsonPatchOperation[]): unknown {
  const copies = new WeakSet<object>();
  let document = target;
  try {
    for (const [index, op] of ops.entries()) {
      if (op.op !== 'test') {
        document = copiedAlong(document, op.path, copies);
        if (op.op === 'move' && typeof op.from === 'string') document = copiedAlong(document, op.from, copies);
      }
      // The operation is cloned: `add` and `replace` put its value into the document as it is.
      document = jsonpatch.applyOperation(document, cloneJson(op) as jsonpatch.Operation, true, true, true, index).newDocument;
    }
    return document;
  } catch (err) {
    const e = err as { message?: string; name?: string };
    const reason = e.name === 'TEST_OPERATION_FAILED' ? 'a "test" operation did not hold' : (e.message ?? String(err)).split('\n')[0];
    throw new StepFailure(`the JSON patch cannot be applied: ${reason}`, { cause: err });
  }
}

/** `document` with the containers from its root to the parent of `pointer` replaced by copies (once each). */
function copiedAlong(document: unknown, pointer: string, copies: WeakSet<object>): unknown {
  if (typeof document !== 'object' || document === null) return document;
  const root = copyOnce(document, copies);
  const keys = pointer.split('/').slice(1, -1);
  let container: Record<string, unknown> | unknown[] = root;
  for (const raw of keys) {
    const key = raw.includes('~') ? raw.replace(/~1/g, '/').replace(/~0/g, '~') : raw;
    const child: unknown = Array.isArray(container) ? container[Number(key)] : Object.hasOwn(container, key) ? container[key] : undefined;
    if (typeof child !== 'object' || child === null) break;
    const copy = copyOnce(child, copies);
    if (Array.isArray(container)) container[Number(key)] = copy;
    else container[key] = copy;
    container = copy;
  }
  return root;
}

function copyOnce(value: object, copies: WeakSet<object>): Record<string, unknown> | unknown[] {
  if (copies.has(value)) return value as Record<string, unknown> | unknown[];
  const copy = Array.isArray(value) ? [...(value as unknown[])] : { ...(value as Record<string, unknown>) };
  copies.add(copy);
  return copy;
}

/** The object as it would be after the patch. */
export function applyPatchLocally(target: unknown, type: PatchType, patch: unknown): unknown {
  switch (type) {
    case 'merge':
      return applyMergePatch(target, patch);
    case 'json':
      if (!Array.isArray(patch)) throw new StepFailure('a JSON patch must be a list of operations');
      return applyJsonPatch(target, patch as JsonPatchOperation[]);
    case 'strategic':
    case 'apply':
      return overlay(target, patch);
  }
}
