// `approveInstallPlan`: the manual approval of an operator upgrade, as one step. Finds the install
// plan that serves the subscription and installs the wanted CSV (exact name or version range),
// approves it, and waits for the plan to complete and the CSV to succeed. Skipped when that CSV is
// already installed and Succeeded.
import { StepFailure } from '../../contract/errors.js';
import type { JsonSchema, StepType } from '../../contract/step-type.js';
import type { Verdict } from '../../kube/readiness.js';
import type { KubeObject } from '../../kube/types.js';
import { waitFor } from '../../kube/wait.js';
import { parseDuration } from '../../runbook/format.js';
import { DEFAULT_WAIT_MS, TIMEOUT } from '../kube/fragments.js';
import { kubeOf } from '../services.js';
import { on } from '../kube/permissions.js';
import {
  CSV,
  INSTALL_PLAN,
  SUBSCRIPTION,
  csvMatches,
  describeWanted,
  noSubscription,
  planCsvs,
  planPhase,
  planVerdict,
  servesSubscription,
  subscriptionStatus,
  waitCsvSucceeded,
  watchSubscriptionTrouble,
} from './olm.js';
import { DURATION, defaultsOf, type InputOf } from '../schema.js';

const INPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['subscription', 'namespace'],
  // csv or version, not both: with both, one would silently win.
  if: { required: ['csv'] },
  then: { properties: { version: { not: {}, description: 'csv names the CSV exactly: give csv or version, not both.' } } },
  properties: {
    subscription: { type: 'string', description: 'Subscription name, e.g. rhods-operator.' },
    namespace: { type: 'string', description: 'Its namespace.' },
    csv: { type: 'string', description: 'The exact CSV to approve, e.g. rhods-operator.3.3.2.' },
    version: { type: 'string', format: 'semverRange', description: 'Or (not both) a semver range over CSV versions, e.g. ">=3.3.2 <3.4.0".' },
    timeout: TIMEOUT,
    resolveTimeout: { ...DURATION, default: '5m', description: 'How long OLM may leave the subscription at its installed CSV before the step says the channel has no upgrade edge (default 5m).' },
  },
} as const satisfies JsonSchema;

type ApproveInput = InputOf<typeof INPUT>;
const DEFAULTS = defaultsOf(INPUT);
const DEFAULT_RESOLVE_MS = parseDuration(DEFAULTS.resolveTimeout)!;

export const approveInstallPlanStep: StepType<ApproveInput> = {
  name: 'approveInstallPlan',
  summary: 'Approve the pending InstallPlan that installs the wanted CSV, then wait for it to complete and the CSV to succeed.',
  description: [
    'The plan is the one that serves the subscription (OLM owner reference or the subscription',
    '`installPlanRef`) and whose `clusterServiceVersionNames` holds the wanted CSV: `csv` names it',
    'exactly, or `version` is a semver range over CSV versions (e.g. `>=3.3.2`; not both). A plan for another',
    'version is never approved. The step waits for such a plan to appear, approves it, waits for',
    'phase Complete (Failed ends the wait with the plan message) and for the CSV to reach Succeeded.',
    'Skipped when the subscription already has that CSV installed and Succeeded. While it waits, the',
    'step fails at once when OLM reports the subscription cannot resolve (ResolutionFailed,',
    'a missing CatalogSource), with OLM\'s message, and fails after `resolveTimeout` when the',
    'subscription still sits at its installed CSV: OLM\'s answer to a channel with no upgrade edge.',
  ].join(' '),
  input: INPUT,
  examples: [
    `- name: Approve the upgrade to 3.3.2 or later
  approveInstallPlan:
    subscription: "{{ subscriptionName }}"
    namespace: "{{ operatorNamespace }}"
    version: ">={{ targetVersion }} <3.4.0"
    timeout: 30m`,
  ],
  dryRun: 'native',
  permissions(input) {
    const ns = { namespace: input.namespace };
    return [
      ...on({ ...SUBSCRIPTION, ...ns, name: input.subscription }, ['get']),
      ...on({ ...INSTALL_PLAN, ...ns }, ['list', 'watch', 'patch']),
      ...on({ ...CSV, ...ns }, ['get', 'list', 'watch']),
    ];
  },
  async check(ctx, input) {
    const kube = kubeOf(ctx);
    const sub = await kube.get({ ...SUBSCRIPTION, name: input.subscription, namespace: input.namespace }, { signal: ctx.signal });
    if (!sub) throw noSubscription(input.subscription, input.namespace);
    const installed = subscriptionStatus(sub).installedCSV;
    if (!installed || !csvMatches(installed, input)) return { holds: false };
    const csv = await kube.get({ ...CSV, name: installed, namespace: input.namespace }, { signal: ctx.signal });
    const phase = (csv?.status as { phase?: string } | undefined)?.phase;
    return phase === 'Succeeded' ? { holds: true, reason: `${installed} is installed and Succeeded`, output: { csv: installed } } : { holds: false };
  },
  async apply(ctx, input) {
    const kube = kubeOf(ctx);
    const timeoutMs = parseDuration(input.timeout) ?? DEFAULT_WAIT_MS;
    const deadline = Date.now() + timeoutMs;
    const sub = await kube.get({ ...SUBSCRIPTION, name: input.subscription, namespace: input.namespace }, { signal: ctx.signal });
    if (!sub) throw noSubscription(input.subscription, input.namespace);
    const wanted = describeWanted(input);

    // Wait for a plan that serves the subscription and installs the wanted CSV.
    const predicate = (state: KubeObject | null | KubeObject[]): Verdict => {
      const plans = (state as KubeObject[]).filter((p) => servesSubscription(p, sub));
      const seen = plans.map((p) => `${p.metadata.name} (${planCsvs(p).join(', ')}; ${planPhase(p)})`);
      return plans.some((p) => planCsvs(p).some((c) => csvMatches(c, input)))
        ? { status: 'done', description: `found a plan for ${wanted}` }
        : { status: 'pending', description: seen.length ? `plans so far: ${seen.join('; ')}` : `no install plan for subscription ${input.subscription} yet` };
    };
    const planTarget = { ...INSTALL_PLAN, namespace: input.namespace };
    let plans: KubeObject[];
    if (ctx.dryRun !== 'none') {
      // A dry run looks once: before the channel changes for real, no plan will come.
      plans = (await kube.list(planTarget, { signal: ctx.signal })).items;
      const verdict = predicate(plans);
      if (verdict.status !== 'done') return { changed: false, summary: `would wait for an install plan for ${wanted}: ${verdict.description}` };
    } else {
      // OLM's own word that no plan will come ends the wait early, with OLM's message.
      const done = new AbortController();
      const signal = AbortSignal.any([ctx.signal, done.signal]);
      const resolveMs = parseDuration(input.resolveTimeout) ?? DEFAULT_RESOLVE_MS;
      try {
        const found = await Promise.race([
          waitFor(kube, { target: planTarget, predicate, timeoutMs, signal, onUpdate: (v) => ctx.log(v.description) }),
          watchSubscriptionTrouble(ctx, { name: input.subscription, namespace: input.namespace }, input, resolveMs, signal),
        ]);
        plans = found.state as KubeObject[];
      } finally {
        done.abort();
      }
    }
    const plan = plans.filter((p) => servesSubscription(p, sub) && planCsvs(p).some((c) => csvMatches(c, input))).pop()!;
    const csvName = planCsvs(plan).find((c) => csvMatches(c, input))!;
    const planRef = { ...INSTALL_PLAN, name: plan.metadata.name!, namespace: input.namespace };

    if (ctx.dryRun !== 'none') {
      return { changed: true, summary: `would approve ${plan.metadata.name} for ${csvName}` };
    }
    const approved = (plan.spec as { approved?: boolean } | undefined)?.approved === true;
    if (!approved) {
      await kube.patch(planRef, 'merge', { spec: { approved: true } }, { signal: ctx.signal });
      ctx.log(`approved ${plan.metadata.name} for ${csvName}`);
    }
    await waitFor(kube, {
      target: planRef,
      predicate: (s: KubeObject | null | KubeObject[]) => planVerdict(s as KubeObject | null),
      timeoutMs: Math.max(1000, deadline - Date.now()),
      signal: ctx.signal,
      onUpdate: (v) => ctx.log(`${plan.metadata.name}: ${v.description}`),
    }).catch((err: unknown) => {
      if (err instanceof StepFailure) throw new StepFailure(`install plan ${plan.metadata.name} for ${csvName}: ${err.message}`, { hint: err.hint, data: err.data, cause: err });
      throw err;
    });
    await waitCsvSucceeded(ctx, csvName, input.namespace, Math.max(1000, deadline - Date.now()));
    return { changed: !approved, summary: `${plan.metadata.name} approved; ${csvName} Succeeded`, output: { installPlan: plan.metadata.name, csv: csvName } };
  },
};
