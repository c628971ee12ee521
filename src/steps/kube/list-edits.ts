// Guarded list edits: "remove the container named oauth-proxy", "remove this finalizer". Compiled
// against the live object into a JSON patch whose every remove/replace is preceded by a `test` of
// the exact element, so a concurrent change makes the server refuse the patch instead of removing
// whatever now sits at that index.
import jsonpatch from 'fast-json-patch';
import { StepFailure } from '../../engine/errors.js';
import { containsDesired } from '../../kube/diff.js';
import { deepEqual, isPlainObject } from '../../kube/json.js';
import type { JsonPatchOperation } from '../../kube/types.js';

export interface ListEdit {
  /** JSON pointer to the list, e.g. /spec/template/spec/containers or /metadata/finalizers. */
  list: string;
  /** The elements to edit: a value (strings, numbers) or the fields an object element has. */
  match: unknown;
  /** Remove every matching element. */
  remove?: boolean;
  /** Replace every matching element with this value. */
  replace?: unknown;
}

export const LIST_EDIT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['list', 'match'],
  description: 'Remove or replace the list elements that match, checked with JSON patch test operations.',
  properties: {
    list: { type: 'string', pattern: '^/', description: 'JSON pointer to the list, e.g. /spec/template/spec/containers.' },
    match: { description: 'A value (a finalizer string) or the fields an element has (e.g. {name: oauth-proxy}).' },
    remove: { type: 'boolean', description: 'Remove the matching elements.' },
    replace: { description: 'Replace the matching elements with this value.' },
  },
};

export function compileListEdits(live: unknown, edits: readonly ListEdit[]): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = [];
  for (const edit of edits) {
    if (!edit.remove && edit.replace === undefined) {
      throw new StepFailure(`list edit of ${edit.list}: say what to do with the matches (remove: true, or replace: …)`);
    }
    let list: unknown;
    try {
      list = jsonpatch.getValueByPointer(live as object, edit.list);
    } catch {
      list = undefined;
    }
    if (list === undefined || list === null) continue; // No list: nothing matches, nothing to do.
    if (!Array.isArray(list)) throw new StepFailure(`list edit: ${edit.list} is not a list in the live object`);
    const matching = list.map((item, i) => ({ item, i })).filter(({ item }) => matches(item, edit.match));
    if (edit.remove) {
      // Highest index first, so earlier indexes stay valid within the one patch.
      for (const { item, i } of matching.reverse()) {
        ops.push({ op: 'test', path: `${edit.list}/${i}`, value: item }, { op: 'remove', path: `${edit.list}/${i}` });
      }
    } else {
      for (const { item, i } of matching) {
        if (deepEqual(item, edit.replace)) continue;
        ops.push({ op: 'test', path: `${edit.list}/${i}`, value: item }, { op: 'replace', path: `${edit.list}/${i}`, value: edit.replace });
      }
    }
  }
  return ops;
}

function matches(item: unknown, match: unknown): boolean {
  if (isPlainObject(match)) return isPlainObject(item) && containsDesired(item, match);
  return deepEqual(item, match);
}

/**
 * Drops `remove` operations whose path is already absent: what they would remove is gone, so a
 * re-run of the same patch is a no-op instead of an error.
 */
export function dropRemovesOfAbsent(live: unknown, ops: readonly JsonPatchOperation[]): JsonPatchOperation[] {
  return ops.filter((op) => {
    if (op.op !== 'remove') return true;
    try {
      return jsonpatch.getValueByPointer(live as object, op.path) !== undefined;
    } catch {
      return false;
    }
  });
}
