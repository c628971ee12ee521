// What an exported object looks like on disk: as `oc get -o yaml` prints it, without
// metadata.managedFields, and for a Secret without any of its values. A Secret keeps its keys and
// type; each value becomes a placeholder, and so does any annotation that holds a value of it (the
// last-applied configuration of `kubectl apply`, OpenShift's token-secret annotations).
import type { KubeObject } from '../../kube/types.js';

/** What every `data` value of an exported Secret becomes: base64 of "REDACTED". */
export const REDACTED_DATA = Buffer.from('REDACTED').toString('base64');
/** What every `stringData` value, and every annotation that held a secret value, becomes. */
export const REDACTED_TEXT = 'REDACTED';

/** Annotations that always carry a Secret's content. */
const CONTENT_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration', 'openshift.io/token-secret.value'];

/** A value this short is too common to recognise inside an annotation (a "1", a "true"). */
const MIN_RECOGNISED = 6;

export interface Redaction {
  namespace: string | undefined;
  name: string;
  type: string | undefined;
  /** Keys of data and stringData whose values were replaced. */
  keys: string[];
  /** Annotations whose values were replaced. */
  annotations: string[];
}

/** A copy of the object as exported; for a Secret, also what was redacted. */
export function exportedObject(obj: KubeObject): { object: KubeObject; redaction?: Redaction } {
  // In the order `oc get -o yaml` prints: apiVersion, kind, metadata, then the rest as read.
  const { apiVersion, kind, metadata: given, ...rest } = obj;
  const { managedFields: _managed, ...metadata } = given;
  const object: KubeObject = { apiVersion, kind, metadata, ...rest };
  if (obj.kind !== 'Secret' || !obj.apiVersion || obj.apiVersion !== 'v1') return { object };
  return redactSecret(object);
}

function redactSecret(secret: KubeObject): { object: KubeObject; redaction: Redaction } {
  const keys: string[] = [];
  // Every form a value might take elsewhere in the object: as stored (base64), decoded, and the
  // URL-safe and unpadded spellings of the base64.
  const forms = new Set<string>();
  const remember = (text: string): void => {
    if (text.length >= MIN_RECOGNISED) forms.add(text);
  };
  const out: KubeObject = { ...secret };
  for (const field of ['data', 'stringData'] as const) {
    const values = secret[field];
    if (!values || typeof values !== 'object' || Array.isArray(values)) {
      if (values !== undefined) {
        // Not a map of values as the API gives: keep nothing of it.
        out[field] = {};
        keys.push(`${field} (not a mapping)`);
      }
      continue;
    }
    const redacted: Record<string, string> = {};
    for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
      const text = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
      if (field === 'data') {
        remember(text);
        const decoded = Buffer.from(text, 'base64');
        remember(decoded.toString('utf8'));
        remember(decoded.toString('base64url'));
        remember(decoded.toString('base64').replace(/=+$/, ''));
      } else {
        remember(text);
        remember(Buffer.from(text).toString('base64'));
        remember(Buffer.from(text).toString('base64url'));
      }
      redacted[key] = field === 'data' ? REDACTED_DATA : REDACTED_TEXT;
      if (!keys.includes(key)) keys.push(key);
    }
    out[field] = redacted;
  }

  const annotations: string[] = [];
  const given = secret.metadata.annotations;
  if (given) {
    const kept: Record<string, string> = {};
    for (const [key, value] of Object.entries(given)) {
      const holds = CONTENT_ANNOTATIONS.includes(key) || [...forms].some((f) => String(value).includes(f));
      kept[key] = holds ? REDACTED_TEXT : value;
      if (holds) annotations.push(key);
    }
    out.metadata = { ...out.metadata, annotations: kept };
  }
  return {
    object: out,
    redaction: { namespace: secret.metadata.namespace, name: secret.metadata.name ?? '', type: typeof secret.type === 'string' ? secret.type : undefined, keys, annotations },
  };
}
