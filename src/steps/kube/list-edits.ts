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
    list: {
      type: 'string',
      pattern: '^/',
      description:
        'JSON pointer to the list, e.g. /spec/template/spec/containers. A segment may pick a list element by a field: /spec/template/spec/containers[name=main]/env.',
    },
    match: { description: 'A value (a finalizer string) or the fields an element has (e.g. {name: oauth-proxy}).' },
    remove: { type: 'boolean', description: 'Remove the matching elements.' },
    replace: { description: 'Replace the matching elements with this value.' },
  },
};

export function compileListEdits(live: unknown, edits: readonly ListEdit[]): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = [];
  // Edits apply in order within one patch: each is computed against the document as the previous
  // ones leave it, so removing container 0 does not shift an index a later edit relies on.
  let doc = live;
  for (const [n, edit] of edits.entries()) {
    if (!edit.remove && edit.replace === undefined) {
      throw new StepFailure(`list edit of ${edit.list}: say what to do with the matches (remove: true, or replace: …)`);
    }
    const located = locateList(doc, edit.list);
    if (!located) continue; // No list: nothing matches, nothing to do.
    const { pointer, list, guards } = located;
    const matching = list.map((item, i) => ({ item, i })).filter(({ item }) => matches(item, edit.match));
    const editOps: JsonPatchOperation[] = [];
    if (edit.remove) {
      // Highest index first, so earlier indexes stay valid within the one patch.
      for (const { item, i } of matching.reverse()) {
        editOps.push({ op: 'test', path: `${pointer}/${i}`, value: item }, { op: 'remove', path: `${pointer}/${i}` });
      }
    } else {
      for (const { item, i } of matching) {
        if (deepEqual(item, edit.replace)) continue;
        editOps.push({ op: 'test', path: `${pointer}/${i}`, value: item }, { op: 'replace', path: `${pointer}/${i}`, value: edit.replace });
      }
    }
    if (editOps.length === 0) continue;
    ops.push(...guards, ...editOps);
    // Only a later edit needs the document as this one leaves it; cloning a large object for
    // nothing costs more than the rest of the edit.
    if (n < edits.length - 1) doc = jsonpatch.applyPatch(jsonpatch.deepClone(doc), jsonpatch.deepClone([...guards, ...editOps]) as jsonpatch.Operation[], false, false).newDocument;
  }
  return ops;
}

/**
 * Resolves a list pointer against the live object. Segments like `containers[name=ray-head]`
 * select the element of a list by a field rather than by index; each such step adds a `test`
 * that the element at that index still has that field value, so the patch cannot land on
 * another element if the list changed meanwhile.
 */
function locateList(doc: unknown, path: string): { pointer: string; list: unknown[]; guards: JsonPatchOperation[] } | undefined {
  const guards: JsonPatchOperation[] = [];
  let pointer = '';
  let current: unknown = doc;
  for (const raw of path.split('/').slice(1)) {
    const select = /^(.*)\[([^=\]]+)=([^\]]*)\]$/.exec(raw);
    const key = select ? select[1]! : raw;
    current = step(current, key);
    pointer += `/${key}`;
    if (select) {
      if (!Array.isArray(current)) return undefined;
      const [, , field, value] = select as unknown as [string, string, string, string];
      const index = current.findIndex((item) => isPlainObject(item) && String(item[field]) === value);
      if (index < 0) return undefined;
      current = current[index];
      pointer += `/${index}`;
      guards.push({ op: 'test', path: `${pointer}/${field.replace(/~/g, '~0').replace(/\//g, '~1')}`, value: (current as Record<string, unknown>)[field] });
    }
    if (current === undefined || current === null) return undefined;
  }
  if (!Array.isArray(current)) {
    throw new StepFailure(`list edit: ${path} is not a list in the live object`);
  }
  return { pointer, list: current, guards };
}

function step(value: unknown, key: string): unknown {
  const k = key.replace(/~1/g, '/').replace(/~0/g, '~');
  if (Array.isArray(value) && /^\d+$/.test(k)) return value[Number(k)];
  return isPlainObject(value) ? value[k] : undefined;
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
