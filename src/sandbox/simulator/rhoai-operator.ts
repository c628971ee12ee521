// The simulated RHOAI operator. It runs while a rhods-operator CSV is Succeeded and behaves as that
// release's operator (red-hat-data-services/rhods-operator, branches rhoai-2.25 and rhoai-3.3):
// - brings the release's CRDs and webhooks (./rhoai-platform.ts): on 3.3 the DSC and DSCI serve v1
//   and v2, stored as v2, converted by the webhook; nothing rewrites the stored objects;
// - works on every DSC and DSCI that exists, whatever their names, through the release's storage
//   version (v2 on 3.3, as the 3.3 controllers do), and creates a DSCI when there is none
//   (default-dsci, as the operator does at start);
// - per DSC writes the conditions the reconciler framework writes (pkg/controller/reconciler,
//   pkg/controller/conditions): Ready (copied from the unhappy dependent), ProvisioningSucceeded,
//   ComponentsReady ("Some components are not ready: <names>") and `<Kind>Ready` per component
//   (internal/controller/components/<c>/<c>.go UpdateDSCStatus), phase Ready / Not Ready;
// - keeps a component CR `default-<name>` per enabled component, with its Ready condition, and
//   deletes those of components no longer enabled (datasciencecluster_controller_actions.go GC). The
//   3.3 operator does not know CodeFlare or ModelMeshServing and leaves their CRs alone;
// - per DSCI writes ReconcileComplete, Available, Progressing, Degraded, Upgradeable (status.go
//   SetCompleteCondition) and phase Ready; there is no Ready condition on a DSCI.
// Component pre-conditions simulated (each a StopError: `<Kind>Ready` False, reason Error):
// Kueue Managed or Unmanaged without its operator (3.3 kueue_controller_actions.go:22-44; the 2.25
// pair of checks), Ray with any CodeFlare CR present (3.3 ray_controller.go:66), Trainer without the
// JobSet operator or its CR (3.3 trainer_controller_actions.go), KServe serving without Service Mesh
// and Serverless (2.25 kserve_controller_actions.go).
import semver from 'semver';
import type { KubeObject } from '../../kube/types.js';
import type { Release } from '../webhooks/admission.js';
import { componentCrSpec, disabledVerdict, isEnabled, normalise, type Spec, statusExtras, type Verdict } from './component-spec.js';
import {
  CODEFLARE_PRESENT_MESSAGE,
  COMPONENTS,
  type Component,
  JOBSET_OPERATOR_CR_NOT_FOUND_MESSAGE,
  JOBSET_OPERATOR_NOT_INSTALLED_MESSAGE,
  KUEUE_MANAGED_MESSAGE,
  KUEUE_OPERATOR_ALREADY_INSTALLED_MESSAGE_2_25,
  KUEUE_OPERATOR_NOT_INSTALLED_MESSAGE,
  KUEUE_OPERATOR_NOT_INSTALLED_MESSAGE_2_25,
  SERVICE_MESH_NEEDS_MANAGED_MESSAGE_2_25,
  missingServingOperatorsMessage,
} from './components.js';
import { Informer } from './informer.js';
import type { OlmController } from './olm.js';
import { hubVersion, RhoaiPlatform } from './rhoai-platform.js';
import { type Condition, type SimRuntime, withTimes } from './runtime.js';
import { WorkQueue } from './work-queue.js';

const DSC_GROUP = 'datasciencecluster.opendatahub.io';
const DSCI_GROUP = 'dscinitialization.opendatahub.io';
const COMPONENT_GROUP = 'components.platform.opendatahub.io/v1alpha1';
const RELEASE_NAME = 'OpenShift AI Self-Managed';
const DEFAULT_APPLICATIONS_NAMESPACE = 'redhat-ods-applications';
/** The five DSCI conditions (3.3 internal/controller/status/status.go:196-308). */
const DSCI_CONDITIONS = ['ReconcileComplete', 'Available', 'Progressing', 'Degraded', 'Upgradeable'];

/** A condition as the operator writes it: `severity` Info for the informative ones. */
type OdhCondition = Condition & { severity?: string };

export class RhoaiOperator {
  private readonly codeflare: Informer;
  private readonly queue: WorkQueue;
  private readonly platform: RhoaiPlatform;
  /** DSC and DSCI watches through the storage version of the release running. */
  private watched: { release: Release; dscs: Informer; dscis: Informer; stop: AbortController } | undefined;
  /** Component CRs created recently and when their deployments are ready (realistic speed only). */
  private readonly rollout = new Map<string, number>();

  constructor(
    private readonly rt: SimRuntime,
    private readonly olm: OlmController,
    /** Called when a DSC changes: workloads read its defaults. */
    private readonly onDscChange: () => void = () => undefined,
  ) {
    this.codeflare = new Informer(rt.kube, { apiVersion: COMPONENT_GROUP, kind: 'CodeFlare' }, () => this.poke(), rt.signal);
    this.queue = new WorkQueue(() => this.reconcile(), (_k, err) => rt.log(`rhoai: ${(err as Error).message}`));
    this.platform = new RhoaiPlatform(rt);
  }

  /** Informers to run from the start; the DSC/DSCI ones start once the release's CRDs are in place. */
  informers(): Informer[] {
    return [this.codeflare];
  }

  /** Called when the installed operators change. */
  poke(): void {
    this.queue.add('all');
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): void {
    this.queue.stop();
    this.watched?.stop.abort();
    this.platform.stop();
  }

  /** spec.components of the (first) DSC, in the storage version of the release running. */
  dscComponents(): Record<string, Record<string, unknown>> {
    const dsc = this.watched?.dscs.list()[0];
    return ((dsc?.spec as { components?: Record<string, Record<string, unknown>> } | undefined)?.components ?? {}) as Record<string, Record<string, unknown>>;
  }

  /** What the bundle of `version` brings (CRDs, webhooks), put in place while its CSV installs. */
  async installBundle(csv: KubeObject, version: string): Promise<void> {
    const release: Release = semver.major(version) >= 3 ? '3.3' : '2.25';
    await this.platform.ensure(release, { name: csv.metadata.name!, namespace: csv.metadata.namespace! });
  }

  /** The RHOAI version running now, if any. */
  version(): string | undefined {
    return this.installed().get('rhods-operator');
  }

  installed(): Map<string, string> {
    const out = new Map<string, string>();
    for (const csv of this.olm.succeededCsvs()) {
      const pkg = packageOf(csv);
      const version = (csv.spec as { version?: string } | undefined)?.version;
      if (pkg && version && (!out.has(pkg) || semver.gt(version, out.get(pkg)!))) out.set(pkg, version);
    }
    return out;
  }

  private async reconcile(): Promise<void> {
    const version = this.version();
    if (!version) return; // No operator running: nothing reconciles.
    const release: Release = semver.major(version) >= 3 ? '3.3' : '2.25';
    const csv = this.olm.succeededCsvs().find((c) => packageOf(c) === 'rhods-operator' && (c.spec as { version?: string }).version === version);
    await this.platform.ensure(release, { name: csv?.metadata.name ?? `rhods-operator.${version}`, namespace: csv?.metadata.namespace ?? 'redhat-ods-operator' });
    const { dscs, dscis } = await this.watch(release);
    await this.ensureDsci(release, dscis.list());
    const operators = await this.operatorNames();
    for (const dsci of dscis.list()) await this.reconcileDsci(dsci, release, version, operators);
    const applicationsNamespace = String((dscis.list()[0]?.spec as { applicationsNamespace?: string } | undefined)?.applicationsNamespace ?? DEFAULT_APPLICATIONS_NAMESPACE);
    for (const dsc of dscs.list()) await this.reconcileDsc(dsc, release, version, operators, dscis.list()[0], applicationsNamespace);
  }

  /** (Re)starts the DSC and DSCI informers on the storage version of `release`. */
  private async watch(release: Release): Promise<{ dscs: Informer; dscis: Informer }> {
    if (this.watched?.release !== release) {
      this.watched?.stop.abort();
      const stop = new AbortController();
      const signal = AbortSignal.any([this.rt.signal, stop.signal]);
      const version = hubVersion(release);
      const dscs = new Informer(this.rt.kube, { apiVersion: `${DSC_GROUP}/${version}`, kind: 'DataScienceCluster' }, () => {
        this.poke();
        this.onDscChange();
      }, signal);
      const dscis = new Informer(this.rt.kube, { apiVersion: `${DSCI_GROUP}/${version}`, kind: 'DSCInitialization' }, () => this.poke(), signal);
      this.watched = { release, dscs, dscis, stop };
      void dscs.run();
      void dscis.run();
      await Promise.all([dscs.ready, dscis.ready]);
      this.onDscChange();
    }
    return this.watched;
  }

  /** Names of the CSVs installed: what OperatorConditions (one per CSV, named after it) would list. */
  private async operatorNames(): Promise<string[]> {
    // The operator looks for OperatorConditions (pkg/cluster/operator.go OperatorExists). OLM writes
    // one per CSV; the simulated OLM does not, so Succeeded CSVs stand in for them.
    const names = this.olm.succeededCsvs().map((c) => c.metadata.name!);
    const conditions = await this.rt.kube.list({ apiVersion: 'operators.coreos.com/v2', kind: 'OperatorCondition' }, { allNamespaces: true }).catch(() => ({ items: [] as KubeObject[] }));
    return [...names, ...conditions.items.map((c) => c.metadata.name!)];
  }

  private async ensureDsci(release: Release, existing: KubeObject[]): Promise<void> {
    const apiVersion = `${DSCI_GROUP}/${hubVersion(release)}`;
    if (existing.length > 0 || (await this.rt.kube.list({ apiVersion, kind: 'DSCInitialization' })).items.length > 0) return;
    await this.rt.kube.create({
      apiVersion,
      kind: 'DSCInitialization',
      metadata: { name: 'default-dsci' },
      spec: {
        applicationsNamespace: DEFAULT_APPLICATIONS_NAMESPACE,
        monitoring: { managementState: 'Managed', namespace: 'redhat-ods-monitoring', metrics: {} },
        ...(release === '3.3'
          ? {}
          : {
              serviceMesh: {
                managementState: 'Managed',
                controlPlane: { name: 'data-science-smcp', namespace: 'istio-system', metricsCollection: 'Istio' },
                auth: { audiences: ['https://kubernetes.default.svc'] },
              },
            }),
        trustedCABundle: { managementState: 'Managed', customCABundle: '' },
      },
    });
  }

  private async reconcileDsci(dsci: KubeObject, release: Release, version: string, operators: string[]): Promise<void> {
    const previous = ((dsci.status as { conditions?: OdhCondition[] } | undefined)?.conditions ?? []) as OdhCondition[];
    const complete = DSCI_CONDITIONS.map((type): OdhCondition => ({
      type,
      status: type === 'Progressing' || type === 'Degraded' ? 'False' : 'True',
      reason: 'ReconcileCompleted',
      message: 'Reconcile completed successfully',
    }));
    const own = new Set(DSCI_CONDITIONS);
    const extra: OdhCondition[] = [];
    if (release === '2.25') {
      // 2.25 copies the ServiceMesh capability conditions onto the DSCI (internal/controller/
      // dscinitialization/servicemesh.go; services/servicemesh/servicemesh_controller_actions.go:36-95).
      const mesh = String((dsci.spec as { serviceMesh?: { managementState?: string } } | undefined)?.serviceMesh?.managementState ?? 'Removed');
      const ossm = operators.some((n) => n.startsWith('servicemeshoperator.'));
      const pair = (status: 'True' | 'False', reason?: string, meshMessage?: string, authMessage?: string): OdhCondition[] => [
        { type: 'CapabilityServiceMesh', status, ...(reason ? { reason } : {}), ...(meshMessage ? { message: meshMessage } : {}) },
        { type: 'CapabilityServiceMeshAuthorization', status, ...(reason ? { reason } : {}), ...(authMessage ? { message: authMessage } : {}) },
      ];
      if (mesh === 'Removed' || mesh === 'Unmanaged') {
        extra.push(...pair('False', mesh, `ServiceMesh is set to ${mesh}`, `ServiceMesh is set to ${mesh}, ServiceMesh Authorization is therefore also ${mesh}`));
      } else if (!ossm) {
        const text = 'OpenShift ServiceMesh v2 operator not found / not setup properly on the cluster, cannot setup ServiceMesh';
        extra.push(...pair('False', 'MissingOperator', text, `${text} Authorization`));
      } else {
        extra.push(...pair('True'));
      }
      extra.forEach((c) => own.add(c.type));
    }
    // Conditions the release does not write are left as they are (3.3 does not clear the 2.25 ones).
    const kept = previous.filter((c) => !own.has(c.type));
    await this.rt.replaceStatus(dsci, {
      ...(dsci.status as Record<string, unknown>),
      phase: 'Ready',
      conditions: [...kept, ...withTimes(previous, [...complete, ...extra])],
      release: { name: RELEASE_NAME, version },
    });
  }

  private async reconcileDsc(dsc: KubeObject, release: Release, version: string, operators: string[], dsci: KubeObject | undefined, applicationsNamespace: string): Promise<void> {
    const spec = ((dsc.spec as { components?: Spec } | undefined)?.components ?? {}) as Spec;
    const previous = ((dsc.status as { conditions?: OdhCondition[] } | undefined)?.conditions ?? []) as OdhCondition[];
    const generation = dsc.metadata.generation ?? 1;
    const conditions: OdhCondition[] = [];
    const components: Record<string, Record<string, unknown>> = {};
    const installedComponents: Record<string, boolean> = {};
    const notReady: string[] = [];
    let enabledCount = 0;
    let retryAfter: number | undefined;

    for (const c of COMPONENTS[release]) {
      const state = normalise(c.key ? spec[c.key]?.managementState : undefined);
      const enabled = isEnabled(c, spec, release);
      if (c.key) {
        components[c.key] = { managementState: state, ...statusExtras(c.key, spec[c.key], release, applicationsNamespace) };
        if (c.installedKey) installedComponents[c.installedKey] = enabled;
      }
      let verdict: Verdict;
      if (!enabled) {
        verdict = disabledVerdict(c, spec);
        await this.deleteComponentCr(c);
      } else {
        enabledCount++;
        const blocker = await this.blocker(c, spec, release, operators, dsci);
        const { cr, readyAt } = await this.ensureComponentCr(c, spec);
        const wait = readyAt - Date.now();
        if (blocker) verdict = { status: 'False', reason: 'Error', message: blocker };
        else if (wait > 0) {
          // A component just enabled: its deployments roll out first (action_deployments_available.go:105-113).
          verdict = { status: 'False', reason: 'DeploymentsNotReady', message: '0/1 deployments ready' };
          retryAfter = Math.min(retryAfter ?? wait, wait);
        } else verdict = { status: 'True' };
        if (cr) await this.setComponentCrStatus(cr, verdict);
        if (verdict.status === 'False') notReady.push(c.name);
      }
      conditions.push({ type: `${c.condition}Ready`, ...verdict });
    }

    const componentsReady: OdhCondition =
      notReady.length > 0
        ? { type: 'ComponentsReady', status: 'False', reason: 'NotReady', message: `Some components are not ready: ${notReady.join(',')}` }
        : enabledCount === 0
          ? { type: 'ComponentsReady', status: 'True', reason: 'NoManagedComponents', message: 'NoManagedComponents', severity: 'Info' }
          : { type: 'ComponentsReady', status: 'True' };
    const provisioning: OdhCondition = this.rt.options.faults.dscNeverReady
      ? { type: 'ProvisioningSucceeded', status: 'False', reason: 'Error', message: 'reconcile error: failed to apply manifests (simulated fault)' }
      : { type: 'ProvisioningSucceeded', status: 'True' };
    // Ready copies the unhappy dependent (ProvisioningSucceeded first: its error stops the reconcile).
    const unhappy = [provisioning, componentsReady].find((c) => c.status === 'False');
    const ready: OdhCondition = unhappy ? { type: 'Ready', status: 'False', reason: unhappy.reason!, message: unhappy.message! } : { type: 'Ready', status: 'True' };
    const all = withTimes(previous, [ready, provisioning, componentsReady, ...conditions]).sort((a, b) => a.type.localeCompare(b.type));

    await this.rt.replaceStatus(dsc, {
      phase: ready.status === 'True' ? 'Ready' : 'Not Ready',
      conditions: all,
      components,
      ...(release === '2.25' ? { installedComponents } : {}),
      release: { name: RELEASE_NAME, version },
      observedGeneration: generation,
    });
    if (retryAfter !== undefined) this.queue.addAfter('all', retryAfter);
  }

  /** The StopError of an enabled component's pre-conditions, if any. */
  private async blocker(c: Component, spec: Spec, release: Release, operators: string[], dsci: KubeObject | undefined): Promise<string | undefined> {
    const state = normalise(c.key ? spec[c.key]?.managementState : undefined);
    const has = (prefix: string): boolean => operators.some((n) => n.startsWith(prefix));
    if (c.name === 'kueue') {
      if (release === '3.3') {
        if (state === 'Managed') return KUEUE_MANAGED_MESSAGE;
        if (state === 'Unmanaged' && !has('kueue-operator.')) return KUEUE_OPERATOR_NOT_INSTALLED_MESSAGE;
      } else {
        if (state === 'Managed' && has('kueue-operator.')) return KUEUE_OPERATOR_ALREADY_INSTALLED_MESSAGE_2_25;
        if (state === 'Unmanaged' && !has('kueue-operator.')) return KUEUE_OPERATOR_NOT_INSTALLED_MESSAGE_2_25;
      }
    }
    if (c.name === 'ray' && release === '3.3' && this.codeflare.list().length > 0) return CODEFLARE_PRESENT_MESSAGE;
    if (c.name === 'trainer') {
      if (!has('jobset-operator.')) return JOBSET_OPERATOR_NOT_INSTALLED_MESSAGE;
      const cr = await this.rt.kube.get({ apiVersion: 'operator.openshift.io/v1', kind: 'JobSetOperator', name: 'cluster' }).catch(() => null);
      if (!cr) return JOBSET_OPERATOR_CR_NOT_FOUND_MESSAGE;
    }
    if (c.name === 'kserve' && release === '2.25') {
      // No serving block at all is the Go zero value, not the schema default: no Knative serving.
      const serving = (spec.kserve?.serving as { managementState?: string } | undefined)?.managementState;
      if (serving === 'Managed') {
        const mesh = (dsci?.spec as { serviceMesh?: { managementState?: string } } | undefined)?.serviceMesh?.managementState;
        if (mesh !== 'Managed') return SERVICE_MESH_NEEDS_MANAGED_MESSAGE_2_25;
        return missingServingOperatorsMessage({ serviceMesh: !has('servicemeshoperator.'), serverless: !has('serverless-operator.') });
      }
    }
    return undefined;
  }

  /** The component's CR, created when missing, and when its deployments are ready. */
  private async ensureComponentCr(c: Component, spec: Spec): Promise<{ cr: KubeObject | null; readyAt: number }> {
    const name = `default-${c.name}`;
    const ref = { apiVersion: COMPONENT_GROUP, kind: c.kind, name };
    let cr = await this.rt.kube.get(ref);
    if (!cr) {
      cr = await this.rt.kube.create({ ...ref, metadata: { name }, spec: componentCrSpec(c, spec) }).catch(() => null);
      if (this.rt.options.speed > 0) this.rollout.set(name, Date.now() + this.rt.delay(3000));
    }
    const until = this.rollout.get(name);
    if (until !== undefined && until <= Date.now()) this.rollout.delete(name);
    return { cr, readyAt: until ?? 0 };
  }

  private async setComponentCrStatus(cr: KubeObject, verdict: Verdict): Promise<void> {
    const previous = (cr.status as { conditions?: Condition[] } | undefined)?.conditions;
    const provisioning: OdhCondition = verdict.reason === 'Error' ? { type: 'ProvisioningSucceeded', status: 'False', reason: 'Error', message: verdict.message! } : { type: 'ProvisioningSucceeded', status: 'True' };
    const ready: OdhCondition = { type: 'Ready', status: verdict.status, ...(verdict.reason ? { reason: verdict.reason } : {}), ...(verdict.message ? { message: verdict.message } : {}) };
    await this.rt.replaceStatus(cr, {
      phase: verdict.status === 'True' ? 'Ready' : 'Not Ready',
      observedGeneration: cr.metadata.generation ?? 1,
      conditions: withTimes(previous, [provisioning, ready]),
    });
  }

  private async deleteComponentCr(c: Component): Promise<void> {
    const ref = { apiVersion: COMPONENT_GROUP, kind: c.kind, name: `default-${c.name}` };
    this.rollout.delete(ref.name);
    const exists = c.kind === 'CodeFlare' ? this.codeflare.get(ref.name) !== undefined : (await this.rt.kube.get(ref)) !== null;
    if (exists) await this.rt.kube.delete(ref).catch(() => undefined);
  }
}

function packageOf(csv: KubeObject): string | undefined {
  return Object.keys(csv.metadata.labels ?? {}).find((l) => l.startsWith('operators.coreos.com/'))?.slice('operators.coreos.com/'.length).split('.')[0];
}
