// What a cluster does for the RAG stack beyond the RHOAI operator (guide 003), played on the
// sandbox's control plane, which runs no scheduler, no deployment controller and no volume
// provisioner:
//
// - A dynamic provisioner with the PV binder: a Pending PVC whose StorageClass exists (the one it
//   names, else the class annotated storageclass.kubernetes.io/is-default-class) gets a
//   PersistentVolume pvc-<uid> with a claimRef to it, spec.volumeName and the binder's
//   annotations, and both go Bound. Without a StorageClass a PVC stays Pending, as on a cluster
//   with no default class; the other scenarios have none, so their PVCs are left alone.
// - The deployment controller and the scheduler for the stack's own Deployments (labelled
//   app.kubernetes.io/part-of=rag-stack) and the Docling operator's: a ReplicaSet and one pod on
//   the simulated kubelet's node once every PVC the pod mounts is Bound. Pods go through
//   admission (./rag-stack-admission.ts: the mesh sidecar, the anyuid SCC).
// - The Docling operator (docling-project/docling-operator, main): for a DoclingServe, the
//   ServiceAccount docling-serve (internal/reconcilers/service_account.go), Deployment
//   <name>-deployment with pod labels app=docling-serve, doclingserve_cr=<name> and container
//   docling-serve on port 5001 (deployment.go, labels.go), Service <name>-service on 5001
//   (service.go), and the status conditions of internal/reconcilers/status.go: DeploymentCreated,
//   DeploymentAvailable (the Deployment's Available), the Deployment's last condition under its own
//   type, ServiceCreated, and RouteCreated (reason RouteDisabled when spec.route.enabled is false).
import { createHash, randomBytes } from 'node:crypto';
import type { Kubelet } from '../kubelet/index.js';
import { statusCodeOf } from '../../kube/errors.js';
import type { KubeObject, ResourceRef } from '../../kube/types.js';
import { Informer, keyOf } from './informer.js';
import { RagStackAdmission } from './rag-stack-admission.js';
import { RagStackEndpoints } from './rag-stack-endpoints.js';
import { PART_OF, RAG_STACK } from './rag-stack-names.js';
import { type Condition, type SimRuntime, withTimes } from './runtime.js';
import { WorkQueue } from './work-queue.js';

const APPS = 'apps/v1';
const DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
const PVC: ResourceRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' };
const DEPLOYMENT: ResourceRef = { apiVersion: APPS, kind: 'Deployment' };
const DOCLING: ResourceRef = { apiVersion: 'docling.github.io/v1alpha1', kind: 'DoclingServe' };

type Owner = { apiVersion?: string; kind?: string; name?: string; uid?: string; controller?: boolean };
const ownersOf = (o: KubeObject): Owner[] => (o.metadata.ownerReferences ?? []) as Owner[];
const ownedBy = (o: KubeObject, uid: string): boolean => ownersOf(o).some((r) => r.uid === uid);
const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const cond = (type: string, ok: boolean | 'Unknown', reason: string, message: string): Condition => ({ type, status: ok === 'Unknown' ? 'Unknown' : ok ? 'True' : 'False', reason, message });

function hashOf(text: string, length: number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const digest = createHash('sha256').update(text).digest();
  return [...digest.subarray(0, length)].map((b) => alphabet[b % alphabet.length]).join('');
}

function podSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** A Deployment this module runs pods for: the stack's own, or one the Docling operator made. */
function ours(d: KubeObject): boolean {
  return d.metadata.labels?.[PART_OF] === RAG_STACK || ownersOf(d).some((o) => o.kind === 'DoclingServe' && o.controller === true);
}

export class RagStackControllers {
  private readonly pvcs: Informer;
  private readonly deployments: Informer;
  private readonly docling: Informer;
  private readonly queue: WorkQueue;
  readonly admission: RagStackAdmission;

  constructor(
    private readonly rt: SimRuntime,
    private readonly kubelet: Kubelet,
  ) {
    this.admission = new RagStackAdmission(rt);
    this.pvcs = new Informer(rt.kube, PVC, (_t, o) => {
      this.queue.add(`pvc|${keyOf(o)}`);
      // A pod waits for its claims: their binding lets the stack's Deployments in the namespace go on.
      for (const d of this.deployments.list(o.metadata.namespace)) if (ours(d)) this.queue.add(`deployment|${keyOf(d)}`);
    }, rt.signal);
    this.deployments = new Informer(rt.kube, DEPLOYMENT, (_t, o) => {
      if (ours(o)) this.queue.add(`deployment|${keyOf(o)}`);
      for (const owner of ownersOf(o)) if (owner.kind === 'DoclingServe' && owner.name) this.queue.add(`docling|${o.metadata.namespace}/${owner.name}`);
    }, rt.signal);
    this.docling = new Informer(rt.kube, DOCLING, (_t, o) => this.queue.add(`docling|${keyOf(o)}`), rt.signal);
    this.queue = new WorkQueue((k) => this.reconcile(k), (k, err) => rt.log(`rag-stack: ${k}: ${(err as Error).message}`), 4);
    // What the stack's Routes and the vLLM InferenceServices answer on the sandbox's endpoint server.
    new RagStackEndpoints(rt).register(rt.endpoints);
  }

  all(): Informer[] {
    return [this.pvcs, this.deployments, this.docling];
  }

  pokeAll(): void {
    for (const o of this.pvcs.list()) this.queue.add(`pvc|${keyOf(o)}`);
    for (const o of this.deployments.list()) if (ours(o)) this.queue.add(`deployment|${keyOf(o)}`);
    for (const o of this.docling.list()) this.queue.add(`docling|${keyOf(o)}`);
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): void {
    this.queue.stop();
    this.admission.stop();
  }

  private async reconcile(key: string): Promise<void> {
    const [what, objKey] = key.split('|') as [string, string];
    const [ns, name] = objKey.split('/') as [string, string];
    if (what === 'pvc') {
      const pvc = this.pvcs.get(name, ns);
      if (pvc && !pvc.metadata.deletionTimestamp) await this.provision(pvc);
    } else if (what === 'deployment') {
      const d = this.deployments.get(name, ns);
      if (d && !d.metadata.deletionTimestamp) await this.runDeployment(d);
    } else if (what === 'docling') {
      const cr = this.docling.get(name, ns);
      if (cr && !cr.metadata.deletionTimestamp) await this.reconcileDocling(cr);
    }
  }

  // ---- PVCs ----

  private async provision(pvc: KubeObject): Promise<void> {
    const spec = (pvc.spec ?? {}) as { storageClassName?: string; volumeName?: string; accessModes?: string[]; resources?: { requests?: { storage?: string } }; volumeMode?: string };
    if ((pvc.status as { phase?: string } | undefined)?.phase === 'Bound') return;
    const kube = this.rt.kube;
    const classes = (await kube.list({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass' })).items;
    const sc = spec.storageClassName !== undefined ? classes.find((c) => c.metadata.name === spec.storageClassName) : classes.find((c) => c.metadata.annotations?.[DEFAULT_CLASS] === 'true');
    if (!sc) return; // No class, no provisioner: Pending, as on a cluster without a default class.
    const provisioner = (sc as { provisioner?: string }).provisioner ?? 'sandbox';
    const ns = pvc.metadata.namespace!;
    const name = pvc.metadata.name!;
    const pvName = spec.volumeName || `pvc-${pvc.metadata.uid}`;
    const storage = spec.resources?.requests?.storage ?? '1Gi';
    const accessModes = spec.accessModes ?? ['ReadWriteOnce'];
    let pv = await kube.get({ apiVersion: 'v1', kind: 'PersistentVolume', name: pvName });
    if (!pv) {
      pv = await kube.create({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: pvName, annotations: { 'pv.kubernetes.io/provisioned-by': provisioner } },
        spec: {
          capacity: { storage },
          accessModes,
          persistentVolumeReclaimPolicy: (sc as { reclaimPolicy?: string }).reclaimPolicy ?? 'Delete',
          storageClassName: sc.metadata.name,
          volumeMode: spec.volumeMode ?? 'Filesystem',
          hostPath: { path: `/var/lib/sandbox-volumes/${pvName}` },
          claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name, uid: pvc.metadata.uid },
        },
      });
    }
    let claim = pvc;
    if (!spec.volumeName) {
      claim = await kube.patch({ ...PVC, name, namespace: ns }, 'merge', {
        metadata: {
          annotations: {
            'pv.kubernetes.io/bind-completed': 'yes',
            'pv.kubernetes.io/bound-by-controller': 'yes',
            'volume.beta.kubernetes.io/storage-provisioner': provisioner,
            'volume.kubernetes.io/storage-provisioner': provisioner,
          },
        },
        spec: { volumeName: pvName, ...(spec.storageClassName === undefined ? { storageClassName: sc.metadata.name } : {}) },
      });
    }
    await this.rt.setStatus(pv, { phase: 'Bound' });
    await this.rt.setStatus(claim, { phase: 'Bound', accessModes, capacity: { storage } });
  }

  // ---- Deployments ----

  private async claimsBound(ns: string, template: { spec?: { volumes?: { persistentVolumeClaim?: { claimName?: string } }[] } }): Promise<boolean> {
    for (const v of template.spec?.volumes ?? []) {
      const claim = v.persistentVolumeClaim?.claimName;
      if (!claim) continue;
      const pvc = this.pvcs.get(claim, ns) ?? (await this.rt.kube.get({ ...PVC, name: claim, namespace: ns }));
      if ((pvc?.status as { phase?: string } | undefined)?.phase !== 'Bound') return false;
    }
    return true;
  }

  private async runDeployment(d: KubeObject): Promise<void> {
    const kube = this.rt.kube;
    const ns = d.metadata.namespace!;
    const name = d.metadata.name!;
    const spec = (d.spec ?? {}) as { replicas?: number; template?: { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> } };
    const template = spec.template ?? {};
    const replicas = Math.min(spec.replicas ?? 1, 1);
    const hash = hashOf(JSON.stringify(template), 10);
    const rsName = `${name}-${hash}`;
    const podLabels = { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash };
    const owner = (o: KubeObject, kind: string) => [{ apiVersion: kind === 'Deployment' ? APPS : APPS, kind, name: o.metadata.name!, uid: o.metadata.uid!, controller: true, blockOwnerDeletion: true }];
    let rs = await kube.get({ apiVersion: APPS, kind: 'ReplicaSet', name: rsName, namespace: ns });
    if (!rs) {
      rs = await kube.create({
        apiVersion: APPS,
        kind: 'ReplicaSet',
        metadata: { name: rsName, namespace: ns, labels: podLabels, annotations: { 'deployment.kubernetes.io/desired-replicas': String(replicas), 'deployment.kubernetes.io/revision': '1' }, ownerReferences: owner(d, 'Deployment') },
        spec: { replicas, selector: { matchLabels: podLabels }, template: { ...template, metadata: { ...(template.metadata ?? {}), labels: podLabels } } },
      });
    }
    const replicaSet = rs;
    const pods = (await kube.list({ apiVersion: 'v1', kind: 'Pod', namespace: ns })).items.filter((p) => ownedBy(p, replicaSet.metadata.uid!) && !p.metadata.deletionTimestamp);
    let pod = pods[0];
    let waiting: string | undefined;
    if (!pod && replicas > 0) {
      if (!(await this.claimsBound(ns, template))) waiting = 'a PersistentVolumeClaim it mounts is not Bound';
      else {
        try {
          pod = await kube.create({
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: `${rsName}-${podSuffix()}`, namespace: ns, labels: podLabels, ownerReferences: owner(replicaSet, 'ReplicaSet') },
            spec: { ...(template.spec ?? {}), nodeName: this.kubelet.nodeName },
          });
        } catch (err) {
          if (statusCodeOf(err) !== 403 && statusCodeOf(err) !== 422) throw err;
          waiting = (err as Error).message;
        }
      }
    }
    if (pod) await this.kubelet.ensureRunning(ns, pod.metadata.name!);
    const n = pod ? 1 : 0;
    const t = now();
    await this.rt.setStatus(replicaSet, {
      replicas: n,
      fullyLabeledReplicas: n,
      readyReplicas: n,
      availableReplicas: n,
      observedGeneration: replicaSet.metadata.generation,
      ...(waiting && !pod ? { conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: waiting, lastTransitionTime: t }] } : { conditions: null }),
    });
    const previous = ((d.status as { conditions?: Condition[] } | undefined)?.conditions ?? []) as Condition[];
    await this.rt.setStatus(d, {
      observedGeneration: d.metadata.generation,
      replicas: n,
      updatedReplicas: n,
      readyReplicas: n,
      availableReplicas: n,
      unavailableReplicas: replicas - n,
      conditions: withTimes(previous, [
        pod
          ? cond('Available', true, 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
          : cond('Available', false, 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'),
        ...(waiting ? [cond('ReplicaFailure', true, 'FailedCreate', waiting)] : []),
        pod
          ? cond('Progressing', true, 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`)
          : cond('Progressing', true, 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`),
      ]),
    });
  }

  // ---- Docling ----

  private async reconcileDocling(cr: KubeObject): Promise<void> {
    const kube = this.rt.kube;
    const ns = cr.metadata.namespace!;
    const name = cr.metadata.name!;
    const spec = (cr.spec ?? {}) as { apiServer?: { image?: string; enableUI?: boolean }; engine?: { local?: { numWorkers?: number } }; route?: { enabled?: boolean } };
    const labels = { app: 'docling-serve', doclingserve_cr: name };
    const owner = [{ apiVersion: cr.apiVersion, kind: cr.kind, name, uid: cr.metadata.uid!, controller: true, blockOwnerDeletion: true }];
    if (!(await kube.get({ apiVersion: 'v1', kind: 'ServiceAccount', name: 'docling-serve', namespace: ns }))) {
      await kube.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'docling-serve', namespace: ns, labels, ownerReferences: owner } });
    }
    let deployment = await kube.get({ ...DEPLOYMENT, name: `${name}-deployment`, namespace: ns });
    if (!deployment) {
      deployment = await kube.create({
        apiVersion: APPS,
        kind: 'Deployment',
        metadata: { name: `${name}-deployment`, namespace: ns, labels, ownerReferences: owner },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: 'docling-serve',
              containers: [
                {
                  name: 'docling-serve',
                  image: spec.apiServer?.image ?? 'quay.io/docling-project/docling-serve:latest',
                  ports: [{ name: 'http', containerPort: 5001, protocol: 'TCP' }],
                  env: [
                    { name: 'DOCLING_SERVE_ENABLE_UI', value: String(spec.apiServer?.enableUI ?? false) },
                    { name: 'DOCLING_SERVE_ENG_LOC_NUM_WORKERS', value: String(spec.engine?.local?.numWorkers ?? 2) },
                  ],
                },
              ],
            },
          },
        },
      });
    }
    let service = await kube.get({ apiVersion: 'v1', kind: 'Service', name: `${name}-service`, namespace: ns });
    if (!service) {
      service = await kube.create({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `${name}-service`, namespace: ns, labels, ownerReferences: owner },
        spec: { selector: labels, ports: [{ name: 'http', port: 5001, targetPort: 5001, protocol: 'TCP' }] },
      });
    }
    const dConditions = ((deployment.status as { conditions?: Condition[] } | undefined)?.conditions ?? []) as Condition[];
    const available = dConditions.find((c) => c.type === 'Available');
    const last = dConditions[dConditions.length - 1];
    const next: Condition[] = [cond('DeploymentCreated', true, 'DeploymentCreated', 'The docling deployment was created successfully')];
    if (available) next.push({ type: 'DeploymentAvailable', status: available.status, reason: available.reason ?? '', message: available.message ?? '' });
    if (last && last.type !== 'Available') next.push({ type: last.type, status: last.status, reason: last.reason ?? '', message: last.message ?? '' });
    next.push(cond('ServiceCreated', true, 'ServiceCreated', 'The docling service was created successfully'));
    if (spec.route && !spec.route.enabled) next.push(cond('RouteCreated', true, 'RouteDisabled', 'A docling route is disabled'));
    else next.push(cond('RouteCreated', 'Unknown', 'RouteStatusError', `routes.route.openshift.io "${name}-route" not found`));
    const previous = ((cr.status as { conditions?: Condition[] } | undefined)?.conditions ?? []) as Condition[];
    await this.rt.setStatus(cr, { observedGeneration: cr.metadata.generation, conditions: withTimes(previous, next) });
  }
}
