// Which manual gates an --approve value names. A gate is keyed as the executor keys every node:
// its id plus one `[item-key]` per enclosing loop (`before/notify`, `convert/replace[ns/model]`).
// An --approve value is written the same way, and `*` in an item key stands for any characters,
// so `convert/replace[*]` passes the gate of every item and `convert/replace[team-a/*]` those of
// one namespace.

export interface GateName {
  id: string;
  /** One key (or key pattern) per enclosing loop, outermost first. */
  keys: string[];
}

/** Splits `id[k1][k2]` into its id and item keys; undefined when the brackets do not pair up. */
export function parseGateName(name: string): GateName | undefined {
  const open = name.indexOf('[');
  if (open < 0) return name.includes(']') ? undefined : { id: name, keys: [] };
  const rest = name.slice(open);
  if (!rest.endsWith(']')) return undefined;
  // Keys are split at `][`: a key holding those two characters cannot be named (none of the item
  // keys a runbook derives from object names or CEL strings does in practice).
  const keys = rest.slice(1, -1).split('][');
  if (keys.some((k) => k === '' || k.includes('[') || k.includes(']'))) return undefined;
  return { id: name.slice(0, open), keys };
}

/** Whether the --approve value `pattern` names the gate keyed `key`. */
export function gateMatches(pattern: string, key: string): boolean {
  if (pattern === key) return true;
  const p = parseGateName(pattern);
  const k = parseGateName(key);
  if (!p || !k || p.id !== k.id || p.keys.length !== k.keys.length) return false;
  return p.keys.every((glob, i) => globMatches(glob, k.keys[i]!));
}

export function approvesGate(patterns: Iterable<string>, key: string): boolean {
  for (const p of patterns) if (gateMatches(p, key)) return true;
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
