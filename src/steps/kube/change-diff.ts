// The diff a step reports: only the parts of an object that change, as YAML. Whole objects carry
// managedFields, long specs and status; rendering all of that for every one of thousands of
// patched objects costs more than the patch itself and hides the one line that matters.
import { maskSecretPair } from '../../contract/redact.js';
import { withoutServerFields, yamlDiff } from '../../kube/diff.js';
import { deepEqual, isPlainObject } from '../../kube/json.js';

/**
 * A unified diff of `before` and `after` (null: absent) without server bookkeeping, keeping
 * status (a status patch changes nothing else), and with every map entry that is equal on both
 * sides left out. Lists that differ are shown whole. A Secret's values are masked before the
 * equal parts are cut, while its kind still says it is a Secret.
 */
export function changeDiff(before: unknown, after: unknown, labels: { fromLabel: string; toLabel: string }): string {
  const [masked, maskedAfter] = maskSecretPair(clean(before), clean(after));
  const [from, to] = prune(masked, maskedAfter);
  return yamlDiff(from, to, { ...labels, raw: true });
}

/**
 * The diffs of a step's objects as one text, rendered only when something shows it: a loop over
 * thousands of objects shows a few of them, and rendering the rest cost more than the patches.
 */
export function renderWhenShown(diffs: ReadonlyArray<() => string>): (() => string) | undefined {
  return diffs.length ? () => diffs.map((d) => d()).join('\n') : undefined;
}

function clean(obj: unknown): unknown {
  return obj === null || obj === undefined ? null : withoutServerFields(obj, true);
}

function prune(a: unknown, b: unknown): [unknown, unknown] {
  if (!isPlainObject(a) || !isPlainObject(b)) return [a, b];
  const left: Record<string, unknown> = {};
  const right: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (deepEqual(a[key], b[key])) continue;
    const [l, r] = prune(a[key], b[key]);
    if (l !== undefined) left[key] = l;
    if (r !== undefined) right[key] = r;
  }
  return [left, right];
}
