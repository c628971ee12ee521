// Guarded list edits: "remove the container named oauth-proxy", "remove this finalizer", "add the
// variable POSTGRES_HOST unless one is there". Compiled against the live object into a JSON patch
// whose every remove/replace is preceded by a `test` of the exact element (and every add by a `test`
// of the list, or of the object the missing list goes into), so a concurrent change makes the
// server refuse the patch instead of editing whatever now sits at that index.
import jsonpatch from 'fast-json-patch';
import { StepFailure } from '../../contract/errors.js';
import { containsDesired } from '../../kube/diff.js';
import { deepEqual, isPlainObject } from '../../kube/json.js';
import type { JsonPatchOperation } from '../../kube/types.js';
import type { JsonSchema } from '../../contract/step-type.js';
import type { InputOf } from '../schema.js';

const LIST_EDIT_FIELDS = {
  type: 'object',
  additionalProperties: false,
  required: ['list', 'match'],
  description: 'Remove or replace the list elements that match, or add one when none does, checked with JSON patch test operations.',
  properties: {
    list: {
      type: 'string',
      pattern: '^/',
      description:
        'JSON pointer to the list, e.g. /spec/template/spec/containers. A segment may pick a list element by a field (/spec/template/spec/containers[name=main]/env) or every element (/spec/template/spec/containers[*]/env: each container\'s env).',
    },
    match: { description: 'A value (a finalizer string) or the fields an element has (e.g. {name: oauth-proxy}).' },
    remove: { type: 'boolean', description: 'Remove the matching elements.' },
    replace: { description: 'Replace the matching elements with this value.' },
    add: {
      description:
        'Append this value when no element matches (it must itself match). A missing list, and missing objects on the way to it, are created; a [field=value] segment that selects nothing leaves the edit out.',
    },
  },
} as const satisfies JsonSchema;

/**
 * One list edit with exactly one action. The schema is checked again after templates render, so
 * the run never sees an edit without one. The rule is left out of the derived type: a literal
 * edit's `remove: true` widens to boolean, which the per-action variants would not accept.
 */
export const LIST_EDIT_SCHEMA = {
  ...LIST_EDIT_FIELDS,
  oneOf: [
    { required: ['remove'], properties: { remove: { const: true } }, description: 'remove: true' },
    { required: ['replace'], description: 'replace: …' },
    { required: ['add'], description: 'add: …' },
  ],
} as typeof LIST_EDIT_FIELDS;

/** One list edit as a step gives it (patch `listEdits`). */
export type ListEdit = InputOf<typeof LIST_EDIT_SCHEMA>;

export function compileListEdits(live: unknown, edits: readonly ListEdit[]): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = [];
  // Edits apply in order within one patch: each is computed against the document as the previous
  // ones leave it, so removing container 0 does not shift an index a later edit relies on.
  let doc = live;
  for (const [n, edit] of edits.entries()) {
    if (edit.add !== undefined && !matches(edit.add, edit.match)) {
      throw new StepFailure(`list edit of ${edit.list}: the value to add does not match ${JSON.stringify(edit.match)}, so every run would add it again`);
    }
    // A selection that finds nothing leaves the edit out; a [*] segment edits every list it reaches.
    // The lists are distinct, so one's edits never shift another's indexes.
    const editOps: JsonPatchOperation[] = [];
    for (const located of locateLists(doc, edit.list)) {
      const listOps = located.missing ? addToMissing(edit, located.missing) : editList(edit, located.pointer, located.list);
      if (listOps.length) editOps.push(...located.guards, ...listOps);
    }
    if (editOps.length === 0) continue;
    ops.push(...editOps);
    // Only a later edit needs the document as this one leaves it; cloning a large object for
    // nothing costs more than the rest of the edit.
    if (n < edits.length - 1) doc = jsonpatch.applyPatch(jsonpatch.deepClone(doc), jsonpatch.deepClone(editOps) as jsonpatch.Operation[], false, false).newDocument;
  }
  return ops;
}

/** The edit of a list that exists. */
function editList(edit: ListEdit, pointer: string, list: unknown[]): JsonPatchOperation[] {
  const matching = list.map((item, i) => ({ item, i })).filter(({ item }) => matches(item, edit.match));
  const editOps: JsonPatchOperation[] = [];
  if (edit.add !== undefined) {
    // The whole list is tested, so an element another client added meanwhile is not added twice.
    if (matching.length === 0) editOps.push({ op: 'test', path: pointer, value: list }, { op: 'add', path: `${pointer}/-`, value: edit.add });
  } else if (edit.remove) {
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
  return editOps;
}

/**
 * The edit of a list that does not exist: nothing to remove or replace; an add creates the list
 * (and the objects on the way to it) in the deepest object that exists, after a `test` that this
 * object is still as read, since an `add` of a key that someone created meanwhile would replace it.
 */
function addToMissing(edit: ListEdit, missing: Missing): JsonPatchOperation[] {
  if (edit.add === undefined) return [];
  let value: unknown = [edit.add];
  for (const key of missing.keys.slice(1).reverse()) value = { [key]: value };
  const path = `${missing.parent}/${escape(missing.keys[0]!)}`;
  return [
    { op: 'test', path: missing.parent, value: missing.parentValue },
    { op: 'add', path, value },
  ];
}

interface Missing {
  /** Pointer of the deepest object on the path that exists. */
  parent: string;
  parentValue: unknown;
  /** The keys from there to the list, none of which exists (or is null). */
  keys: string[];
}

interface Located {
  pointer: string;
  list: unknown[];
  guards: JsonPatchOperation[];
  missing?: Missing;
}

const SELECT = /^(.*)\[([^=\]]+)=([^\]]*)\]$/;
const EVERY = /^(.*)\[\*\]$/;
/** Fields that name a list element (a container, a Ray worker group), tested to keep an index honest. */
const IDENTITY_FIELDS = ['name', 'groupName'];

/**
 * Resolves a list pointer against the live object, into every list it names. Segments like
 * `containers[name=ray-head]` select the element of a list by a field rather than by index, and
 * `containers[*]` every element; each such step adds a `test` that the element at that index still
 * has that field value (for `[*]`, its name), so the patch cannot land on another element if the
 * list changed meanwhile. A path that stops at an absent (or null) key before the list comes back
 * with `missing`; a selection that finds no element gives nothing.
 */
function locateLists(doc: unknown, path: string): Located[] {
  const segments = path.split('/').slice(1);
  const found: Located[] = [];
  const walk = (current: unknown, pointer: string, guards: JsonPatchOperation[], n: number): void => {
    if (n === segments.length) {
      if (!Array.isArray(current)) throw new StepFailure(`list edit: ${path} is not a list in the live object`);
      found.push({ pointer, list: current, guards });
      return;
    }
    const raw = segments[n]!;
    const select = SELECT.exec(raw);
    const every = select ? null : EVERY.exec(raw);
    const key = select ? select[1]! : every ? every[1]! : raw;
    const value = step(current, key);
    if (value === undefined || value === null) {
      // Objects (never list elements) can be created on the way; a selection in a list that
      // does not exist selects nothing.
      const rest = [key, ...segments.slice(n + 1)];
      if (!isPlainObject(current) || select || every || rest.slice(1).some((s) => SELECT.test(s) || EVERY.test(s))) return;
      found.push({ pointer: '', list: [], guards, missing: { parent: pointer, parentValue: current, keys: rest.map(unescape) } });
      return;
    }
    const here = `${pointer}/${key}`;
    if (select) {
      if (!Array.isArray(value)) return;
      const [, , field, wanted] = select as unknown as [string, string, string, string];
      const index = value.findIndex((item) => isPlainObject(item) && String(item[field]) === wanted);
      if (index < 0) return;
      const element = value[index] as Record<string, unknown>;
      walk(element, `${here}/${index}`, [...guards, { op: 'test', path: `${here}/${index}/${escape(field)}`, value: element[field] }], n + 1);
    } else if (every) {
      if (!Array.isArray(value)) return;
      for (const [index, element] of value.entries()) {
        const field = isPlainObject(element) ? IDENTITY_FIELDS.find((f) => element[f] !== undefined) : undefined;
        const guard: JsonPatchOperation[] = field ? [{ op: 'test', path: `${here}/${index}/${field}`, value: (element as Record<string, unknown>)[field] }] : [];
        walk(element, `${here}/${index}`, [...guards, ...guard], n + 1);
      }
    } else {
      walk(value, here, guards, n + 1);
    }
  };
  walk(doc, '', [], 0);
  return found;
}

function escape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescape(key: string): string {
  return key.replace(/~1/g, '/').replace(/~0/g, '~');
}

function step(value: unknown, key: string): unknown {
  const k = unescape(key);
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
