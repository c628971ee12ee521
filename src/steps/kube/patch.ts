// `patch`: change objects in place, by name or selector, with merge / JSON / strategic / apply
// patches and guarded list edits. Skipped when the patch would change nothing; only the objects
// that would change are written, so a re-run makes no write at all.
import { StepFailure } from '../../contract/errors.js';
import jsonpatch from 'fast-json-patch';
import type { JsonSchema, StepContext, StepType } from '../../contract/step-type.js';
import { patchOutcome } from '../../kube/diff.js';
import { deepEqual, isPlainObject } from '../../kube/json.js';
import { isConflict, statusCodeOf } from '../../kube/errors.js';
import type { JsonPatchOperation, KubeObject, PatchType } from '../../kube/types.js';
import { TARGET_PROPERTIES, TARGET_REQUIRED } from './fragments.js';
import { changeDiff, renderWhenShown } from './change-diff.js';
import { on, reads } from './permissions.js';
import { LIST_EDIT_SCHEMA, compileListEdits, dropRemovesOfAbsent } from './list-edits.js';
import { describeObject, describeTarget, refOfObject, resolveTargets, targetOf } from './target.js';
import { kubeOf } from '../services.js';
import { takeListed } from './listed-copies.js';
import { defaultsOf, type InputOf } from '../schema.js';

interface PlannedPatch {
  obj: KubeObject;
  calls: { type: PatchType; patch: unknown }[];
  /** Planned on a listed copy: the first call is sent on the condition that the object still has this resourceVersion. */
  precondition?: string;
}

const JSON_PATCH_OPERATION = {
  type: 'object',
  required: ['op', 'path'],
  description: 'An RFC 6902 operation: { op: add|remove|replace|move|copy|test, path: /a/b, value or from }.',
  properties: {
    op: { enum: ['add', 'remove', 'replace', 'move', 'copy', 'test'] },
    path: { type: 'string', pattern: '^(/.*)?$', description: 'A JSON pointer: empty, or starting with /.' },
    from: { type: 'string', pattern: '^(/.*)?$' },
    value: {},
  },
  allOf: [
    { if: { properties: { op: { enum: ['add', 'replace', 'test'] } }, required: ['op'] }, then: { required: ['value'] } },
    { if: { properties: { op: { enum: ['move', 'copy'] } }, required: ['op'] }, then: { required: ['from'] } },
  ],
} as const satisfies JsonSchema;

const JSON_PATCH_SCHEMA = { type: 'array', items: JSON_PATCH_OPERATION, description: 'With type json: a list of RFC 6902 operations.' } as const satisfies JsonSchema;

const INPUT = {
  type: 'object',
  additionalProperties: false,
  required: TARGET_REQUIRED,
  anyOf: [{ required: ['patch'] }, { required: ['listEdits'] }],
  // A JSON patch is a list of RFC 6902 operations, each with what its op needs.
  if: { properties: { type: { const: 'json' } }, required: ['type'] },
  then: { properties: { patch: JSON_PATCH_SCHEMA } },
  // Any other type patches with a partial object: a list there is a JSON patch missing its type.
  else: { properties: { patch: { type: 'object', description: 'With type merge (the default), strategic or apply: a partial object; a list of operations needs type: json.' } } },
  properties: {
    ...TARGET_PROPERTIES,
    type: { enum: ['merge', 'json', 'strategic', 'apply'], default: 'merge', description: 'Patch type (default merge). strategic works for built-in kinds only.' },
    patch: { description: 'The patch: a partial object (merge, strategic, apply) or a list of operations (json).' },
    listEdits: { type: 'array', items: LIST_EDIT_SCHEMA, description: 'Guarded list edits, applied after `patch`.' },
    subresource: { enum: ['status', 'scale'], description: 'Patch a subresource instead of the object.' },
    force: { type: 'boolean', description: 'Server-side apply: take over fields other managers own.' },
    mustExist: { type: 'boolean', default: true, description: 'Fail when a named object does not exist (default true).' },
    unless: {
      type: 'string',
      description:
        'CEL over the live `object`: objects for which it is true already have the effect and are not patched. Makes a patch that is not idempotent by itself (a JSON patch add to a list end) safe to run again.',
    },
  },
} as const satisfies JsonSchema;

type PatchInput = InputOf<typeof INPUT>;
const DEFAULTS = defaultsOf(INPUT);

/**
 * `check` hands the plan it made to `apply`, so a patch costs one read, not two. A retry checks,
 * and so reads, again.
 */
export const patchStep: StepType<PatchInput, PlannedPatch[]> = {
  name: 'patch',
  summary: 'Patch objects by name or selector: merge, JSON, strategic or server-side apply, and guarded list edits.',
  description: [
    'Only objects the patch would change are written, so a second run makes no write call.',
    'A JSON patch `remove` of a path that is already gone is dropped rather than failing.',
    '`listEdits` remove or replace list elements by what they are (the container named',
    '`oauth-proxy`, a given finalizer) rather than by index: each becomes a `test` + `remove`/`replace`',
    'pair computed from the live object, so a concurrent change is refused by the server and the',
    'step retries on fresh data instead of removing the wrong element.',
    'An `add` list edit appends an element unless one matches (an environment variable by name), creating',
    'the list, and missing objects on the way to it, when absent: it is idempotent on either shape.',
  ].join(' '),
  input: INPUT,
  expressionFields: ['unless'],
  // Each object the patch would write, as read live.
  expressionNames: { unless: ['object'] },
  examples: [
    `- name: Set Kueue to Removed in the DSC
  patch:
    apiVersion: datasciencecluster.opendatahub.io/v1
    kind: DataScienceCluster
    name: "{{ dscName }}"
    patch:
      spec:
        components:
          kueue:
            managementState: Removed`,
    `- name: Remove the oauth-proxy sidecar and its finalizer from every notebook
  patch:
    apiVersion: kubeflow.org/v1
    kind: Notebook
    allNamespaces: true
    listEdits:
      - list: /spec/template/spec/containers
        match: { name: oauth-proxy }
        remove: true
      - list: /metadata/finalizers
        match: notebook-oauth-client-finalizer.opendatahub.io
        remove: true`,
  ],
  dryRun: 'native',
  permissions: (input) => [...reads(input), ...on(input, ['patch'], input.subresource ? { subresource: input.subresource } : {})],
  async check(ctx, input) {
    const plans = (await planOnListedCopy(ctx, input)) ?? (await plan(ctx, input));
    if (plans.length === 0) return { holds: true, reason: `no change needed for ${describeTarget(targetOf(input))}` };
    return { holds: false, prepared: plans };
  },
  async apply(ctx, input, planned) {
    const kube = kubeOf(ctx);
    const plans = planned ?? (await plan(ctx, input));
    const diffs: Array<() => string> = [];
    const changed: string[] = [];
    const queue = [...plans];
    for (let p = queue.shift(); p; p = queue.shift()) {
      let result: unknown = p.obj;
      for (const [i, call] of p.calls.entries()) {
        const conditional = i === 0 && p.precondition !== undefined;
        try {
          result = await kube.patch(refOfObject(p.obj), call.type, conditional ? withPrecondition(call, p.precondition!) : call.patch, {
            signal: ctx.signal,
            ...(input.subresource ? { subresource: input.subresource } : {}),
            ...(input.force ? { force: true } : {}),
          });
        } catch (err) {
          // The listed copy was not the object any more: read it and plan again (it may need nothing now).
          if (conditional && (statusCodeOf(err) === 422 || isConflict(err))) {
            queue.push(...(await plan(ctx, { ...input, ...namedTarget(p.obj) })));
            result = undefined;
            break;
          }
          // The server answers a failed `test` with a bare 422 that does not say which operation
          // failed, so look again: if a tested element changed since we read it, another client
          // changed the list meanwhile, and a retry reads fresh data and patches the right element.
          if (call.type === 'json' && (statusCodeOf(err) === 422 || isConflict(err)) && (await testsFailNow(ctx, p.obj, call.patch as JsonPatchOperation[]))) {
            throw new StepFailure(`${describeObject(p.obj)} changed while it was being patched`, {
              transient: true,
              cause: err,
              hint: 'another client changed the object between our read and our write; a retry (retries: N) patches it afresh',
            });
          }
          throw err;
        }
      }
      if (result === undefined) continue;
      changed.push(describeObject(p.obj));
      const before = p.obj;
      const after = result;
      diffs.push(() => changeDiff(before, after, { fromLabel: `${describeObject(before)} (live)`, toLabel: ctx.dryRun === 'none' ? 'patched' : `patched (dry run: ${ctx.dryRun})` }));
    }
    return {
      changed: changed.length > 0,
      summary: changed.length === 1 ? `patched ${changed[0]}` : `patched ${changed.length} objects`,
      diff: renderWhenShown(diffs),
      output: { patched: changed },
    };
  },
};

/**
 * The plan made on the copy a query listed (listed-copies.ts) instead of a read: for a named
 * object, a real write, merge or JSON patches only. Undefined when there is no copy or the copy
 * needs no change (then a read confirms it).
 */
async function planOnListedCopy(ctx: StepContext, input: PatchInput): Promise<PlannedPatch[] | undefined> {
  const type = input.type ?? DEFAULTS.type;
  if (ctx.dryRun !== 'none' || !input.name || input.subresource || (type !== 'merge' && type !== 'json')) return undefined;
  const kube = kubeOf(ctx);
  const copy = takeListed(kube, { apiVersion: input.apiVersion, kind: input.kind, name: input.name, ...(input.namespace ? { namespace: input.namespace } : {}) });
  const resourceVersion = copy?.metadata?.resourceVersion;
  if (!copy || !resourceVersion) return undefined;
  const plans = await plan(ctx, input, [copy]);
  if (plans.length === 0) return undefined;
  return plans.map((p) => ({ ...p, precondition: resourceVersion }));
}

/** The call, sent only if the object still has this resourceVersion (a JSON `test`, or the merge patch carrying it). */
function withPrecondition(call: PlannedPatch['calls'][number], resourceVersion: string): unknown {
  if (call.type === 'json') return [{ op: 'test', path: '/metadata/resourceVersion', value: resourceVersion }, ...(call.patch as JsonPatchOperation[])];
  const patch = isPlainObject(call.patch) ? call.patch : {};
  const metadata = isPlainObject(patch.metadata) ? patch.metadata : {};
  return { ...patch, metadata: { ...metadata, resourceVersion } };
}

/** The input narrowed to one object, by name. */
function namedTarget(obj: KubeObject): Partial<PatchInput> {
  return { name: obj.metadata!.name!, namespace: obj.metadata?.namespace, labelSelector: undefined, fieldSelector: undefined, allNamespaces: undefined };
}

async function plan(ctx: StepContext, input: PatchInput, given?: KubeObject[]): Promise<PlannedPatch[]> {
  const targets = given ?? (await resolveTargets(ctx, targetOf(input)));
  if (targets.length === 0 && input.name && (input.mustExist ?? DEFAULTS.mustExist)) {
    throw new StepFailure(`${describeTarget(targetOf(input))} does not exist`, {
      hint: 'check the name and namespace; set mustExist: false if its absence is fine',
    });
  }
  const type = input.type ?? DEFAULTS.type;
  const out: PlannedPatch[] = [];
  for (const obj of targets) {
    if (input.unless !== undefined && ctx.evaluate(input.unless, { object: obj }) === true) continue;
    let current: unknown = obj;
    const calls: PlannedPatch['calls'] = [];
    if (input.patch !== undefined) {
      const patch =
        type === 'json' ? dropRemovesOfAbsent(current, input.patch as JsonPatchOperation[]) : type === 'apply' ? withIdentity(obj, input.patch) : input.patch;
      const outcome = type === 'json' && (patch as unknown[]).length === 0 ? { changed: false, result: current } : patchOutcome(current, type, patch);
      if (outcome.changed) {
        calls.push({ type, patch });
        current = outcome.result;
      }
    }
    if (input.listEdits?.length) {
      const ops = compileListEdits(current, input.listEdits);
      if (ops.length) calls.push({ type: 'json', patch: ops });
    }
    if (calls.length) out.push({ obj, calls });
  }
  return out;
}

/**
 * Server-side apply needs apiVersion, kind and metadata.name in the body (the server answers a
 * bare "invalid object type" otherwise); a runbook author should only have to write the fields.
 */
function withIdentity(obj: KubeObject, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const metadata = isPlainObject(patch.metadata) ? patch.metadata : {};
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    ...patch,
    metadata: { name: obj.metadata.name, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}), ...metadata },
  };
}

/** Whether a `test` operation of `ops` no longer holds on the live object (or it is gone). */
async function testsFailNow(ctx: StepContext, obj: KubeObject, ops: readonly JsonPatchOperation[]): Promise<boolean> {
  const tests = ops.filter((op) => op.op === 'test');
  if (tests.length === 0) return false;
  const now = await kubeOf(ctx).get(refOfObject(obj), { signal: ctx.signal }).catch(() => undefined);
  if (now === undefined) return false;
  if (now === null) return true;
  return tests.some((op) => {
    try {
      return !deepEqual(jsonpatch.getValueByPointer(now, op.path), op.value);
    } catch {
      return true;
    }
  });
}
