// `wait`: until objects reach a state, through a watch (no polling): a condition, a CEL expression,
// a kubectl-style JSONPath value, readiness by kind, existence, deletion, or a count of matches.
// `failWhen` ends the wait at once on a failure state; a timeout says what was seen last.
import type { JsonSchema, StepType } from '../../contract/step-type.js';
import type { Verdict } from '../../kube/readiness.js';
import type { KubeObject } from '../../kube/types.js';
import { waitFor } from '../../kube/wait.js';
import { parseDuration } from '../../runbook/format.js';
import { compileCondition, WAIT_CONDITION_SCHEMA } from './conditions.js';
import { watches } from './permissions.js';
import { DEFAULT_WAIT_MS, TARGET_PROPERTIES, TARGET_REQUIRED, TIMEOUT } from './fragments.js';
import { describeTarget, resolveTargets, targetOf } from './target.js';
import { kubeOf } from '../services.js';
import { type InputOf } from '../schema.js';

/** `count` is for selector targets (WAIT_CONDITION_SCHEMA says so): a named target is one object. */
const NO_COUNT = { properties: { count: { not: {}, description: 'count is for selector targets (no name): for one named object, wait for exists or deleted.' } } } as const satisfies JsonSchema;

const INPUT = {
  type: 'object',
  additionalProperties: false,
  required: [...TARGET_REQUIRED, 'for'],
  if: { required: ['name'] },
  then: { properties: { for: NO_COUNT, failWhen: { items: NO_COUNT } } },
  properties: {
    ...TARGET_PROPERTIES,
    for: WAIT_CONDITION_SCHEMA,
    failWhen: { type: 'array', items: WAIT_CONDITION_SCHEMA, description: 'States that mean failure: the wait stops at once.' },
    timeout: TIMEOUT,
  },
} as const satisfies JsonSchema;

type WaitInput = InputOf<typeof INPUT>;

export const waitStep: StepType<WaitInput> = {
  name: 'wait',
  summary: 'Wait until objects reach a state (condition, expression, JSONPath, ready, exists, deleted, count), failing fast on failWhen.',
  description:
    'The wait lists the objects first (an already-true state finishes at once) and then watches them, re-listing when the watch is too old and reconnecting when it drops. `failWhen` states end the wait at once as a failure — wait for success OR failure. A status is judged only once the controller has observed the current spec: while `status.observedGeneration` (where the object reports it, or a condition\'s own) is behind `metadata.generation`, readiness, conditions and any jsonpath or expression that reads `status` are pending, and no failWhen fires on the previous spec\'s status. On timeout the error says what was seen last (the condition and its message). In a dry run the state is read once and reported, without waiting.',
  input: INPUT,
  expressionFields: ['for.expression', 'failWhen[].expression'],
  // The object watched (with name) or the list matched (with selectors): see conditions.ts.
  expressionNames: { 'for.expression': ['object', 'objects'], 'failWhen[].expression': ['object', 'objects'] },
  rawFields: [],
  examples: [
    `- name: Wait for the DSC to be Ready again
  wait:
    apiVersion: datasciencecluster.opendatahub.io/v1
    kind: DataScienceCluster
    name: "{{ dscName }}"
    for: { jsonpath: "{.status.phase}", value: Ready }
    failWhen:
      - condition: { type: KueueReady, status: "False" }
    timeout: 15m`,
    `- name: Wait until every notebook is stopped
  wait:
    apiVersion: v1
    kind: Pod
    allNamespaces: true
    labelSelector: notebook-name
    for: { count: { max: 0 } }`,
  ],
  dryRun: 'native',
  permissions: (input) => watches(input),
  readOnly: true,
  async apply(ctx, input) {
    const target = targetOf(input);
    const label = describeTarget(target);
    const success = compileCondition(ctx, input.for, target, label);
    const failures = (input.failWhen ?? []).map((f) => compileCondition(ctx, f, target, `${label} failWhen`));
    const predicate = (state: KubeObject | null | KubeObject[]): Verdict => {
      for (const f of failures) {
        const v = f(state);
        if (v.status === 'done') return { status: 'failed', description: v.description };
      }
      return success(state);
    };

    if (ctx.dryRun !== 'none') {
      const objects = await resolveTargets(ctx, target);
      const v = predicate(target.name ? (objects[0] ?? null) : objects);
      return { changed: false, summary: v.status === 'done' ? `holds now: ${v.description}` : `would wait for ${label}: ${v.description}` };
    }
    let lastLogged = '';
    const result = await waitFor(kubeOf(ctx), {
      target,
      predicate,
      timeoutMs: parseDuration(input.timeout) ?? DEFAULT_WAIT_MS,
      signal: ctx.signal,
      onUpdate: (v) => {
        if (v.description !== lastLogged) ctx.log((lastLogged = v.description));
      },
    });
    return { changed: false, summary: result.verdict.description, output: result.state };
  },
};
