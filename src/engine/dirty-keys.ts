// Which entries of a record were set since they were last taken, without scanning the record: the
// record is put behind a proxy that notes every key set. Scanning a state of thousands of steps at
// every transition made each checkpoint cost O(steps). Reads and JSON go through unchanged.
const targets = new WeakMap<object, Record<string, unknown>>();

export class DirtyKeys {
  readonly proxy: Record<string, unknown>;
  /** A key was deleted: the caller writes the whole record again. */
  removed = false;
  private readonly target: Record<string, unknown>;
  private readonly keys = new Set<string>();

  constructor(record: Record<string, unknown>) {
    // A record already behind an earlier tracker's proxy is tracked afresh, not proxied twice.
    this.target = targets.get(record) ?? record;
    const keys = this.keys;
    const mark = (key: string | symbol): void => {
      if (typeof key === 'string') keys.add(key);
    };
    this.proxy = new Proxy(this.target, {
      set: (t, key, value) => (mark(key), Reflect.set(t, key, value)),
      defineProperty: (t, key, descriptor) => (mark(key), Reflect.defineProperty(t, key, descriptor)),
      deleteProperty: (t, key) => ((this.removed = true), Reflect.deleteProperty(t, key)),
    });
    targets.set(this.proxy, this.target);
  }

  /** The entries set since the last call, with their current values. */
  take(): Record<string, unknown> | undefined {
    if (this.keys.size === 0) return undefined;
    const out: Record<string, unknown> = {};
    for (const key of this.keys) out[key] = this.target[key];
    this.keys.clear();
    return out;
  }
}
