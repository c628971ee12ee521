// Assertions over values: each `that` expression must hold, or a finding with a severity is
// recorded. Prohibited and critical findings stop the run (after the rest of the section's
// read-only checks), warning and info are recorded in the report.
import { SEVERITIES, type Finding, type Severity } from '../engine/findings.js';
import { StepFailure } from '../engine/errors.js';
import type { StepType } from '../engine/step-type.js';

interface AssertInput {
  that: string | string[];
  severity?: Severity;
  check?: string;
  message: string;
  remediation?: string;
  objects?: string[];
}

export const assertStep: StepType<AssertInput> = {
  name: 'assert',
  summary: 'Check that expressions hold; record a finding with a severity when they do not.',
  description:
    'Each expression in `that` is CEL over vars and registered outputs. When one is false, a finding with the given severity, message and remediation goes to the run report. `prohibited` and `critical` stop the run before the next step that changes anything; `warning` and `info` are recorded only.',
  input: {
    type: 'object',
    additionalProperties: false,
    required: ['that', 'message'],
    properties: {
      that: {
        description: 'A CEL expression, or a list of them, that must all be true.',
        anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
      },
      severity: { enum: [...SEVERITIES], description: 'What a false assertion means (default critical).' },
      check: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', description: 'Short id of the check in reports (default: the step id).' },
      message: { type: 'string', description: 'What is wrong when the assertion fails (templates allowed).' },
      remediation: { type: 'string', description: 'How to fix it (templates allowed).' },
      objects: { type: 'array', items: { type: 'string' }, description: 'The objects the finding is about.' },
    },
  },
  expressionFields: ['that'],
  examples: [
    `- name: OpenShift is 4.19.9 or newer
  assert:
    that: semverGte(openshiftVersion, "4.19.9")
    severity: prohibited
    check: openshift-version
    message: "OpenShift {{ openshiftVersion }} is older than 4.19.9"
    remediation: Upgrade OpenShift to 4.19.9 or newer first.`,
  ],
  dryRun: 'native',
  readOnly: true,
  async apply(ctx, input) {
    const expressions = Array.isArray(input.that) ? input.that : [input.that];
    const failed: string[] = [];
    for (const expression of expressions) {
      const value = ctx.evaluate(expression);
      if (typeof value !== 'boolean') {
        throw new StepFailure(`assert: "${expression}" gave ${JSON.stringify(value)}, not true or false`);
      }
      if (!value) failed.push(expression);
    }
    if (failed.length === 0) return { changed: false, summary: 'holds' };
    const finding: Finding = {
      severity: input.severity ?? 'critical',
      check: input.check ?? ctx.stepId.split('/').pop()!.replace(/\[.*$/, ''),
      message: input.message,
      remediation: input.remediation,
      objects: input.objects,
    };
    return { changed: false, summary: `${finding.severity}: ${input.message}`, findings: [finding] };
  },
};
