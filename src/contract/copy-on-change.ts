// Mapping a JSON list or map that copies it only from the first entry the mapping changes: the
// walks over large objects (redaction before every checkpoint, CEL's view of a loop item) mostly
// change nothing, and copying every map and list they pass cost more than the walk itself.

/** `list` with `fn` applied to each item: `list` itself when no item changed. */
export function mapListOnChange(list: readonly unknown[], fn: (item: unknown) => unknown): readonly unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    const mapped = fn(item);
    if (out === undefined && mapped !== item) out = list.slice(0, i);
    if (out !== undefined) out.push(mapped);
  }
  return out ?? list;
}

/**
 * `record` with `value` applied to each entry's value and `key` (when given) to its key, in
 * order: `record` itself when no entry changed.
 */
export function mapRecordOnChange(
  record: Readonly<Record<string, unknown>>,
  value: (item: unknown) => unknown,
  key?: (name: string) => string,
): Readonly<Record<string, unknown>> {
  const keys = Object.keys(record);
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i]!;
    const item = record[name];
    const mappedName = key ? key(name) : name;
    const mapped = value(item);
    if (out === undefined && (mappedName !== name || mapped !== item)) {
      out = {};
      for (let j = 0; j < i; j++) setEntry(out, keys[j]!, record[keys[j]!]);
    }
    if (out !== undefined) setEntry(out, mappedName, mapped);
  }
  return out ?? record;
}

/** An own entry, even named `__proto__` (JSON.parse makes one): assigning it would set the prototype. */
function setEntry(record: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
  else record[name] = value;
}
