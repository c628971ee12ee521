// `uninstallOperator`: the guides' uninstall order as one step: the operator's own resources
// (operands) first, waited until gone; then the Subscription; then its CSV (which removes the
// operator Deployment); optionally its OperatorGroup and namespace. Skipped when all are gone.
import type { JsonSchema, StepContext, StepType } from '../../contract/step-type.js';
import { deletedObject } from '../../kube/readiness.js';
import type { KubeObject } from '../../kube/types.js';
import { waitFor } from '../../kube/wait.js';
import { parseDuration } from '../../runbook/format.js';
import { DEFAULT_WAIT_MS, TARGET_PROPERTIES, TARGET_REQUIRED, TIMEOUT } from '../kube/fragments.js';
import { on, reads, watches } from '../kube/permissions.js';
import { describeObject, refOfObject, resolveTargets, targetOf } from '../kube/target.js';
import { kubeOf } from '../services.js';
import { CSV, OPERATOR_GROUP, SUBSCRIPTION, subscriptionStatus } from './olm.js';
import { type InputOf } from '../schema.js';

const INPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['subscription', 'namespace'],
  properties: {
    subscription: { type: 'string', description: 'Subscription name, e.g. serverless-operator.' },
    namespace: { type: 'string', description: 'Its namespace, e.g. openshift-serverless.' },
    package: { type: 'string', description: 'Package name, to find the CSV when the subscription is gone (default: the subscription name).' },
    operands: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: TARGET_REQUIRED, properties: TARGET_PROPERTIES },
      description: 'Resources to delete first, by name or selector.',
    },
    deleteOperatorGroup: { type: 'boolean', description: 'Also delete the OperatorGroups of the namespace.' },
    deleteNamespace: { type: 'boolean', description: 'Also delete the namespace, and wait until it is gone.' },
    timeout: TIMEOUT,
  },
} as const satisfies JsonSchema;

type UninstallInput = InputOf<typeof INPUT>;

export const uninstallOperatorStep: StepType<UninstallInput> = {
  name: 'uninstallOperator',
  summary: 'Uninstall an operator: its operands first, then Subscription and CSV, optionally OperatorGroup and namespace.',
  description:
    'Operands (the custom resources the operator manages, e.g. KnativeServing, ServiceMeshControlPlane) are deleted first and waited for, while the operator still runs to clean up after them. Then the Subscription and the CSV it installed (found through the subscription, or by the OLM label `operators.coreos.com/<package>.<namespace>` when the subscription is already gone). CRDs are left in place, as OLM does.',
  input: INPUT,
  examples: [
    `- name: Uninstall OpenShift Serverless
  uninstallOperator:
    subscription: serverless-operator
    namespace: openshift-serverless
    operands:
      - apiVersion: operator.knative.dev/v1beta1
        kind: KnativeServing
        name: knative-serving
        namespace: knative-serving
    deleteNamespace: true`,
  ],
  dryRun: 'native',
  permissions(input) {
    const ns = { namespace: input.namespace };
    const removes = (t: Parameters<typeof on>[0]) => [...reads(t), ...on(t, ['delete']), ...watches(t)];
    return [
      ...(input.operands ?? []).flatMap(removes),
      ...removes({ ...SUBSCRIPTION, ...ns, name: input.subscription }),
      ...removes({ ...CSV, ...ns }),
      ...on({ ...CSV, ...ns }, ['get']),
      ...(input.deleteOperatorGroup ? removes({ ...OPERATOR_GROUP, ...ns }) : []),
      ...(input.deleteNamespace ? removes({ apiVersion: 'v1', kind: 'Namespace', name: input.namespace }) : []),
    ];
  },
  async check(ctx, input) {
    const left = await remaining(ctx, input);
    return left.length === 0 ? { holds: true, reason: `${input.subscription} is not installed` } : { holds: false };
  },
  async apply(ctx, input) {
    const kube = kubeOf(ctx);
    const timeoutMs = parseDuration(input.timeout) ?? DEFAULT_WAIT_MS;
    const gone: string[] = [];
    const remove = async (objects: KubeObject[], wait = true): Promise<void> => {
      for (const o of objects) {
        if (!o.metadata.deletionTimestamp) await kube.delete(refOfObject(o), { signal: ctx.signal });
        gone.push(describeObject(o));
      }
      if (!wait || ctx.dryRun !== 'none') return;
      for (const o of objects) {
        await waitFor(kube, { target: refOfObject(o), predicate: deletedObject(o.metadata.uid), timeoutMs, signal: ctx.signal, onUpdate: (v) => ctx.log(`${describeObject(o)}: ${v.description}`) });
      }
    };
    for (const t of input.operands ?? []) await remove(await resolveTargets(ctx, targetOf(t)));
    const sub = await kube.get({ ...SUBSCRIPTION, name: input.subscription, namespace: input.namespace }, { signal: ctx.signal });
    const csvs = await csvsOf(ctx, input, sub);
    if (sub) await remove([{ ...sub, ...SUBSCRIPTION }]);
    await remove(csvs);
    if (input.deleteOperatorGroup) await remove((await kube.list({ ...OPERATOR_GROUP, namespace: input.namespace }, { signal: ctx.signal })).items.map((o) => ({ ...o, ...OPERATOR_GROUP })));
    if (input.deleteNamespace) {
      const ns = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: input.namespace }, { signal: ctx.signal });
      if (ns) await remove([{ ...ns, apiVersion: 'v1', kind: 'Namespace' }]);
    }
    return { changed: gone.length > 0, summary: `removed ${gone.length} object${gone.length === 1 ? '' : 's'}`, output: { deleted: gone } };
  },
};

async function csvsOf(ctx: StepContext, input: UninstallInput, sub: KubeObject | null): Promise<KubeObject[]> {
  const kube = kubeOf(ctx);
  const names = new Set([subscriptionStatus(sub).installedCSV, subscriptionStatus(sub).currentCSV].filter((n): n is string => !!n));
  const out: KubeObject[] = [];
  for (const name of names) {
    const csv = await kube.get({ ...CSV, name, namespace: input.namespace }, { signal: ctx.signal });
    if (csv) out.push({ ...csv, ...CSV });
  }
  const label = `operators.coreos.com/${input.package ?? input.subscription}.${input.namespace}`;
  const labelled = await kube.list({ ...CSV, namespace: input.namespace }, { signal: ctx.signal, labelSelector: label });
  for (const csv of labelled.items) if (!names.has(csv.metadata.name!)) out.push({ ...csv, ...CSV });
  return out;
}

async function remaining(ctx: StepContext, input: UninstallInput): Promise<string[]> {
  const kube = kubeOf(ctx);
  const left: string[] = [];
  for (const t of input.operands ?? []) left.push(...(await resolveTargets(ctx, targetOf(t))).map(describeObject));
  const sub = await kube.get({ ...SUBSCRIPTION, name: input.subscription, namespace: input.namespace }, { signal: ctx.signal });
  if (sub) left.push(`Subscription ${input.subscription}`);
  left.push(...(await csvsOf(ctx, input, sub)).map(describeObject));
  if (input.deleteOperatorGroup) left.push(...(await kube.list({ ...OPERATOR_GROUP, namespace: input.namespace }, { signal: ctx.signal })).items.map((o) => `OperatorGroup ${o.metadata.name}`));
  if (input.deleteNamespace && (await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: input.namespace }, { signal: ctx.signal }))) left.push(`Namespace ${input.namespace}`);
  return left;
}
