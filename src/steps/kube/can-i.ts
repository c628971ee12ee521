// `canI`: what `oc auth can-i` answers, as a step: ask the API server (SelfSubjectAccessReview)
// whether the user running the runbook may do each thing, and record one finding listing every
// permission that is missing.
import { SEVERITIES } from '../../contract/findings.js';
import type { JsonSchema, StepType } from '../../contract/step-type.js';
import { describeAccess, findMissingAccess } from '../../kube/access.js';
import { kubeOf } from '../services.js';
import { defaultsOf, type InputOf } from '../schema.js';

const INPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['checks'],
  properties: {
    checks: {
      type: 'array',
      minItems: 1,
      description: 'The permissions to check, asked all at once.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['verb', 'group', 'resource'],
        properties: {
          verb: { type: 'string', description: 'get, list, watch, create, update, patch, delete…' },
          group: { type: 'string', description: 'API group; "" for the core group.' },
          resource: { type: 'string', description: 'Plural resource, e.g. rayclusters.' },
          subresource: { type: 'string', description: 'e.g. status, scale.' },
          namespace: { type: 'string', description: 'Omit for cluster-scoped resources or every namespace.' },
          name: { type: 'string', description: 'One object by name.' },
        },
      },
    },
    severity: { enum: [...SEVERITIES], default: 'critical', description: 'Severity of the finding when something is missing (default critical).' },
    check: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', description: 'Short id of the check in reports.' },
    message: { type: 'string', description: 'What the missing permissions mean (default: a list of them).' },
    remediation: { type: 'string', description: 'How to fix it (default: run as an administrator or grant the permissions).' },
  },
} as const satisfies JsonSchema;

type CanIInput = InputOf<typeof INPUT>;
const DEFAULTS = defaultsOf(INPUT);

export const canIStep: StepType<CanIInput> = {
  name: 'canI',
  summary: 'Check that the user running the runbook has permissions (like oc auth can-i); a finding lists what is missing.',
  description:
    'Each check is a verb on a resource of an API group, optionally in one namespace (omit it for cluster-scoped resources or every namespace) or on one name. All checks are asked at once; a missing one becomes part of a single finding with the given severity (default critical).',
  input: INPUT,
  examples: [
    `- name: The Ray migration has the permissions it needs
  canI:
    check: ray-permissions
    checks:
      - { verb: list, group: "", resource: namespaces }
      - { verb: update, group: ray.io, resource: rayclusters }
      - { verb: list, group: gateway.networking.k8s.io, resource: httproutes }`,
  ],
  dryRun: 'native',
  readOnly: true,
  async apply(ctx, input) {
    const missing = await findMissingAccess(kubeOf(ctx), input.checks, ctx.signal);
    if (missing.length === 0) return { changed: false, summary: `all ${input.checks.length} permissions granted` };
    const list = missing.map((m) => describeAccess(m)).join('; ');
    return {
      changed: false,
      summary: `missing: ${list}`,
      findings: [
        {
          severity: input.severity ?? DEFAULTS.severity,
          check: input.check ?? 'permissions',
          message: input.message ? `${input.message} (missing: ${list})` : `Missing permissions: ${list}`,
          ...(input.remediation ? { remediation: input.remediation } : { remediation: 'Run as a cluster administrator, or grant these permissions to the user running the runbook.' }),
        },
      ],
    };
  },
};
