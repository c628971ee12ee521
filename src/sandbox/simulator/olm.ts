// Simulated OLM: Subscription → InstallPlan (`install-` names, RequiresApproval when Manual) →
// approval → Installing → Complete; CSV Pending → InstallReady → Installing → Succeeded; the
// replaced CSV goes away; Subscription status as OLM writes it. Which bundle a Subscription gets is
// resolved from the file-based catalog of the CatalogSource it names (../catalog/resolve.ts), with
// OLM's own conditions when that fails: CatalogSourcesUnhealthy for a missing CatalogSource and
// ResolutionFailed for a package, channel or startingCSV the catalog does not have. A channel with
// no edge from the installed CSV yields no InstallPlan and no error, as in OLM.
import { deepEqual } from '../../kube/json.js';
import type { KubeObject } from '../../kube/types.js';
import { resolve } from '../catalog/resolve.js';
import { operatorDeployment } from './catalog.js';
import { Informer, keyOf } from './informer.js';
import { runOperatorDeployment } from './operator-pods.js';
import { type Condition, type SimRuntime, withTimes } from './runtime.js';
import { WorkQueue } from './work-queue.js';

const OLM = 'operators.coreos.com/v1alpha1';

export class OlmController {
  private readonly subs: Informer;
  private readonly plans: Informer;
  private readonly csvs: Informer;
  private readonly sources: Informer;
  private readonly queue: WorkQueue;

  constructor(
    private readonly rt: SimRuntime,
    /** Called when a CSV changes: which operators run may have changed. */
    private readonly onCsvChange: () => void = () => undefined,
    /**
     * Called while a CSV installs, before it is Succeeded: what OLM applies from the bundle (its
     * CRDs, its webhooks) is in place by the time the CSV says Succeeded, as on a cluster.
     */
    private readonly installBundle: (csv: KubeObject, pkg: string, version: string) => Promise<void> = async () => undefined,
  ) {
    const enqueue = (kind: string) => (_t: string, obj: KubeObject) => this.queue.add(`${kind}:${keyOf(obj)}`);
    this.subs = new Informer(rt.kube, { apiVersion: OLM, kind: 'Subscription' }, enqueue('sub'), rt.signal);
    this.plans = new Informer(rt.kube, { apiVersion: OLM, kind: 'InstallPlan' }, (t, obj) => {
      enqueue('plan')(t, obj);
      for (const o of (obj.metadata.ownerReferences as { name: string }[] | undefined) ?? []) this.queue.add(`sub:${obj.metadata.namespace}/${o.name}`);
    }, rt.signal);
    this.csvs = new Informer(rt.kube, { apiVersion: OLM, kind: 'ClusterServiceVersion' }, (t, obj) => {
      enqueue('csv')(t, obj);
      for (const s of this.subs.list(obj.metadata.namespace)) this.queue.add(`sub:${keyOf(s)}`);
      this.onCsvChange();
    }, rt.signal);
    // A CatalogSource that appears or goes changes what every Subscription resolves to.
    this.sources = new Informer(rt.kube, { apiVersion: OLM, kind: 'CatalogSource' }, () => {
      for (const s of this.subs.list()) this.queue.add(`sub:${keyOf(s)}`);
    }, rt.signal);
    this.queue = new WorkQueue((k) => this.reconcile(k), (k, err) => rt.log(`olm: ${k}: ${(err as Error).message}`));
  }

  informers(): Informer[] {
    return [this.subs, this.plans, this.csvs, this.sources];
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): void {
    this.queue.stop();
  }

  /** CSVs that are Succeeded, for other controllers (which operators are running). */
  succeededCsvs(): KubeObject[] {
    return this.csvs.list().filter((c) => phaseOf(c) === 'Succeeded');
  }

  private async reconcile(key: string): Promise<void> {
    const [kind, rest] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    const [ns, name] = rest.split('/') as [string, string];
    if (kind === 'sub') return this.reconcileSubscription(ns, name);
    if (kind === 'plan') return this.reconcilePlan(ns, name);
    if (kind === 'csv') return this.reconcileCsv(ns, name);
  }

  private async reconcileSubscription(ns: string, name: string): Promise<void> {
    // Read live, not from the caches: they may lag behind what this controller just wrote, and a
    // stale Subscription would be sent back to UpgradePending after its CSV succeeded.
    const signal = this.rt.signal;
    const sub = await this.rt.kube.get({ apiVersion: OLM, kind: 'Subscription', name, namespace: ns }, { signal });
    if (!sub) return;
    const spec = (sub.spec ?? {}) as { name?: string; channel?: string; source?: string; sourceNamespace?: string; startingCSV?: string; installPlanApproval?: string };
    const status = (sub.status ?? {}) as Record<string, unknown> & { installedCSV?: string; conditions?: Condition[] };
    const source = { name: spec.source ?? '', namespace: spec.sourceNamespace ?? '' };
    const catalogSource = source.name && source.namespace
      ? await this.rt.kube.get({ apiVersion: OLM, kind: 'CatalogSource', name: source.name, namespace: source.namespace }, { signal })
      : null;
    const health: Condition = catalogSource
      ? { type: 'CatalogSourcesUnhealthy', status: 'False', reason: 'AllCatalogSourcesHealthy', message: 'all available catalogsources are healthy' }
      : { type: 'CatalogSourcesUnhealthy', status: 'True', reason: 'UnhealthyCatalogSourceFound', message: `targeted catalogsource ${source.namespace}/${source.name} missing` };
    const others = (status.conditions ?? []).filter((c) => c.type !== 'CatalogSourcesUnhealthy' && c.type !== 'ResolutionFailed');
    const conditionsWith = (...extra: Condition[]): Condition[] => withTimes(status.conditions, [health, ...others.filter((c) => !extra.some((e) => e.type === c.type)), ...extra]);

    const installed = status.installedCSV;
    const installedVersion = installed ? await this.installedVersion(ns, installed) : undefined;
    const resolution = resolve({
      subscription: name,
      catalogName: source.name,
      catalogNamespace: source.namespace,
      catalog: catalogSource ? this.rt.catalogs.forSource(source.namespace, source.name) : undefined,
      packageName: spec.name ?? '',
      ...(spec.channel ? { channel: spec.channel } : {}),
      ...(spec.startingCSV ? { startingCSV: spec.startingCSV } : {}),
      ...(installed && installedVersion ? { installed: { name: installed, version: installedVersion } } : {}),
    });
    if (resolution.kind === 'failed') {
      await this.setSubscriptionStatus(sub, {
        state: installed ? 'AtLatestKnown' : '',
        conditions: conditionsWith({ type: 'ResolutionFailed', status: 'True', reason: 'ConstraintsNotSatisfiable', message: resolution.message }),
      });
      return;
    }
    const target = resolution.kind === 'install' ? resolution.bundle : installed!;
    // The wanted CSV runs: the subscription is at the latest it knows of.
    const targetCsv = await this.rt.kube.get({ apiVersion: OLM, kind: 'ClusterServiceVersion', name: target, namespace: ns }, { signal });
    if (phaseOf(targetCsv ?? undefined) === 'Succeeded') {
      // Once installed, OLM drops the plan conditions.
      const settled = withTimes(status.conditions, [health, ...others.filter((c) => c.type !== 'InstallPlanPending' && c.type !== 'InstallPlanFailed')]);
      await this.setSubscriptionStatus(sub, { installedCSV: target, currentCSV: target, state: 'AtLatestKnown', conditions: settled });
      return;
    }
    if (installed === target) {
      await this.setSubscriptionStatus(sub, { conditions: conditionsWith() });
      return;
    }
    const plans = (await this.rt.kube.list({ apiVersion: OLM, kind: 'InstallPlan', namespace: ns }, { signal })).items.filter((p) => ownedBy(p, sub));
    let plan = plans.find((p) => csvNamesOf(p).includes(target) && phaseOf(p) !== 'Failed');
    const failed = plans.find((p) => csvNamesOf(p).includes(target) && phaseOf(p) === 'Failed');
    if (failed && !plan) {
      await this.setSubscriptionStatus(sub, {
        state: 'UpgradeFailed',
        conditions: conditionsWith({ type: 'InstallPlanFailed', status: 'True', reason: 'InstallComponentFailed', message: messageOf(failed) }),
      });
      return;
    }
    if (!plan) {
      const approval = spec.installPlanApproval ?? 'Automatic';
      plan = await this.rt.kube.create({
        apiVersion: OLM,
        kind: 'InstallPlan',
        metadata: {
          generateName: 'install-',
          namespace: ns,
          ownerReferences: [{ apiVersion: OLM, kind: 'Subscription', name, uid: sub.metadata.uid!, blockOwnerDeletion: false, controller: false }],
          labels: { [`operators.coreos.com/${spec.name}.${ns}`]: '' },
        },
        spec: { clusterServiceVersionNames: [target], approval, approved: approval === 'Automatic', generation: plans.length + 1 },
      });
      plan = (await this.rt.setStatus(plan, {
        phase: approval === 'Manual' ? 'RequiresApproval' : 'Installing',
        catalogSources: [source.name],
        conditions: withTimes([], [{ type: 'Resolved', status: 'True' }]),
        // What the plan replaces, as the resolver records it (resolver.go: c.Replaces = current.Name).
        ...(installed ? { bundleLookups: [{ identifier: target, replaces: installed, catalogSourceRef: { name: source.name, namespace: source.namespace } }] } : {}),
      })) ?? plan;
      this.rt.log(`olm: ${ns}/${plan.metadata.name} for ${target} (${approval})`);
      if (approval !== 'Manual') this.queue.addAfter(`plan:${ns}/${plan.metadata.name}`, this.rt.delay(2000));
    }
    const phase = phaseOf(plan) ?? 'Planning';
    await this.setSubscriptionStatus(sub, {
      currentCSV: target,
      state: 'UpgradePending',
      installPlanRef: { apiVersion: OLM, kind: 'InstallPlan', name: plan.metadata.name, namespace: ns, uid: plan.metadata.uid, resourceVersion: plan.metadata.resourceVersion },
      installplan: { apiVersion: OLM, kind: 'InstallPlan', name: plan.metadata.name, uuid: plan.metadata.uid },
      conditions: conditionsWith({ type: 'InstallPlanPending', status: 'True', reason: phase, ...(phase === 'RequiresApproval' ? { message: 'install plan requires approval' } : {}) }),
    });
  }

  /** The version of an installed CSV: from its spec, else from the catalogs. */
  private async installedVersion(ns: string, csv: string): Promise<string | undefined> {
    const obj = this.csvs.get(csv, ns) ?? (await this.rt.kube.get({ apiVersion: OLM, kind: 'ClusterServiceVersion', name: csv, namespace: ns }, { signal: this.rt.signal }));
    return (obj?.spec as { version?: string } | undefined)?.version ?? this.rt.catalogs.bundle(csv)?.bundle.version;
  }

  /** Writes Subscription status with a fresh lastUpdated, only when something besides it changes. */
  private async setSubscriptionStatus(sub: KubeObject, fields: Record<string, unknown>): Promise<void> {
    const current = (sub.status ?? {}) as Record<string, unknown>;
    const { lastUpdated: _was, ...before } = current;
    const { lastUpdated: _will, ...after } = { ...current, ...fields };
    if (deepEqual(before, after)) return;
    await this.rt.setStatus(sub, { ...fields, lastUpdated: now() });
  }

  private async reconcilePlan(ns: string, name: string): Promise<void> {
    const plan = this.plans.get(name, ns);
    if (!plan) return;
    const spec = (plan.spec ?? {}) as { approved?: boolean; clusterServiceVersionNames?: string[] };
    const phase = phaseOf(plan);
    const conditions = ((plan.status as { conditions?: Condition[] } | undefined)?.conditions ?? []) as Condition[];
    if (phase === 'RequiresApproval' && spec.approved) {
      await this.rt.setStatus(plan, { phase: 'Installing' });
      this.queue.addAfter(`plan:${ns}/${name}`, this.rt.delay(3000));
      return;
    }
    if (phase !== 'Installing') return;
    for (const csv of spec.clusterServiceVersionNames ?? []) {
      if (this.rt.options.faults.installPlanFails?.includes(csv)) {
        await this.rt.setStatus(plan, {
          phase: 'Failed',
          conditions: withTimes(conditions, [
            { type: 'Resolved', status: 'True' },
            { type: 'Installed', status: 'False', reason: 'InstallComponentFailed', message: `error creating csv ${csv}: install strategy failed: deployment rollout failed` },
          ]),
        });
        return;
      }
      const lookup = ((plan.status as { bundleLookups?: { identifier?: string; replaces?: string }[] } | undefined)?.bundleLookups ?? []).find((l) => l.identifier === csv);
      await this.createCsv(ns, csv, lookup?.replaces);
    }
    await this.rt.setStatus(plan, { phase: 'Complete', conditions: withTimes(conditions, [{ type: 'Resolved', status: 'True' }, { type: 'Installed', status: 'True' }]) });
  }

  private async createCsv(ns: string, name: string, replaces: string | undefined): Promise<void> {
    if (this.csvs.get(name, ns) || (await this.rt.kube.get({ apiVersion: OLM, kind: 'ClusterServiceVersion', name, namespace: ns }))) return;
    const found = this.rt.catalogs.bundle(name);
    if (!found) throw new Error(`no catalog holds a bundle named ${name}`);
    const { pkg, bundle } = found;
    const csv = await this.rt.kube.create({
      apiVersion: OLM,
      kind: 'ClusterServiceVersion',
      metadata: {
        name,
        namespace: ns,
        labels: { [`operators.coreos.com/${pkg.name}.${ns}`]: '' },
        // No olm.skipRange here: the RHOAI bundles carry none (RHOAI-Build-Config bundle/manifests);
        // skipRange lives on the catalog's channel entries.
        annotations: { 'operatorframework.io/properties': JSON.stringify({ properties: [{ type: 'olm.package', value: { packageName: pkg.name, version: bundle.version } }] }) },
      },
      spec: {
        displayName: bundle.displayName ?? pkg.displayName ?? pkg.name,
        version: bundle.version,
        ...(replaces ? { replaces } : {}),
        install: { strategy: 'deployment', spec: { deployments: [{ name: operatorDeployment(pkg.name) }] } },
      },
    });
    await this.rt.setStatus(csv, { phase: 'Pending', reason: 'RequirementsUnknown', message: 'requirements not yet checked' });
    this.queue.addAfter(`csv:${ns}/${name}`, this.rt.delay(1500, this.isSlow(pkg.name)));
  }

  private async reconcileCsv(ns: string, name: string): Promise<void> {
    const csv = this.csvs.get(name, ns);
    if (!csv) return;
    const found = this.rt.catalogs.bundle(name);
    if (!found) return;
    const { pkg, bundle } = found;
    const slow = this.isSlow(pkg.name);
    const next = (phase: string, reason: string, message: string, after: number): Promise<unknown> =>
      this.rt.setStatus(csv, { phase, reason, message, lastUpdateTime: now() }).then(() => this.queue.addAfter(`csv:${ns}/${name}`, this.rt.delay(after, slow)));
    switch (phaseOf(csv)) {
      case undefined:
      case 'Pending':
        return void (await next('InstallReady', 'AllRequirementsMet', 'all requirements found, attempting install', 1000));
      case 'InstallReady':
        return void (await next('Installing', 'InstallSucceeded', 'waiting for install components to report healthy', 2000));
      case 'Installing': {
        await this.installBundle(csv, pkg.name, bundle.version);
        await runOperatorDeployment(this.rt, csv, operatorDeployment(pkg.name), `registry.redhat.io/${pkg.name}/operator:v${bundle.version}`);
        await this.rt.setStatus(csv, { phase: 'Succeeded', reason: 'InstallSucceeded', message: 'install strategy completed with no errors', lastUpdateTime: now() });
        // The CSV this one replaces goes away, as OLM garbage-collects it.
        const replaces = (csv.spec as { replaces?: string } | undefined)?.replaces;
        const old = replaces ? this.csvs.get(replaces, ns) : undefined;
        if (old) {
          await this.rt.setStatus(old, { phase: 'Replacing', reason: 'BeingReplaced', message: `being replaced by csv: ${name}` });
          await this.rt.kube.delete({ apiVersion: OLM, kind: 'ClusterServiceVersion', name: replaces!, namespace: ns }).catch(() => undefined);
        }
        // The Subscriptions see it through the CSV watch (reconcileSubscription): one writer of their status.
        this.rt.log(`olm: ${ns}/${name} Succeeded`);
        return;
      }
      default:
        return;
    }
  }

  private isSlow(pkg: string): boolean {
    return this.rt.options.faults.slowOperators?.includes(pkg) ?? false;
  }
}

export function phaseOf(obj: KubeObject | undefined): string | undefined {
  return (obj?.status as { phase?: string } | undefined)?.phase;
}

function csvNamesOf(plan: KubeObject): string[] {
  return (plan.spec as { clusterServiceVersionNames?: string[] } | undefined)?.clusterServiceVersionNames ?? [];
}

function ownedBy(plan: KubeObject, sub: KubeObject): boolean {
  return ((plan.metadata.ownerReferences as { uid?: string }[] | undefined) ?? []).some((o) => o.uid === sub.metadata.uid);
}

function messageOf(plan: KubeObject): string {
  const c = ((plan.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((x) => x.type === 'Installed');
  return c?.message ?? 'install plan failed';
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}
