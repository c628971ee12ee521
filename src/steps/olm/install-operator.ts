// `installOperator`: namespace, OperatorGroup, Subscription, approval when manual, and the CSV
// Succeeded — the whole "install from OperatorHub" as one idempotent step. Skipped when the
// subscription is there with its CSV Succeeded.
import type { JsonSchema, StepContext, StepType } from '../../contract/step-type.js';
import { describeCondition, findCondition, type Verdict } from '../../kube/readiness.js';
import type { KubeObject } from '../../kube/types.js';
import { waitFor } from '../../kube/wait.js';
import { parseDuration } from '../../runbook/format.js';
import { DEFAULT_WAIT_MS, TIMEOUT } from '../kube/fragments.js';
import { kubeOf } from '../services.js';
import { on } from '../kube/permissions.js';
import { approveInstallPlanStep } from './approve-install-plan.js';
import { CSV, INSTALL_PLAN, OPERATOR_GROUP, SUBSCRIPTION, subscriptionStatus, waitCsvSucceeded } from './olm.js';
import { defaultsOf, type InputOf } from '../schema.js';

const INPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['package', 'namespace', 'channel'],
  properties: {
    package: { type: 'string', description: 'Package name in the catalog, e.g. kueue-operator.' },
    namespace: { type: 'string', description: 'Namespace for the operator, e.g. openshift-kueue-operator.' },
    name: { type: 'string', description: 'Subscription name (default: the package name).' },
    channel: { type: 'string', description: 'Channel, e.g. stable-v1.1.' },
    source: { type: 'string', default: 'redhat-operators', description: 'CatalogSource (default redhat-operators).' },
    sourceNamespace: { type: 'string', default: 'openshift-marketplace', description: 'Its namespace (default openshift-marketplace).' },
    approval: { enum: ['Automatic', 'Manual'], default: 'Automatic', description: 'Install plan approval (default Automatic).' },
    startingCSV: { type: 'string', description: 'The CSV to install first, e.g. kueue-operator.v1.1.0 (default: the channel head).' },
    targetNamespaces: { type: 'array', items: { type: 'string' }, description: 'OperatorGroup target namespaces (default: all namespaces).' },
    timeout: TIMEOUT,
  },
} as const satisfies JsonSchema;

type InstallInput = InputOf<typeof INPUT>;
const DEFAULTS = defaultsOf(INPUT);

export const installOperatorStep: StepType<InstallInput> = {
  name: 'installOperator',
  summary: 'Install an operator from a catalog: namespace, OperatorGroup, Subscription, approval, CSV Succeeded.',
  description:
    'Creates what is missing and leaves what exists: the namespace, an OperatorGroup (AllNamespaces unless `targetNamespaces` is given) when the namespace has none, and the Subscription. With `approval: Manual` the first InstallPlan (for `startingCSV` when given) is approved. The step ends when the subscription\'s installed CSV is Succeeded.',
  input: INPUT,
  examples: [
    `- name: Install the Red Hat build of Kueue
  installOperator:
    package: kueue-operator
    namespace: openshift-kueue-operator
    channel: stable-v1.1
    targetNamespaces: []`,
  ],
  dryRun: 'native',
  permissions(input) {
    const ns = { namespace: input.namespace };
    return [
      ...on({ apiVersion: 'v1', kind: 'Namespace', name: input.namespace }, ['get', 'create'], { named: false }),
      ...on({ ...OPERATOR_GROUP, ...ns }, ['list', 'create']),
      ...on({ ...SUBSCRIPTION, ...ns }, ['get', 'create', 'list', 'watch']),
      ...on({ ...CSV, ...ns }, ['get', 'list', 'watch']),
      ...((input.approval ?? DEFAULTS.approval) === 'Manual' ? on({ ...INSTALL_PLAN, ...ns }, ['list', 'watch', 'patch']) : []),
    ];
  },
  async check(ctx, input) {
    const csv = await installedCsv(ctx, input);
    return csv ? { holds: true, reason: `${csv} is installed and Succeeded`, output: { csv } } : { holds: false };
  },
  async apply(ctx, input) {
    const kube = kubeOf(ctx);
    const name = input.name ?? input.package;
    const timeoutMs = parseDuration(input.timeout) ?? DEFAULT_WAIT_MS;
    const created: string[] = [];
    // A server dry run cannot create in a namespace it did not really create: the server refuses
    // with "namespace not found". What goes into that namespace is then only reported.
    let unchecked = false;
    const create = async (obj: KubeObject, label: string): Promise<void> => {
      if (!unchecked) await kube.create(obj, { signal: ctx.signal });
      created.push(label);
    };
    if (!(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: input.namespace }, { signal: ctx.signal }))) {
      await create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: input.namespace } }, `Namespace ${input.namespace}`);
      unchecked = ctx.dryRun === 'server';
    }
    const groups = unchecked ? { items: [] } : await kube.list({ ...OPERATOR_GROUP, namespace: input.namespace }, { signal: ctx.signal });
    if (groups.items.length === 0) {
      const spec = input.targetNamespaces?.length ? { targetNamespaces: input.targetNamespaces } : {};
      await create({ ...OPERATOR_GROUP, metadata: { name: input.namespace, namespace: input.namespace }, spec }, `OperatorGroup ${input.namespace}/${input.namespace}`);
    }
    const subscription: KubeObject = {
      ...SUBSCRIPTION,
      metadata: { name, namespace: input.namespace },
      spec: {
        name: input.package,
        channel: input.channel,
        source: input.source ?? DEFAULTS.source,
        sourceNamespace: input.sourceNamespace ?? DEFAULTS.sourceNamespace,
        installPlanApproval: input.approval ?? DEFAULTS.approval,
        ...(input.startingCSV ? { startingCSV: input.startingCSV } : {}),
      },
    };
    const existing = unchecked ? null : await kube.get({ ...SUBSCRIPTION, name, namespace: input.namespace }, { signal: ctx.signal });
    if (!existing) await create(subscription, `Subscription ${input.namespace}/${name}`);
    if (ctx.dryRun !== 'none') return { changed: created.length > 0, summary: `would create ${created.join(', ') || 'nothing'}` };

    if ((input.approval ?? DEFAULTS.approval) === 'Manual') {
      const approveInput = { subscription: name, namespace: input.namespace, ...(input.startingCSV ? { csv: input.startingCSV } : {}), timeout: input.timeout };
      const checked = await approveInstallPlanStep.check!(ctx, approveInput);
      if (!checked.holds) await approveInstallPlanStep.apply(ctx, approveInput, checked.prepared);
    }
    const sub = await waitFor(kube, {
      target: { ...SUBSCRIPTION, name, namespace: input.namespace },
      predicate: (s: KubeObject | null | KubeObject[]): Verdict => {
        const sub = s as KubeObject | null;
        const installed = subscriptionStatus(sub).installedCSV;
        if (installed) return { status: 'done', description: `installed ${installed}` };
        // OLM marks the subscription when its plan failed: no CSV will come, so stop now.
        const failed = findCondition(sub, 'InstallPlanFailed');
        if (failed?.status === 'True') return { status: 'failed', description: describeCondition(failed, 'InstallPlanFailed') };
        return { status: 'pending', description: `state ${subscriptionStatus(sub).state || 'not resolved yet'}` };
      },
      timeoutMs,
      signal: ctx.signal,
      onUpdate: (v) => ctx.log(`Subscription ${name}: ${v.description}`),
    });
    const csv = subscriptionStatus(sub.state as KubeObject).installedCSV!;
    await waitCsvSucceeded(ctx, csv, input.namespace, timeoutMs);
    return { changed: true, summary: `${csv} Succeeded${created.length ? ` (created ${created.join(', ')})` : ''}`, output: { csv } };
  },
};

async function installedCsv(ctx: StepContext, input: InstallInput): Promise<string | undefined> {
  const kube = kubeOf(ctx);
  const sub = await kube.get({ ...SUBSCRIPTION, name: input.name ?? input.package, namespace: input.namespace }, { signal: ctx.signal });
  const installed = subscriptionStatus(sub).installedCSV;
  if (!sub || !installed) return undefined;
  const csv = await kube.get({ ...CSV, name: installed, namespace: input.namespace }, { signal: ctx.signal });
  return (csv?.status as { phase?: string } | undefined)?.phase === 'Succeeded' ? installed : undefined;
}
