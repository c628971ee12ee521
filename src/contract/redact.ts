// Secret values never reach logs, state files or reports: every text that leaves the process
// passes through the redactor of its run. Two kinds of secret are kept out:
//
// - the values of vars marked secret, in every form they take on the way out: raw, escaped as in
//   JSON or YAML, percent-encoded, base64 (standard and URL-safe, padded or not, and base64 of the
//   base64 a Secret's `data` holds), and the part of a longer base64 text that the value alone
//   decides (a password inside a base64-encoded `user:password`), whatever its alignment;
// - the `data` and `stringData` values of every Secret object (kind Secret, apiVersion v1),
//   whether or not a var was marked secret: a read-back, a wait's output or a diff of a Secret
//   shows its keys, never its values.
import { mapListOnChange, mapRecordOnChange } from './copy-on-change.js';

export const REDACTED = '<redacted>';
/** A Secret value that a diff shows as changed, without showing either value. */
export const REDACTED_CHANGED = '<redacted, changed>';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Shorter pieces of a longer base64 text are redacted only from this length on: a piece of two or
 * three characters would blank out unrelated base64 (certificates, tokens) everywhere.
 */
const MIN_PIECE = 8;

function urlSafe(base64: string): string {
  return base64.replace(/\+/g, '-').replace(/\//g, '_');
}

function unpadded(base64: string): string {
  return base64.replace(/=+$/, '');
}

/** Every form of a secret value that output can hold, longest first. */
export function encodingsOf(secret: string): string[] {
  if (!secret) return [];
  const forms = new Set<string>([secret]);
  const json = JSON.stringify(secret).slice(1, -1);
  forms.add(json);
  // JSON text inside a JSON string (an annotation holding an object, written to a JSON file).
  forms.add(JSON.stringify(json).slice(1, -1));
  // YAML single-quoted scalars double their quotes.
  forms.add(secret.replace(/'/g, "''"));
  try {
    forms.add(encodeURIComponent(secret));
  } catch {
    /* a lone surrogate has no percent-encoding */
  }
  const bytes = Buffer.from(secret, 'utf8');
  const base64 = bytes.toString('base64');
  // A Secret's data holds base64; that text base64-encoded again (a Secret manifest inside a
  // Secret, a kubeconfig with embedded data) is one more layer.
  const twice = Buffer.from(base64).toString('base64');
  for (const b of [base64, twice]) {
    for (const form of [b, unpadded(b), urlSafe(b), unpadded(urlSafe(b))]) forms.add(form);
  }
  // Inside longer base64 text the value starts at byte offset 0, 1 or 2 of a 3-byte group: keep
  // the characters that its bytes alone decide (the first ones mix in the bytes before it, the
  // last ones the bytes after it).
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const piece = encoded.slice(Math.ceil((offset * 4) / 3), Math.floor(((offset + bytes.length) * 8) / 6));
    if (piece.length >= MIN_PIECE) {
      forms.add(piece);
      forms.add(urlSafe(piece));
    }
  }
  forms.delete('');
  return [...forms].sort((a, b) => b.length - a.length);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A core v1 Secret (items of a SecretList count even without kind and apiVersion). */
export function isSecretObject(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && value.kind === 'Secret' && value.apiVersion === 'v1';
}

function isSecretList(value: unknown): value is Record<string, unknown> & { items: unknown[] } {
  return isRecord(value) && value.kind === 'SecretList' && value.apiVersion === 'v1' && Array.isArray(value.items);
}

/** The values of a Secret's `data` and `stringData` replaced (keys kept), via `mask(field, key, value)`. */
function maskSecret(secret: Record<string, unknown>, mask: (field: string, key: string, value: unknown) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { ...secret };
  for (const field of ['data', 'stringData']) {
    const values = secret[field];
    if (isRecord(values)) out[field] = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, mask(field, k, v)]));
    else if (values !== undefined && values !== null) out[field] = REDACTED;
  }
  // kubectl apply keeps the whole object, data included, as JSON in an annotation.
  const metadata = secret.metadata;
  if (isRecord(metadata) && isRecord(metadata.annotations) && LAST_APPLIED in metadata.annotations) {
    out.metadata = { ...metadata, annotations: { ...metadata.annotations, [LAST_APPLIED]: REDACTED } };
  }
  return out;
}

/**
 * A copy of `value` in which every Secret object, at any depth, has its data and stringData values
 * replaced by a marker; the same value when it holds no Secret.
 */
export function maskSecretObjects<T>(value: T): T {
  return walk(value, undefined, true) as T;
}

/**
 * Two states of one object, for a diff: Secret values become markers on both sides, the same
 * marker where the value is the same and REDACTED_CHANGED on the `after` side where it differs,
 * so the diff still says which keys change.
 */
export function maskSecretPair(before: unknown, after: unknown): [unknown, unknown] {
  if (!isSecretObject(before) && !isSecretObject(after)) return [maskSecretObjects(before), maskSecretObjects(after)];
  // What the server holds under data: stringData is written there, base64-encoded, over data.
  const stored = (obj: unknown, key: string): unknown => {
    if (!isRecord(obj)) return undefined;
    if (isRecord(obj.stringData) && typeof obj.stringData[key] === 'string') return Buffer.from(obj.stringData[key]).toString('base64');
    return isRecord(obj.data) ? obj.data[key] : undefined;
  };
  const maskedBefore = isSecretObject(before) ? maskSecret(before, () => REDACTED) : maskSecretObjects(before);
  const maskedAfter = isSecretObject(after)
    ? maskSecret(after, (_field, key) => {
        const was = stored(before, key);
        return was === undefined || was === stored(after, key) ? REDACTED : REDACTED_CHANGED;
      })
    : maskSecretObjects(after);
  return [maskedBefore, maskedAfter];
}

/**
 * Copies `value` with every string passed through `text` (keys too; none: strings are left as
 * they are) and, when `secrets` is set, every Secret object masked. Parts that do not change are
 * shared, not copied: an object is copied only once one of its entries changes, since most of
 * what passes here (thousands of listed objects in a run's state) holds nothing to redact.
 */
function walk(value: unknown, text: ((s: string) => string) | undefined, secrets: boolean): unknown {
  if (typeof value === 'string') return text ? text(value) : value;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return mapListOnChange(value, (item) => walk(item, text, secrets));
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return walk((toJSON as () => unknown).call(value), text, secrets);
  let record = value as Record<string, unknown>;
  if (secrets && isSecretObject(record)) record = maskSecret(record, () => REDACTED);
  if (secrets && isSecretList(record)) {
    record = { ...record, items: record.items.map((item) => (isRecord(item) ? maskSecret(item, () => REDACTED) : item)) };
  }
  return mapRecordOnChange(record, (item) => walk(item, text, secrets), text);
}

export class Redactor {
  private readonly values = new Set<string>();
  private pattern: RegExp | null | undefined;

  constructor(secrets: readonly string[] = []) {
    for (const s of secrets) this.add(s);
  }

  /**
   * Very short values would blank out unrelated text; they are still replaced, because leaking
   * them is worse.
   */
  add(secret: string): void {
    if (!secret || this.values.has(secret)) return;
    this.values.add(secret);
    this.pattern = undefined;
  }

  /** One pattern for every form of every secret, longest first, so a secret that contains another is replaced whole. */
  private regex(): RegExp | null {
    if (this.pattern === undefined) {
      const forms = [...new Set([...this.values].flatMap(encodingsOf))].sort((a, b) => b.length - a.length);
      // The markers come first and are put back as they are: redacting twice changes nothing,
      // even for a secret such as "act" that a marker contains.
      this.pattern = forms.length ? new RegExp([REDACTED_CHANGED, REDACTED, ...forms].map(escapeRegExp).join('|'), 'g') : null;
    }
    return this.pattern;
  }

  redact(text: string): string {
    const re = this.regex();
    return re && text ? text.replace(re, (found) => (found === REDACTED || found === REDACTED_CHANGED ? found : REDACTED)) : text;
  }

  /**
   * A copy of a value for output: secret values replaced in every string (and key), and the
   * values of every Secret object masked. Numbers and booleans are left as they are.
   */
  redactValue<T>(value: T): T {
    // No secret values: only Secret objects are masked, and strings need not be looked at.
    return walk(value, this.regex() ? (s) => this.redact(s) : undefined, true) as T;
  }

  /** `value` as JSON text for a file, redacted (a JSON.stringify of redactValue). */
  json(value: unknown, space?: number): string {
    return JSON.stringify(this.redactValue(value), null, space);
  }
}
