// `delete`: remove objects by name or selector and wait until they are gone. Skipped when absent.
import { StepFailure } from '../../contract/errors.js';
import type { JsonSchema, StepType } from '../../contract/step-type.js';
import { isConflict } from '../../kube/errors.js';
import { deletedObject } from '../../kube/readiness.js';
import { waitFor } from '../../kube/wait.js';
import { parseDuration } from '../../runbook/format.js';
import { changeDiff, renderWhenShown } from './change-diff.js';
import { on, reads, watches } from './permissions.js';
import { DEFAULT_WAIT_MS, TARGET_PROPERTIES, TARGET_REQUIRED, TIMEOUT } from './fragments.js';
import { describeObject, describeTarget, refOfObject, resolveTargets, targetOf } from './target.js';
import { kubeOf } from '../services.js';
import type { KubeObject } from '../../kube/types.js';
import { defaultsOf, type InputOf } from '../schema.js';

const INPUT = {
  type: 'object',
  additionalProperties: false,
  required: TARGET_REQUIRED,
  properties: {
    ...TARGET_PROPERTIES,
    propagationPolicy: { enum: ['Foreground', 'Background', 'Orphan'], description: 'What happens to dependents (default: the kind default, usually Background).' },
    wait: { type: 'boolean', default: true, description: 'Wait until the objects are gone (default true).' },
    timeout: TIMEOUT,
  },
} as const satisfies JsonSchema;

type DeleteInput = InputOf<typeof INPUT>;
const DEFAULTS = defaultsOf(INPUT);

/**
 * `check` hands the objects it read to `apply`: one read instead of two, and the uid precondition
 * then guards the whole span from the check to the delete, not only apply's own read.
 */
export const deleteStep: StepType<DeleteInput, KubeObject[]> = {
  name: 'delete',
  summary: 'Delete objects by name or selector, and wait until they are gone.',
  description:
    'Skipped when nothing matches. Each delete carries the uid of the object read, so an object recreated meanwhile under the same name is not deleted by mistake (the step fails as transient and a retry decides again). By default the step waits until the objects are gone (finalizers done); `wait: false` returns once the deletes are accepted.',
  input: INPUT,
  examples: [
    `- name: Remove the Knative Serving instance
  delete:
    apiVersion: operator.knative.dev/v1beta1
    kind: KnativeServing
    name: knative-serving
    namespace: knative-serving`,
  ],
  dryRun: 'native',
  permissions: (input) => [...reads(input), ...on(input, ['delete']), ...((input.wait ?? DEFAULTS.wait) ? watches(input) : [])],
  async check(ctx, input) {
    const found = await resolveTargets(ctx, targetOf(input));
    const live = found.filter((o) => !o.metadata.deletionTimestamp || (input.wait ?? DEFAULTS.wait));
    if (live.length === 0) return { holds: true, reason: `no ${describeTarget(targetOf(input))}` };
    return { holds: false, prepared: found };
  },
  async apply(ctx, input, seen) {
    const kube = kubeOf(ctx);
    const found = seen ?? (await resolveTargets(ctx, targetOf(input)));
    const names: string[] = [];
    const diffs: Array<() => string> = [];
    for (const obj of found) {
      if (!obj.metadata.deletionTimestamp) {
        try {
          await kube.delete(refOfObject(obj), {
            signal: ctx.signal,
            ...(input.propagationPolicy ? { propagationPolicy: input.propagationPolicy } : {}),
            ...(obj.metadata.uid ? { preconditions: { uid: obj.metadata.uid } } : {}),
          });
        } catch (err) {
          // 409 on a uid precondition: the name now belongs to a new object we never read.
          if (isConflict(err)) {
            throw new StepFailure(`${describeObject(obj)} was replaced by a new object of the same name since it was read; the new one was not deleted`, {
              transient: true,
              cause: err,
              hint: 'a retry reads the new object and decides again',
            });
          }
          throw err;
        }
        diffs.push(() => changeDiff(obj, null, { fromLabel: describeObject(obj), toLabel: ctx.dryRun === 'none' ? '(deleted)' : `(deleted, dry run: ${ctx.dryRun})` }));
      }
      names.push(describeObject(obj));
    }
    if ((input.wait ?? DEFAULTS.wait) && ctx.dryRun === 'none') {
      for (const obj of found) {
        await waitFor(kube, {
          target: refOfObject(obj),
          predicate: deletedObject(obj.metadata.uid),
          timeoutMs: parseDuration(input.timeout) ?? DEFAULT_WAIT_MS,
          signal: ctx.signal,
          onUpdate: (v) => ctx.log(`${describeObject(obj)}: ${v.description}`),
        });
      }
    }
    return {
      changed: names.length > 0,
      summary: names.length === 1 ? `deleted ${names[0]}` : `deleted ${names.length} objects`,
      diff: renderWhenShown(diffs),
      output: { deleted: names },
    };
  },
};
