// `apply`: make objects exist with the fields we set, by server-side apply (field manager
// `runbook`) or create-if-absent. Skipped when every live object already holds every field.
import type { JsonSchema, StepContext, StepType } from '../../contract/step-type.js';
import { containsDesired } from '../../kube/diff.js';
import { waitFor } from '../../kube/wait.js';
import { readinessFor } from '../../kube/readiness.js';
import type { KubeObject } from '../../kube/types.js';
import { parseDuration } from '../../runbook/format.js';
import { DEFAULT_WAIT_MS, TIMEOUT } from './fragments.js';
import { changeDiff, renderWhenShown } from './change-diff.js';
import { loadManifests } from './manifests.js';
import { on, watches } from './permissions.js';
import { describeObject } from './target.js';
import { kubeOf } from '../services.js';
import { defaultsOf, type InputOf } from '../schema.js';

/** An object to write and the live one it replaces (null when absent), as `check` read it. */
interface PendingWrite {
  obj: KubeObject;
  live: KubeObject | null;
}

const INPUT = {
  type: 'object',
  additionalProperties: false,
  anyOf: [{ required: ['manifest'] }, { required: ['template'] }],
  properties: {
    manifest: { description: 'An object or a list of objects.', anyOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }] },
    template: { type: 'string', description: 'A template file: relative to the runbook, else to the shipped templates/ folder.' },
    vars: { type: 'object', description: 'Extra values for the template.' },
    mode: { enum: ['serverSide', 'create'], default: 'serverSide', description: 'serverSide (default): apply our fields; create: only create what is absent.' },
    force: { type: 'boolean', description: 'Server-side apply: take over fields another manager owns.' },
    wait: { type: 'boolean', description: 'Wait until every object is ready.' },
    timeout: TIMEOUT,
  },
} as const satisfies JsonSchema;

type ApplyInput = InputOf<typeof INPUT>;
const DEFAULTS = defaultsOf(INPUT);

/** `mode: create`: objects that exist are left as they are. */
const createOnly = (input: ApplyInput): boolean => (input.mode ?? DEFAULTS.mode) === 'create';

/** `check` hands the objects that do not hold yet, with their live state, to `apply`. */
export const applyStep: StepType<ApplyInput, PendingWrite[]> = {
  name: 'apply',
  summary: 'Create or update objects from inline manifests or a template file (server-side apply or create-if-absent).',
  description:
    'Objects come from `manifest` (one object or a list) and/or `template` (a handlebars file, multi-document YAML, rendered with the runbook vars plus `vars`). With `mode: serverSide` (default) objects are applied with field manager `runbook`; the step is skipped when every live object already holds every field given. With `mode: create` existing objects are left as they are. `wait: true` waits until each object is ready (by kind: Deployment available, CSV Succeeded, a Ready condition…).',
  input: INPUT,
  fileFields: ['template'],
  examples: [
    `- name: Create the Kueue operator namespace
  apply:
    manifest:
      apiVersion: v1
      kind: Namespace
      metadata:
        name: openshift-kueue-operator`,
    `- name: Install the Llama Stack distribution
  apply:
    template: llama-stack/distribution.yaml
    vars: { replicas: 1 }
    wait: true`,
  ],
  dryRun: 'native',
  permissions(input) {
    // Objects of a template file are known only once it is rendered at run time.
    const objects = input.manifest === undefined ? [] : Array.isArray(input.manifest) ? input.manifest : [input.manifest];
    return (objects as Partial<KubeObject>[])
      .filter((o) => o?.apiVersion && o.kind)
      .flatMap((o) => {
        const t = { apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata?.name, namespace: o.metadata?.namespace };
        // Server-side apply of an object that does not exist yet is a create as well.
        const writes = createOnly(input) ? ['create'] : ['patch', 'create'];
        return [...on(t, ['get', ...writes]), ...(input.wait ? watches(t) : [])];
      });
  },
  async check(ctx, input) {
    const work = await plan(ctx, input);
    if (work.length === 0) return { holds: true, reason: 'every object already holds the fields given' };
    return { holds: false, prepared: work };
  },
  async apply(ctx, input, pending) {
    const kube = kubeOf(ctx);
    const work = pending ?? (await plan(ctx, input));
    const diffs: Array<() => string> = [];
    const names: string[] = [];
    for (const { obj, live } of work) {
      const result =
        createOnly(input) ? await kube.create(obj, { signal: ctx.signal }) : await kube.apply(obj, { signal: ctx.signal, ...(input.force ? { force: true } : {}) });
      names.push(describeObject(result));
      diffs.push(() => changeDiff(live, result, { fromLabel: live ? `${describeObject(obj)} (live)` : '(absent)', toLabel: describeObject(obj) }));
    }
    return { changed: names.length > 0, summary: names.length === 1 ? `applied ${names[0]}` : `applied ${names.length} objects`, diff: renderWhenShown(diffs), output: { applied: names } };
  },
  async verify(ctx, input) {
    if (!input.wait) return;
    const kube = kubeOf(ctx);
    for (const obj of await loadManifests(ctx, input.manifest, input.template, input.vars)) {
      const namespace = obj.metadata.namespace;
      await waitFor(kube, {
        target: { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name!, ...(namespace ? { namespace } : {}) },
        predicate: readinessFor(obj.apiVersion, obj.kind),
        timeoutMs: parseDuration(input.timeout) ?? DEFAULT_WAIT_MS,
        signal: ctx.signal,
        onUpdate: (v) => ctx.log(`${describeObject(obj)}: ${v.description}`),
      });
    }
  },
};

async function plan(ctx: StepContext, input: ApplyInput): Promise<PendingWrite[]> {
  const kube = kubeOf(ctx);
  const objects = await loadManifests(ctx, input.manifest, input.template, input.vars);
  const work: PendingWrite[] = [];
  for (const obj of objects) {
    const live = obj.metadata.name
      ? await kube.get({ apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) }, { signal: ctx.signal })
      : null;
    const holds = live !== null && (createOnly(input) || containsDesired(live, comparable(obj)));
    if (!holds) work.push({ obj, live });
  }
  return work;
}

/**
 * What the live object holds when `obj` has been applied. A Secret's `stringData` is write-only:
 * the server stores it base64-encoded under `data`, so it is compared there, or a Secret would
 * never look applied and every run would write it again.
 */
function comparable(obj: KubeObject): KubeObject {
  if (obj.apiVersion !== 'v1' || obj.kind !== 'Secret' || !obj.stringData || typeof obj.stringData !== 'object') return obj;
  const { stringData, ...rest } = obj;
  const encoded = Object.fromEntries(Object.entries(stringData as Record<string, unknown>).map(([k, v]) => [k, Buffer.from(String(v)).toString('base64')]));
  return { ...rest, data: { ...(rest.data as Record<string, string> | undefined), ...encoded } };
}
