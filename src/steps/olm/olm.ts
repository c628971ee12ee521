// What the OLM steps share: references to OLM kinds, CSV versions, finding the install plan that
// serves a subscription, and waiting for a CSV to succeed.
import semver from 'semver';
import { StepFailure } from '../../contract/errors.js';
import type { StepContext } from '../../contract/step-type.js';
import { conditionsOf, phaseIs, type Verdict } from '../../kube/readiness.js';
import type { KubeObject } from '../../kube/types.js';
import { waitFor } from '../../kube/wait.js';
import { kubeOf } from '../services.js';

export const OLM = 'operators.coreos.com/v1alpha1';
export const SUBSCRIPTION = { apiVersion: OLM, kind: 'Subscription' } as const;
export const INSTALL_PLAN = { apiVersion: OLM, kind: 'InstallPlan' } as const;
export const CSV = { apiVersion: OLM, kind: 'ClusterServiceVersion' } as const;
export const OPERATOR_GROUP = { apiVersion: 'operators.coreos.com/v1', kind: 'OperatorGroup' } as const;

/** `rhods-operator.3.3.2` and `opendatahub-operator.v2.35.0` both give their version. */
export function csvVersion(csvName: string): string | undefined {
  const m = /\.v?(\d+\.\d+\.\d+(?:[-+][\w.-]+)?)$/.exec(csvName);
  return m?.[1];
}

/** Whether a CSV name is the one wanted: an exact name, or a version range over its version. */
export function csvMatches(csvName: string, wanted: { csv?: string; version?: string }): boolean {
  if (wanted.csv) return csvName === wanted.csv;
  if (wanted.version) {
    const v = csvVersion(csvName);
    return v !== undefined && semver.satisfies(v, wanted.version, { includePrerelease: true });
  }
  return true;
}

export function describeWanted(wanted: { csv?: string; version?: string }): string {
  return wanted.csv ?? (wanted.version ? `version ${wanted.version}` : 'any version');
}

export interface SubscriptionStatus {
  currentCSV?: string;
  installedCSV?: string;
  state?: string;
  installPlanRef?: { name?: string; namespace?: string };
  installplan?: { name?: string };
}

export function subscriptionStatus(sub: KubeObject | null): SubscriptionStatus {
  return ((sub?.status as SubscriptionStatus | undefined) ?? {}) as SubscriptionStatus;
}

/** The plan serves the subscription: OLM sets an ownerReference to each subscription it serves. */
export function servesSubscription(plan: KubeObject, subscription: KubeObject): boolean {
  const owners = (plan.metadata.ownerReferences as { kind?: string; name?: string; uid?: string }[] | undefined) ?? [];
  if (owners.some((o) => o.kind === 'Subscription' && (o.uid === subscription.metadata.uid || o.name === subscription.metadata.name))) return true;
  const ref = subscriptionStatus(subscription).installPlanRef?.name ?? subscriptionStatus(subscription).installplan?.name;
  return ref === plan.metadata.name;
}

export function planCsvs(plan: KubeObject): string[] {
  return ((plan.spec as { clusterServiceVersionNames?: string[] } | undefined)?.clusterServiceVersionNames ?? []).slice();
}

export function planPhase(plan: KubeObject): string {
  return String((plan.status as { phase?: string } | undefined)?.phase ?? 'no phase yet');
}

/** Waits for a CSV to reach Succeeded; Failed ends the wait at once with its message. */
export async function waitCsvSucceeded(ctx: StepContext, name: string, namespace: string, timeoutMs: number): Promise<KubeObject> {
  const result = await waitFor(kubeOf(ctx), {
    target: { ...CSV, name, namespace },
    predicate: phaseIs(['Succeeded'], ['Failed']),
    timeoutMs,
    signal: ctx.signal,
    onUpdate: (v) => ctx.log(`CSV ${name}: ${v.description}`),
  });
  return result.state as KubeObject;
}

/** An install plan is done when Complete; Failed carries its condition message. */
export function planVerdict(plan: KubeObject | null): Verdict {
  if (!plan) return { status: 'pending', description: 'the install plan does not exist yet' };
  const phase = planPhase(plan);
  if (phase === 'Complete') return { status: 'done', description: 'phase Complete' };
  if (phase === 'Failed') {
    const c = conditionsOf(plan).find((x) => x.status === 'False' || x.reason === 'InstallComponentFailed');
    return { status: 'failed', description: `phase Failed${c?.message ? `: ${c.message}` : ''}` };
  }
  return { status: 'pending', description: `phase ${phase}` };
}

export function noSubscription(name: string, namespace: string): StepFailure {
  return new StepFailure(`Subscription ${namespace}/${name} does not exist`, {
    hint: 'check the subscription name and namespace (oc get subscriptions -A)',
  });
}

/**
 * Why OLM will give this subscription nothing, or undefined while it still may. OLM says so in
 * two conditions (operator-lifecycle-manager pkg/controller/operators/catalog): ResolutionFailed
 * (reason ConstraintsNotSatisfiable: no such catalog, package, channel or startingCSV) and
 * CatalogSourcesUnhealthy ("targeted catalogsource <ns>/<name> missing" or "unhealthy").
 */
export function subscriptionTrouble(sub: KubeObject | null): string | undefined {
  if (!sub) return 'the subscription was deleted';
  const conditions = conditionsOf(sub);
  const failed = conditions.find((c) => c.type === 'ResolutionFailed' && c.status === 'True');
  if (failed) return `OLM cannot resolve it: ${failed.message ?? failed.reason ?? 'ResolutionFailed'}`;
  const unhealthy = conditions.find((c) => c.type === 'CatalogSourcesUnhealthy' && c.status === 'True' && /targeted catalogsource/.test(c.message ?? ''));
  if (unhealthy) return `OLM cannot read its catalog: ${unhealthy.message}`;
  return undefined;
}

/**
 * Watches a subscription while something else waits for OLM, and rejects as soon as OLM says it
 * will not deliver: a resolution failure at once, and, once `stallMs` has passed, a subscription
 * that still sits at its installed CSV with nothing wanted on the way. That last case is how OLM
 * answers a channel with no upgrade edge from the installed version: no InstallPlan and no error
 * (resolver.go keeps the installed bundle when no entry replaces, skips or skipRange-covers it).
 */
export function watchSubscriptionTrouble(
  ctx: StepContext,
  ref: { name: string; namespace: string },
  wanted: { csv?: string; version?: string },
  stallMs: number,
  signal: AbortSignal,
): Promise<never> {
  let last: KubeObject | null = null;
  let seen = false;
  return new Promise<never>((_resolve, reject) => {
    const stalled = setTimeout(() => {
      const s = subscriptionStatus(last);
      const atInstalled = seen && s.installedCSV !== undefined && (s.currentCSV ?? s.installedCSV) === s.installedCSV && s.state === 'AtLatestKnown';
      if (atInstalled && !csvMatches(s.installedCSV!, wanted)) {
        const channel = String((last?.spec as { channel?: string } | undefined)?.channel ?? 'its default channel');
        reject(
          new StepFailure(
            `OLM offers no upgrade to ${describeWanted(wanted)}: subscription ${ref.namespace}/${ref.name} stays at ${s.installedCSV} (AtLatestKnown) in channel ${channel}`,
            {
              hint: `no entry of channel ${channel} replaces ${s.installedCSV} or has a skipRange that covers its version; pick a channel with an edge from it (oc get packagemanifest ${String((last?.spec as { name?: string } | undefined)?.name ?? '')} -n openshift-marketplace -o yaml), or upgrade within the current channel first`,
            },
          ),
        );
      }
    }, stallMs);
    signal.addEventListener('abort', () => clearTimeout(stalled), { once: true });
    waitFor(kubeOf(ctx), {
      target: { ...SUBSCRIPTION, ...ref },
      predicate: (state) => {
        last = state as KubeObject | null;
        seen = true;
        const trouble = subscriptionTrouble(last);
        return trouble ? { status: 'failed', description: trouble } : { status: 'pending', description: 'no trouble reported' };
      },
      timeoutMs: 24 * 3600_000,
      signal,
    }).catch((err: unknown) => {
      clearTimeout(stalled);
      if (!signal.aborted) reject(err);
    });
  });
}
