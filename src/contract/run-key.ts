// A run key names one execution of a plan node: its id plus one `[item-key]` per enclosing loop
// (`before/notify`, `convert/replace[ns/model]`, `outer/inner/x[a][b]`). The executor records state
// under it, events and renderers name nodes by it, and --approve takes it, with `*` in an item key
// standing for any characters: `convert/replace[*]` names the gate of every item and
// `convert/replace[team-a/*]` those of one namespace. Plan ids hold no brackets, so a key's first
// `[` starts its item keys.

export interface RunKey {
  id: string;
  /** One item key (or key pattern) per enclosing loop, outermost first. */
  keys: string[];
}

/** `key` (a run key or an item suffix) with one more item key: `loop` and `a` give `loop[a]`. */
export function withItemKey(key: string, itemKey: string): string {
  return `${key}[${itemKey}]`;
}

/** The key of `id` inside the loop items `keys`, outermost first. */
export function runKeyOf(id: string, keys: readonly string[]): string {
  return keys.reduce(withItemKey, id);
}

/** Whether the key names a loop item or something inside one. */
export function isInLoopItem(key: string): boolean {
  return key.includes('[');
}

/** Splits a key into its plan id and its item suffix (`[a][b]`, or '' outside loops). */
export function splitRunKey(key: string): { id: string; suffix: string } {
  const open = key.indexOf('[');
  return open < 0 ? { id: key, suffix: '' } : { id: key.slice(0, open), suffix: key.slice(open) };
}

/** Splits `id[k1][k2]` into its id and item keys; undefined when the brackets do not pair up. */
export function parseRunKey(key: string): RunKey | undefined {
  const open = key.indexOf('[');
  if (open < 0) return key.includes(']') ? undefined : { id: key, keys: [] };
  const rest = key.slice(open);
  if (!rest.endsWith(']')) return undefined;
  // Keys are split at `][`: a key holding those two characters cannot be named (none of the item
  // keys a runbook derives from object names or CEL strings does in practice).
  const keys = rest.slice(1, -1).split('][');
  if (keys.some((k) => k === '' || k.includes('[') || k.includes(']'))) return undefined;
  return { id: key.slice(0, open), keys };
}

/**
 * The item key of `key` when it is an item of the loop keyed `loopKey` (`loopKey[item]`), else
 * undefined.
 */
export function itemKeyOf(key: string, loopKey: string): string | undefined {
  return key.startsWith(`${loopKey}[`) && key.endsWith(']') ? key.slice(loopKey.length + 1, -1) : undefined;
}

/**
 * The item keys recorded among `keys` for the loop whose body starts with the node keyed
 * `childKey`: every key `childKey[item]...` gives `item`, each once, in the order met.
 */
export function itemKeysAt(keys: Iterable<string>, childKey: string): string[] {
  const prefix = `${childKey}[`;
  const found = new Set<string>();
  for (const k of keys) if (k.startsWith(prefix)) found.add(k.slice(prefix.length, k.indexOf(']', prefix.length)));
  return [...found];
}

/**
 * Whether the node keyed `inner` is the one keyed `outer` or lies inside it: `main/loop/g[a]`
 * holds `main/loop/g/x[a]`, and `main/loop` holds both.
 */
export function runKeyWithin(outer: string, inner: string): boolean {
  const o = splitRunKey(outer);
  const i = splitRunKey(inner);
  return (i.id === o.id || i.id.startsWith(`${o.id}/`)) && i.suffix.startsWith(o.suffix);
}

/** Whether `pattern` (a key whose item keys may hold `*`) names the node keyed `key`. */
export function runKeyMatches(pattern: string, key: string): boolean {
  if (pattern === key) return true;
  const p = parseRunKey(pattern);
  const k = parseRunKey(key);
  if (!p || !k || p.id !== k.id || p.keys.length !== k.keys.length) return false;
  return p.keys.every((glob, i) => globMatches(glob, k.keys[i]!));
}

/** Whether any of `patterns` names the node keyed `key`. */
export function anyRunKeyMatches(patterns: Iterable<string>, key: string): boolean {
  for (const p of patterns) if (runKeyMatches(p, key)) return true;
  return false;
}

function globMatches(glob: string, text: string): boolean {
  if (!glob.includes('*')) return glob === text;
  const source = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 's').test(text);
}
