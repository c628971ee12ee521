// `subscription`: set a Subscription's channel, approval and source (the upgrade starts with a
// channel change). Skipped when the spec already says so.
import type { JsonSchema, StepType } from '../../contract/step-type.js';
import { yamlDiff } from '../../kube/diff.js';
import { kubeOf } from '../services.js';
import { on } from '../kube/permissions.js';
import { SUBSCRIPTION, noSubscription } from './olm.js';
import { type InputOf } from '../schema.js';

const INPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'namespace'],
  // At least one spec field to set.
  anyOf: [{ required: ['channel'] }, { required: ['installPlanApproval'] }, { required: ['source'] }, { required: ['sourceNamespace'] }, { required: ['startingCSV'] }],
  properties: {
    name: { type: 'string', description: 'Subscription name, e.g. rhods-operator.' },
    namespace: { type: 'string', description: 'Its namespace, e.g. redhat-ods-operator.' },
    channel: { type: 'string', description: 'Update channel, e.g. stable-3.3.' },
    installPlanApproval: { enum: ['Automatic', 'Manual'], description: 'Manual: every InstallPlan waits for approval (see approveInstallPlan).' },
    source: { type: 'string', description: 'CatalogSource name.' },
    sourceNamespace: { type: 'string', description: 'Namespace of the CatalogSource, e.g. openshift-marketplace.' },
    startingCSV: { type: 'string', description: 'The CSV OLM installs first when the subscription starts.' },
  },
} as const satisfies JsonSchema;

type SubscriptionInput = InputOf<typeof INPUT>;

/** The spec fields the step sets, as the schema lists them. */
const SPEC_FIELDS = INPUT.anyOf.map((a) => a.required[0]);

export const subscriptionStep: StepType<SubscriptionInput> = {
  name: 'subscription',
  summary: 'Set an operator Subscription\'s channel, approval strategy or catalog source.',
  description:
    'Changes only the fields given, with a merge patch, and only when they differ. Changing the channel makes OLM resolve a new InstallPlan; with `installPlanApproval: Manual` it waits for approval (see approveInstallPlan).',
  input: INPUT,
  examples: [
    `- name: Move the RHOAI subscription to the 3.3 channel, keeping manual approval
  subscription:
    name: "{{ subscriptionName }}"
    namespace: "{{ operatorNamespace }}"
    channel: "{{ targetChannel }}"
    installPlanApproval: Manual`,
  ],
  dryRun: 'native',
  permissions: (input) => on({ ...SUBSCRIPTION, name: input.name, namespace: input.namespace }, ['get', 'patch']),
  async check(ctx, input) {
    const sub = await kubeOf(ctx).get({ ...SUBSCRIPTION, name: input.name, namespace: input.namespace }, { signal: ctx.signal });
    if (!sub) throw noSubscription(input.name, input.namespace);
    const spec = (sub.spec ?? {}) as Record<string, unknown>;
    const differs = SPEC_FIELDS.filter((f) => input[f] !== undefined && spec[f] !== input[f]);
    return differs.length ? { holds: false } : { holds: true, reason: 'the subscription already has these settings', output: sub.status };
  },
  async apply(ctx, input) {
    const kube = kubeOf(ctx);
    const ref = { ...SUBSCRIPTION, name: input.name, namespace: input.namespace };
    const before = await kube.get(ref, { signal: ctx.signal });
    if (!before) throw noSubscription(input.name, input.namespace);
    const spec = Object.fromEntries(SPEC_FIELDS.filter((f) => input[f] !== undefined).map((f) => [f, input[f]]));
    const after = await kube.patch(ref, 'merge', { spec }, { signal: ctx.signal });
    return {
      changed: true,
      summary: Object.entries(spec).map(([k, v]) => `${k}=${String(v)}`).join(', '),
      diff: yamlDiff({ spec: before.spec }, { spec: after.spec }, { fromLabel: `Subscription ${input.namespace}/${input.name}`, toLabel: 'updated' }),
      output: after.status ?? null,
    };
  },
};
