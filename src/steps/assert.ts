// Assertions: each `that` expression must hold, or a finding with a severity is recorded. With a
// target, the expressions see the live `object` (named) or `objects` (selector); with `eachObject`
// they are judged per object and the finding lists the objects that fail. Prohibited and critical
// findings stop the run (after the rest of the section's read-only checks); warning and info are
// recorded in the report.
import { StepFailure } from '../contract/errors.js';
import { SEVERITIES, type Finding } from '../contract/findings.js';
import { splitRunKey } from '../contract/run-key.js';
import type { JsonSchema, StepContext, StepType } from '../contract/step-type.js';
import { TARGET_PROPERTIES } from './kube/fragments.js';
import { reads } from './kube/permissions.js';
import { dropServerFields } from './kube/server-fields.js';
import { describeObject, resolveTargets, targetOf, type Target } from './kube/target.js';
import { defaultsOf, type InputOf } from './schema.js';

const INPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['that', 'message'],
  properties: {
    that: {
      description: 'A CEL expression, or a list of them, that must all be true.',
      anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
    },
    ...TARGET_PROPERTIES,
    apiVersion: { ...TARGET_PROPERTIES.apiVersion, description: 'With kind: read this object (or these objects) first.' },
    eachObject: { type: 'boolean', description: 'Judge each matching object as `object`; the finding lists those that fail.' },
    severity: { enum: [...SEVERITIES], default: 'critical', description: 'What a false assertion means (default critical).' },
    check: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', description: 'Short id of the check in reports (default: from the step id).' },
    message: { type: 'string', description: 'What is wrong when the assertion fails (templates allowed).' },
    remediation: { type: 'string', description: 'How to fix it (templates allowed).' },
    objects: { type: 'array', items: { type: 'string' }, description: 'The objects the finding is about (default: the failing objects).' },
  },
} as const satisfies JsonSchema;

type AssertInput = InputOf<typeof INPUT>;
const DEFAULTS = defaultsOf(INPUT);

export const assertStep: StepType<AssertInput> = {
  name: 'assert',
  summary: 'Check that expressions hold (over values or live objects); record a finding with a severity when they do not.',
  description: [
    'Each expression in `that` is CEL over vars and registered outputs. With `apiVersion`/`kind` (and a',
    'name or selectors) the live object is read first and seen as `object` (null when absent) or',
    '`objects`; with `eachObject: true` the expressions are judged for each object and the finding',
    'lists the ones that fail. A failed assertion records a finding with its severity, message and',
    'remediation in the run report. `prohibited` and `critical` stop the run before the next step that',
    'changes anything (the section\'s remaining checks still run, so all gates are reported together);',
    '`warning` and `info` are recorded only.',
  ].join(' '),
  input: INPUT,
  expressionFields: ['that'],
  // With apiVersion/kind: the object read (by name, or each with eachObject) or the list matched.
  expressionNames: { that: ['object', 'objects'] },
  examples: [
    `- name: Target version is 3.3.2 or newer
  assert:
    that: semverGte(targetVersion, "3.3.2")
    severity: prohibited
    check: target-version
    message: "Target {{ targetVersion }} is not supported: 3.3.0 and 3.3.1 are not upgrade targets"
    remediation: Set targetVersion to 3.3.2 or later.`,
    `- name: Every InferenceService uses RawDeployment
  assert:
    apiVersion: serving.kserve.io/v1beta1
    kind: InferenceService
    allNamespaces: true
    eachObject: true
    that: object.metadata.annotations[?"serving.kserve.io/deploymentMode"].orValue("") == "RawDeployment"
    severity: critical
    message: InferenceServices not converted to RawDeployment stop serving after the upgrade`,
  ],
  dryRun: 'native',
  permissions: (input) => (input.apiVersion && input.kind ? reads(input as Target) : []),
  readOnly: true,
  async apply(ctx, input) {
    const expressions = Array.isArray(input.that) ? input.that : [input.that];
    const failedObjects: string[] = [];
    let holds: boolean;
    if (input.apiVersion && input.kind) {
      const target = targetOf(input as Target);
      const objects = (await resolveTargets(ctx, target)).map((o) => dropServerFields(o, { keepGeneration: true }));
      if (input.eachObject) {
        for (const object of objects) {
          if (!allHold(ctx, expressions, { object })) failedObjects.push(describeObject(object as never));
        }
        holds = failedObjects.length === 0;
      } else {
        holds = allHold(ctx, expressions, target.name ? { object: objects[0] ?? null } : { objects });
      }
    } else {
      holds = allHold(ctx, expressions, {});
    }
    if (holds) return { changed: false, summary: 'holds' };
    const finding: Finding = {
      severity: input.severity ?? DEFAULTS.severity,
      // The step's own id, without the item key of a loop (which may hold slashes: ns/name).
      check: input.check ?? splitRunKey(ctx.stepId).id.split('/').pop()!,
      message: input.message,
      remediation: input.remediation,
      objects: input.objects ?? (failedObjects.length ? failedObjects : undefined),
    };
    const n = failedObjects.length;
    return { changed: false, summary: `${finding.severity}: ${input.message}${n ? ` (${n} object${n === 1 ? '' : 's'})` : ''}`, findings: [finding] };
  },
};

function allHold(ctx: StepContext, expressions: readonly string[], extra: Record<string, unknown>): boolean {
  for (const expression of expressions) {
    const value = ctx.evaluate(expression, extra);
    if (typeof value !== 'boolean') throw new StepFailure(`assert: "${expression}" gave ${JSON.stringify(value)}, not true or false`);
    if (!value) return false;
  }
  return true;
}
