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

export function applyJsonPatch(target: unknown, ops: readonly JsonPatchOperation[]): unknown {
  try {
    // The target is cloned here, so the library may change its copy instead of cloning it again.
    return jsonpatch.applyPatch(cloneJson(target), cloneJson(ops as jsonpatch.Operation[]), true, true).newDocument;
  } catch (err) {
    const e = err as { message?: string; name?: string };
    const reason = e.name === 'TEST_OPERATION_FAILED' ? 'a "test" operation did not hold' : (e.message ?? String(err)).split('\n')[0];
    throw new StepFailure(`the JSON patch cannot be applied: ${reason}`, { cause: err });
  }
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
