// An OpenShift Template processed as `oc process` does it, for runbooks that create objects from
// the Templates a cluster ships (OpenShift AI keeps its serving runtimes as Templates in the
// applications namespace). The rules are those of openshift/library-go
// pkg/template/templateprocessing (template.go, object.go), as vendored by openshift/openshift-apiserver:
//
// - each parameter's value is the one given, else its `value`; a parameter that would have to be
//   generated (`generate`) with no value given is refused here (a generated value differs on every
//   run, so a re-run would change what it created), and so is a `required` one left empty;
// - in every string of every object, map keys included, `${NAME}` of a declared parameter becomes
//   its value; a string that is exactly `${{NAME}}` becomes the value read as JSON (a number, a
//   boolean, an object), or the text when it is not JSON; references to names that are not
//   declared parameters stay as they are (a shell script's `${HOME}` in a container command);
// - an object's hard-coded metadata.namespace is dropped, one made of a parameter is kept;
// - the Template's `labels` (parameters substituted) are added to every object's labels.
//
// The result is the list of objects, as `oc process -o json` gives them in its List's items.
export class TemplateProcessingError extends Error {}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const STRING_PARAM = /\$\{([a-zA-Z0-9_]+?)\}/g;
const NON_STRING_PARAM = /^\$\{\{([a-zA-Z0-9_]+)\}\}$/;

interface Parameter {
  name?: unknown;
  value?: unknown;
  generate?: unknown;
  required?: unknown;
}

/** The objects of `template` with its parameters substituted; `given` holds values by parameter name. */
export function processTemplate(template: unknown, given: unknown): unknown[] {
  const t = plain(template) as { metadata?: { name?: string }; parameters?: Parameter[]; objects?: Json[]; labels?: Record<string, Json> } | null;
  if (!t || typeof t !== 'object' || Array.isArray(t)) throw new TemplateProcessingError('processTemplate: the template is not an object');
  const values = (plain(given) ?? {}) as Record<string, Json>;
  if (typeof values !== 'object' || Array.isArray(values)) throw new TemplateProcessingError('processTemplate: the parameter values are not a map');
  const name = t.metadata?.name ?? '(unnamed)';
  const params = new Map<string, string>();
  const problems: string[] = [];
  for (const p of t.parameters ?? []) {
    if (typeof p?.name !== 'string' || p.name === '') continue;
    const givenValue = values[p.name];
    const value = givenValue !== undefined && givenValue !== null ? String(givenValue) : typeof p.value === 'string' ? p.value : '';
    if (value === '' && typeof p.generate === 'string' && p.generate !== '') {
      problems.push(`parameter ${p.name} is generated (${p.generate}): give its value`);
      continue;
    }
    if (value === '' && p.required === true) problems.push(`parameter ${p.name} is required and has no value`);
    params.set(p.name, value);
  }
  if (problems.length) throw new TemplateProcessingError(`processTemplate: Template ${name}: ${problems.join('; ')}`);
  const substitute = (s: string): Json => {
    const whole = NON_STRING_PARAM.exec(s);
    if (whole && params.has(whole[1]!)) {
      const v = params.get(whole[1]!)!;
      try {
        return JSON.parse(v) as Json;
      } catch {
        return v;
      }
    }
    return s.replace(STRING_PARAM, (ref, key: string) => (params.has(key) ? params.get(key)! : ref));
  };
  const visit = (v: Json): Json => {
    if (typeof v === 'string') return substitute(v);
    if (Array.isArray(v)) return v.map(visit);
    if (v && typeof v === 'object') {
      const out: Record<string, Json> = {};
      for (const [k, x] of Object.entries(v)) out[String(substitute(k))] = visit(x);
      return out;
    }
    return v;
  };
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(t.labels ?? {})) labels[String(substitute(k))] = String(substitute(String(v)));
  return (t.objects ?? []).map((raw) => {
    const obj = structuredClone(raw) as { metadata?: Record<string, Json> };
    const ns = obj?.metadata?.namespace;
    if (obj?.metadata && ns !== undefined && !(typeof ns === 'string' && /\$\{[a-zA-Z0-9_]+?\}/.test(ns))) delete obj.metadata.namespace;
    const out = visit(obj as Json) as { metadata?: { labels?: Record<string, Json> } };
    if (Object.keys(labels).length && out && typeof out === 'object') {
      out.metadata = { ...(out.metadata ?? {}), labels: { ...(out.metadata?.labels ?? {}), ...labels } };
    }
    return celValue(out);
  });
}

/** Back to what CEL works with: whole numbers as ints (BigInt), as the rest of the context. */
function celValue(v: unknown): unknown {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(celValue);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, celValue(x)]));
  return v;
}

/** CEL hands over Maps and BigInts; the template is processed as JSON. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), plain(x)]));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}
