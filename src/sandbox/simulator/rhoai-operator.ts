// The simulated RHOAI operator. It runs while a rhods-operator CSV is Succeeded and behaves as the
// installed version does: creates the default DSCI, computes DSC and DSCI phase and conditions from
// their spec, keeps a component CR per managed component, reports status.release.version, and in
// 3.3 applies the 3.3 rules (Kueue Managed refused with the guide's message, CodeFlare presence
// fails Ray, datasciencepipelines becomes aipipelines, 2.x-only components dropped).
import semver from 'semver';
import type { KubeObject } from '../../kube/types.js';
import {
  CODEFLARE_PRESENT_MESSAGE,
  COMPONENTS_2_25,
  COMPONENTS_3_3,
  KUEUE_MANAGED_MESSAGE,
  type Component,
} from './components.js';
import { Informer } from './informer.js';
import type { OlmController } from './olm.js';
import { type Condition, type SimRuntime, withTimes } from './runtime.js';
import { WorkQueue } from './work-queue.js';

const DSC = { apiVersion: 'datasciencecluster.opendatahub.io/v1', kind: 'DataScienceCluster' };
const DSC_V2 = { apiVersion: 'datasciencecluster.opendatahub.io/v2', kind: 'DataScienceCluster' };
const DSCI = { apiVersion: 'dscinitialization.opendatahub.io/v1', kind: 'DSCInitialization' };
const COMPONENT_GROUP = 'components.platform.opendatahub.io/v1alpha1';
const RELEASE_NAME = 'OpenShift AI Self-Managed';

export interface InstalledOperators {
  /** Version of each package with a Succeeded CSV. */
  versions(): Map<string, string>;
}

export class RhoaiOperator {
  private readonly dscs: Informer;
  private readonly dscis: Informer;
  private readonly codeflare: Informer;
  private readonly queue: WorkQueue;
  /** DSC generations being reconciled, and since when (realistic delays only). */
  private readonly reconciling = new Map<string, number>();
  /** The version whose rules were last applied, to notice an upgrade. */
  private appliedVersion: string | undefined;

  constructor(
    private readonly rt: SimRuntime,
    private readonly olm: OlmController,
    /** Called when a DSC changes: workloads read its defaults. */
    private readonly onDscChange: () => void = () => undefined,
  ) {
    const all = (): void => this.queue.add('all');
    this.dscs = new Informer(rt.kube, DSC_V2, () => {
      all();
      this.onDscChange();
    }, rt.signal);
    this.dscis = new Informer(rt.kube, { apiVersion: 'dscinitialization.opendatahub.io/v2', kind: 'DSCInitialization' }, all, rt.signal);
    this.codeflare = new Informer(rt.kube, { apiVersion: COMPONENT_GROUP, kind: 'CodeFlare' }, all, rt.signal);
    this.queue = new WorkQueue(() => this.reconcile(), (_k, err) => rt.log(`rhoai: ${(err as Error).message}`));
  }

  informers(): Informer[] {
    return [this.dscs, this.dscis, this.codeflare];
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
  }

  /** spec.components of the (first) DSC. */
  dscComponents(): Record<string, Record<string, unknown>> {
    const dsc = this.dscs.list()[0];
    return ((dsc?.spec as { components?: Record<string, Record<string, unknown>> } | undefined)?.components ?? {}) as Record<string, Record<string, unknown>>;
  }

  /** The RHOAI version running now, if any. */
  version(): string | undefined {
    return this.installed().get('rhods-operator');
  }

  installed(): Map<string, string> {
    const out = new Map<string, string>();
    for (const csv of this.olm.succeededCsvs()) {
      const pkg = Object.keys(csv.metadata.labels ?? {}).find((l) => l.startsWith('operators.coreos.com/'))?.slice('operators.coreos.com/'.length).split('.')[0];
      const version = (csv.spec as { version?: string } | undefined)?.version;
      if (pkg && version && (!out.has(pkg) || semver.gt(version, out.get(pkg)!))) out.set(pkg, version);
    }
    return out;
  }

  private async reconcile(): Promise<void> {
    const version = this.version();
    if (!version) return; // No operator running: nothing reconciles.
    const major3 = semver.major(version) >= 3;
    if (this.appliedVersion !== version) {
      this.rt.log(`rhoai: operator ${version} running`);
      if (major3) await this.convertTo3();
      this.appliedVersion = version;
    }
    await this.ensureDsci(version);
    for (const dsci of this.dscis.list()) await this.reconcileDsci(dsci, version);
    for (const dsc of this.dscs.list()) await this.reconcileDsc(dsc, version);
  }

  private async ensureDsci(version: string): Promise<void> {
    if (this.dscis.list().length > 0 || (await this.rt.kube.list(DSCI)).items.length > 0) return;
    const major3 = semver.major(version) >= 3;
    await this.rt.kube.create({
      ...DSCI,
      metadata: { name: 'default-dsci' },
      spec: {
        applicationsNamespace: 'redhat-ods-applications',
        monitoring: { managementState: 'Managed', namespace: 'redhat-ods-monitoring', metrics: {} },
        ...(major3
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

  /** What the 3.x operator does to 2.x objects: the v1 → v2 field changes. */
  private async convertTo3(): Promise<void> {
    for (const dsc of (await this.rt.kube.list(DSC_V2)).items) {
      const components = ((dsc.spec as { components?: Record<string, Record<string, unknown>> } | undefined)?.components ?? {}) as Record<string, Record<string, unknown> | null>;
      const patch: Record<string, unknown> = {};
      if (components.datasciencepipelines) {
        patch.aipipelines = components.aipipelines ?? components.datasciencepipelines;
        patch.datasciencepipelines = null;
      }
      if (components.modelmeshserving) patch.modelmeshserving = null;
      if (components.codeflare) patch.codeflare = null;
      if (components.kserve && ('serving' in components.kserve || 'defaultDeploymentMode' in components.kserve)) {
        patch.kserve = { serving: null, defaultDeploymentMode: null };
      }
      if (Object.keys(patch).length) {
        await this.rt.kube.patch({ ...DSC_V2, name: dsc.metadata.name! }, 'merge', { spec: { components: patch } });
      }
    }
  }

  private async reconcileDsci(dsci: KubeObject, version: string): Promise<void> {
    const spec = (dsci.spec ?? {}) as { serviceMesh?: { managementState?: string } };
    const previous = (dsci.status as { conditions?: Condition[] } | undefined)?.conditions;
    const major3 = semver.major(version) >= 3;
    const meshManaged = spec.serviceMesh?.managementState === 'Managed';
    const ossm2 = this.installed().has('servicemeshoperator');
    const conditions: Condition[] = [
      { type: 'ReconcileComplete', status: 'True', reason: 'ReconcileCompleted', message: 'Reconcile completed successfully' },
      { type: 'Available', status: 'True', reason: 'ReconcileCompleted', message: 'Reconcile completed successfully' },
      { type: 'Progressing', status: 'False', reason: 'ReconcileCompleted', message: 'Reconcile completed successfully' },
    ];
    let degraded: Condition = { type: 'Degraded', status: 'False', reason: 'ReconcileCompleted', message: 'Reconcile completed successfully' };
    if (!major3 && meshManaged && !ossm2) {
      degraded = { type: 'Degraded', status: 'True', reason: 'ServiceMeshOperatorNotInstalled', message: 'failed to find the pre-requisite Service Mesh Operator subscription, please ensure Service Mesh Operator is installed' };
    }
    if (major3 && (meshManaged || ossm2)) {
      degraded = {
        type: 'Degraded',
        status: 'True',
        reason: 'ServiceMeshV2Present',
        message: 'OpenShift Service Mesh 2 is no longer used by OpenShift AI 3.x: set serviceMesh to Removed and uninstall the servicemeshoperator subscription',
      };
    }
    conditions.push(degraded, { type: 'Upgradeable', status: 'True', reason: 'ReconcileCompleted', message: '' });
    await this.rt.replaceStatus(dsci, {
      ...(dsci.status as Record<string, unknown>),
      phase: degraded.status === 'True' && !major3 ? 'Error' : 'Ready',
      conditions: withTimes(previous, conditions),
      release: { name: RELEASE_NAME, version },
      observedGeneration: dsci.metadata.generation ?? 1,
    });
  }

  private async reconcileDsc(dsc: KubeObject, version: string): Promise<void> {
    const major3 = semver.major(version) >= 3;
    const components = ((dsc.spec as { components?: Record<string, Record<string, unknown>> } | undefined)?.components ?? {}) as Record<string, Record<string, unknown>>;
    const status = (dsc.status ?? {}) as { conditions?: Condition[]; observedGeneration?: number };
    const installed = this.installed();
    const table = major3 ? COMPONENTS_3_3 : COMPONENTS_2_25;

    // A spec change is reconciled over a few seconds: Not Ready first, then the result.
    const generation = dsc.metadata.generation ?? 1;
    if (status.observedGeneration !== generation && this.rt.options.speed > 0) {
      const key = `${dsc.metadata.name}@${generation}`;
      const since = this.reconciling.get(key);
      const took = this.rt.delay(3000);
      if (since === undefined) {
        this.reconciling.set(key, Date.now());
        await this.rt.setStatus(dsc, {
          phase: 'Not Ready',
          conditions: withTimes(status.conditions, [...(status.conditions ?? []).filter((c) => c.type !== 'Ready'), { type: 'Ready', status: 'False', reason: 'Reconciling', message: 'Reconciling the DataScienceCluster' }]),
        });
        this.queue.addAfter('all', took);
        return;
      }
      if (Date.now() - since < took) {
        this.queue.addAfter('all', took - (Date.now() - since));
        return;
      }
      this.reconciling.delete(key);
    }

    const conditions: Condition[] = [];
    const componentStatus: Record<string, unknown> = {};
    const installedComponents: Record<string, boolean> = {};
    const failures: string[] = [];
    for (const c of table) {
      const spec = components[c.key] ?? {};
      const state = String(spec.managementState ?? 'Removed');
      componentStatus[c.key] = { managementState: state };
      installedComponents[c.key] = state === 'Managed';
      const verdict = this.componentVerdict(c, state, spec, major3, installed);
      conditions.push({ type: `${c.condition}Ready`, ...verdict });
      if (verdict.status === 'False' && verdict.reason !== 'Removed' && verdict.reason !== 'Unmanaged') failures.push(`${c.condition}Ready: ${verdict.message}`);
      await this.syncComponentCr(c, state === 'Managed', major3);
    }
    if (this.rt.options.faults.dscNeverReady) failures.push('reconcile error: failed to apply manifests (simulated fault)');
    const ready = failures.length === 0;
    conditions.unshift(
      { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'Ready' : 'Error', message: ready ? 'Ready' : `Some components are not ready: ${failures.join('; ')}` },
      { type: 'ProvisioningSucceeded', status: 'True', reason: 'DSCReconciled', message: 'DataScienceCluster resource reconciled successfully' },
      { type: 'ComponentsReady', status: ready ? 'True' : 'False', reason: ready ? 'Ready' : 'NotReady', message: ready ? 'All managed components are ready' : failures.join('; ') },
    );
    await this.rt.replaceStatus(dsc, {
      phase: ready ? 'Ready' : 'Not Ready',
      conditions: withTimes(status.conditions, conditions),
      components: componentStatus,
      installedComponents,
      release: { name: RELEASE_NAME, version },
      observedGeneration: generation,
    });
  }

  private componentVerdict(
    c: Component,
    state: string,
    spec: Record<string, unknown>,
    major3: boolean,
    installed: Map<string, string>,
  ): Omit<Condition, 'type'> {
    if (c.key === 'kueue' && major3 && state === 'Managed') return { status: 'False', reason: 'InvalidManagementState', message: KUEUE_MANAGED_MESSAGE };
    if (state === 'Removed') return { status: 'False', reason: 'Removed', message: 'Component ManagementState is set to Removed' };
    if (state === 'Unmanaged') {
      if (c.key === 'kueue' && major3 && !installed.has('kueue-operator')) {
        return { status: 'False', reason: 'KueueOperatorNotInstalled', message: 'Kueue is Unmanaged but the Red Hat build of Kueue operator is not installed' };
      }
      return { status: 'False', reason: 'Unmanaged', message: 'Component ManagementState is set to Unmanaged' };
    }
    if (c.key === 'ray' && major3 && this.codeflare.list().length > 0) return { status: 'False', reason: 'Error', message: CODEFLARE_PRESENT_MESSAGE };
    if (c.key === 'kserve' && !major3) {
      const serving = (spec.serving as { managementState?: string } | undefined)?.managementState;
      if (serving === 'Managed' && !installed.has('serverless-operator')) {
        return { status: 'False', reason: 'ServerlessOperatorMissingError', message: 'operator serverless-operator not found. Please install the operator before enabling kserve component' };
      }
    }
    return { status: 'True', reason: 'Ready', message: 'Component is ready' };
  }

  /** Managed components have their `default-<key>` CR; the 3.x operator knows nothing of CodeFlare. */
  private async syncComponentCr(c: Component, managed: boolean, major3: boolean): Promise<void> {
    const ref = { apiVersion: COMPONENT_GROUP, kind: c.kind, name: `default-${c.key}` };
    const exists = c.key === 'codeflare' ? this.codeflare.list().some((o) => o.metadata.name === ref.name) : undefined;
    if (managed) {
      if (exists === true) return;
      if (exists === undefined && (await this.rt.kube.get(ref))) return;
      await this.rt.kube.create({ ...ref, metadata: { name: ref.name }, spec: { managementState: 'Managed' } }).catch(() => undefined);
    } else if (!(major3 && c.key === 'codeflare')) {
      if (exists === false) return;
      await this.rt.kube.delete(ref).catch(() => undefined);
    }
  }
}
