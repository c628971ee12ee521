// The test plays OLM on the real API server: it writes the Subscriptions, InstallPlans and CSVs
// (status included) that OLM would, and reacts to what the steps do — an approved plan completes
// and its CSV succeeds; a new Automatic subscription gets a plan at once; an operand being
// deleted loses its finalizer. Nothing of the API is faked: only the controller is played.
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClient } from '../../../src/kube/client.js';
import type { KubeObject, ObjectRef } from '../../../src/kube/types.js';

export const OLM = 'operators.coreos.com/v1alpha1';
export const SUBSCRIPTION = { apiVersion: OLM, kind: 'Subscription' } as const;
export const INSTALL_PLAN = { apiVersion: OLM, kind: 'InstallPlan' } as const;
export const CSV = { apiVersion: OLM, kind: 'ClusterServiceVersion' } as const;
export const OPERATOR_GROUP = { apiVersion: 'operators.coreos.com/v1', kind: 'OperatorGroup' } as const;

const SET_UP = 'runbook.test/set-up';

export function olmLabel(pkg: string, namespace: string): Record<string, string> {
  return { [`operators.coreos.com/${pkg}.${namespace}`]: '' };
}

export class OlmPlayer {
  private running = false;
  private loop: Promise<void> | undefined;
  /** Plans to fail instead of complete, by CSV name, with this message. */
  readonly failing = new Map<string, string>();
  /** Operand kinds whose finalizers this "operator" removes when they are deleted. */
  readonly operands: { apiVersion: string; kind: string; namespace: string }[] = [];
  /** Everything the player did, in order, for assertions. */
  readonly log: string[] = [];

  constructor(
    private readonly kube: KubeClient,
    readonly namespace: string,
  ) {}

  private ref(kind: { apiVersion: string; kind: string }, name: string): ObjectRef {
    return { ...kind, name, namespace: this.namespace };
  }

  private async setStatus(kind: { apiVersion: string; kind: string }, name: string, status: Record<string, unknown>): Promise<KubeObject> {
    return this.kube.patch(this.ref(kind, name), 'merge', { status }, { subresource: 'status' });
  }

  /** A Subscription as OLM leaves it once `installedCSV` is installed (with that CSV Succeeded). */
  async installed(name: string, pkg: string, csv: string, spec: Record<string, unknown> = {}): Promise<KubeObject> {
    await this.kube.create({
      ...SUBSCRIPTION,
      // Set up by the test, not for the player to resolve as a new subscription.
      metadata: { name, namespace: this.namespace, labels: { [SET_UP]: 'true' } },
      spec: { name: pkg, channel: 'stable', source: 'redhat-operators', sourceNamespace: 'openshift-marketplace', installPlanApproval: 'Manual', ...spec },
    });
    await this.csvSucceeded(csv, pkg);
    return this.setStatus(SUBSCRIPTION, name, { installedCSV: csv, currentCSV: csv, state: 'AtLatestKnown' });
  }

  async csvSucceeded(name: string, pkg: string): Promise<KubeObject> {
    await this.kube.create({ ...CSV, metadata: { name, namespace: this.namespace, labels: olmLabel(pkg, this.namespace) }, spec: { displayName: pkg, version: name.replace(/^.*?\.v?(\d)/, '$1') } });
    return this.setStatus(CSV, name, { phase: 'Succeeded', reason: 'InstallSucceeded' });
  }

  /** A plan for `csv` serving `subscription` (owner reference), waiting for approval or approved. */
  async plan(name: string, subscription: KubeObject, csv: string, approved = false): Promise<KubeObject> {
    await this.kube.create({
      ...INSTALL_PLAN,
      metadata: {
        name,
        namespace: this.namespace,
        ownerReferences: [{ apiVersion: OLM, kind: 'Subscription', name: subscription.metadata.name!, uid: subscription.metadata.uid! }],
      },
      spec: { approval: approved ? 'Automatic' : 'Manual', approved, clusterServiceVersionNames: [csv] },
    });
    const plan = await this.setStatus(INSTALL_PLAN, name, { phase: approved ? 'Installing' : 'RequiresApproval' });
    await this.setStatus(SUBSCRIPTION, subscription.metadata.name!, {
      ...((subscription.status as Record<string, unknown> | undefined) ?? {}),
      currentCSV: csv,
      state: 'UpgradePending',
      installPlanRef: { apiVersion: OLM, kind: 'InstallPlan', name, namespace: this.namespace },
    });
    this.log.push(`plan ${name} for ${csv}${approved ? ' (approved)' : ''}`);
    return plan;
  }

  /** Reacts to the cluster every 50 ms until stop(). */
  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.tick().catch((err: unknown) => this.log.push(`error: ${(err as Error).message}`));
        await sleep(50);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async tick(): Promise<void> {
    const ns = { namespace: this.namespace };
    // A new Automatic subscription: OLM resolves it into an approved plan.
    for (const sub of (await this.kube.list({ ...SUBSCRIPTION, ...ns })).items) {
      const spec = sub.spec as { name: string; installPlanApproval?: string; startingCSV?: string };
      if (sub.status || sub.metadata.deletionTimestamp || sub.metadata.labels?.[SET_UP]) continue;
      const csv = spec.startingCSV ?? `${spec.name}.v1.0.0`;
      const plan = `install-${sub.metadata.name}`;
      await this.plan(plan, { ...sub, ...SUBSCRIPTION }, csv, spec.installPlanApproval !== 'Manual');
    }
    // An approved plan: install it (or fail it, when told to).
    for (const plan of (await this.kube.list({ ...INSTALL_PLAN, ...ns })).items) {
      const spec = plan.spec as { approved?: boolean; clusterServiceVersionNames: string[] };
      const phase = (plan.status as { phase?: string } | undefined)?.phase;
      if (!spec.approved || phase === 'Complete' || phase === 'Failed') continue;
      const csv = spec.clusterServiceVersionNames[0]!;
      const failure = this.failing.get(csv);
      if (failure) {
        await this.setStatus(INSTALL_PLAN, plan.metadata.name!, {
          phase: 'Failed',
          conditions: [{ type: 'Installed', status: 'False', reason: 'InstallComponentFailed', message: failure }],
        });
        // OLM also marks the subscription, so its waiters need not watch the plan.
        const owner = (plan.metadata.ownerReferences as { name: string }[])[0]!.name;
        const sub = await this.kube.get(this.ref(SUBSCRIPTION, owner));
        await this.setStatus(SUBSCRIPTION, owner, {
          ...(sub?.status as object),
          conditions: [{ type: 'InstallPlanFailed', status: 'True', reason: 'InstallComponentFailed', message: failure }],
        });
        this.log.push(`failed ${plan.metadata.name}`);
        continue;
      }
      await this.setStatus(INSTALL_PLAN, plan.metadata.name!, { phase: 'Complete', conditions: [{ type: 'Installed', status: 'True' }] });
      const owner = (plan.metadata.ownerReferences as { name: string }[])[0]!.name;
      const sub = await this.kube.get(this.ref(SUBSCRIPTION, owner));
      const pkg = (sub?.spec as { name: string }).name;
      if (!(await this.kube.get(this.ref(CSV, csv)))) await this.csvSucceeded(csv, pkg);
      await this.setStatus(SUBSCRIPTION, owner, { ...(sub?.status as object), installedCSV: csv, currentCSV: csv, state: 'AtLatestKnown' });
      this.log.push(`installed ${csv}`);
    }
    // The operator cleans up after its operands.
    for (const kind of this.operands) {
      for (const o of (await this.kube.list(kind)).items) {
        if (o.metadata.deletionTimestamp && o.metadata.finalizers?.length) {
          await this.kube.patch({ ...kind, name: o.metadata.name! }, 'merge', { metadata: { finalizers: null } });
          this.log.push(`finalized ${o.kind} ${o.metadata.name}`);
        }
      }
    }
  }
}
