// "Changed" is decided by comparing, not by having called the API: does the live object already
// hold every field the runbook asks for, would this patch alter anything, and what would the
// difference look like for a dry run.
import { stringify } from 'yaml';
import { maskSecretPair } from '../contract/redact.js';
import { applyPatchLocally, isNamedList } from './local-patch.js';
import { cloneJson, deepEqual, isPlainObject, type JsonObject } from './json.js';
import { unifiedDiff } from './line-diff.js';
import type { PatchType } from './types.js';

export interface Difference {
  /** JSON-path-like location, e.g. `spec.template.spec.containers[name=web].image`. */
  path: string;
  expected: unknown;
  /** undefined when the field is missing from the live object. */
  actual: unknown;
}

/** An empty map or list in the desired object matches a missing field: the server drops empty values. */
function isEmpty(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || (isPlainObject(value) && Object.keys(value).length === 0);
}

function join(path: string, key: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Every place where `live` does not hold what `desired` (a partial object) asks for. Maps compare
 * key by key (extra live keys are fine); `null` in desired means "absent"; lists of named items
 * compare by `name` (extra live items are fine); other lists compare position by position and
 * must have the same length.
 */
export function findDifferences(live: unknown, desired: unknown, path = ''): Difference[] {
  if (desired === undefined) return [];
  if (desired === null) return live === null || live === undefined ? [] : [{ path, expected: null, actual: live }];
  if (live === undefined && isEmpty(desired)) return [];
  if (isPlainObject(desired)) {
    if (!isPlainObject(live)) return [{ path, expected: desired, actual: live }];
    return Object.entries(desired).flatMap(([key, value]) => findDifferences(live[key], value, join(path, key)));
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) return [{ path, expected: desired, actual: live }];
    if (isNamedList(desired)) {
      return desired.flatMap((item) => {
        const itemPath = `${path}[name=${String(item.name)}]`;
        const match = live.find((l) => isPlainObject(l) && l.name === item.name);
        return match === undefined ? [{ path: itemPath, expected: item, actual: undefined }] : findDifferences(match, item, itemPath);
      });
    }
    if (live.length !== desired.length) return [{ path, expected: desired, actual: live }];
    return desired.flatMap((item, i) => findDifferences(live[i], item, `${path}[${i}]`));
  }
  return deepEqual(live, desired) ? [] : [{ path, expected: desired, actual: live }];
}

/** Whether `live` already holds every field of `desired`. */
export function containsDesired(live: unknown, desired: unknown): boolean {
  return findDifferences(live, desired).length === 0;
}

export interface PatchOutcome {
  changed: boolean;
  /** The object after the patch (exact for merge/json, approximate for strategic/apply). */
  result: unknown;
}

/**
 * Whether the patch would change `live`. Merge and JSON patches are applied to a copy and
 * compared; strategic and apply patches are partial objects, so they change something exactly
 * when `live` does not already contain them (this ignores server defaulting of list items).
 */
export function patchOutcome(live: unknown, type: PatchType, patch: unknown): PatchOutcome {
  const result = applyPatchLocally(live, type, patch);
  const changed = type === 'merge' || type === 'json' ? !deepEqual(live, result) : !containsDesired(live, patch);
  return { changed, result };
}

/** Fields the server owns, which only add noise to a diff. */
const SERVER_METADATA = ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink'];

/** A copy without server-managed metadata (and without status unless asked), for display. */
export function withoutServerFields(obj: unknown, keepStatus = false): unknown {
  if (!isPlainObject(obj)) return obj;
  const copy = cloneJson(obj) as JsonObject;
  if (isPlainObject(copy.metadata)) {
    for (const key of SERVER_METADATA) delete copy.metadata[key];
    const annotations = copy.metadata.annotations;
    if (isPlainObject(annotations)) {
      delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
      if (Object.keys(annotations).length === 0) delete copy.metadata.annotations;
    }
  }
  if (!keepStatus) delete copy.status;
  return copy;
}

export interface YamlDiffOptions {
  fromLabel?: string;
  toLabel?: string;
  context?: number;
  /** Keep server-managed metadata and status in the output. */
  raw?: boolean;
}

function toYaml(value: unknown): string {
  if (value === null || value === undefined) return '';
  return stringify(value, { sortMapEntries: true, lineWidth: 0 });
}

/**
 * A unified diff of two objects as YAML (keys sorted so that key order never shows up as a
 * change). `before` null renders as creation, `after` null as deletion. Empty when equal. The
 * values of a Secret never show: a changed one reads `<redacted>` → `<redacted, changed>`.
 */
export function yamlDiff(before: unknown, after: unknown, options: YamlDiffOptions = {}): string {
  const clean = (v: unknown): unknown => (options.raw ? v : withoutServerFields(v));
  const [from, to] = maskSecretPair(before, after);
  return unifiedDiff(
    toYaml(clean(from)),
    toYaml(clean(to)),
    options.fromLabel ?? (before == null ? '(absent)' : 'live'),
    options.toLabel ?? (after == null ? '(absent)' : 'desired'),
    options.context ?? 3,
  );
}
