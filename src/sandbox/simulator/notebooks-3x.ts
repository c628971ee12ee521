// The admission webhooks a workbench (Notebook) goes through on RHOAI 3.3, served and registered
// as the real ones are, so a write the real cluster would change or refuse is changed or refused
// here, with the same answer:
//
// - The notebook controller's mutating webhook (red-hat-data-services/kubeflow, branch rhoai-3.3,
//   components/odh-notebook-controller/controllers/notebook_webhook.go Handle): on every CREATE and
//   UPDATE of a Notebook whose annotation notebooks.opendatahub.io/inject-auth parses as true
//   (notebook_controller.go KubeRbacProxyInjectionIsEnabled, strconv.ParseBool), it puts the
//   kube-rbac-proxy sidecar into the Notebook's own spec (InjectKubeRbacProxy: the container, its
//   kube-rbac-proxy-config ConfigMap volume and kube-rbac-proxy-tls-certificates Secret volume, the
//   workbench's own service account), synchronously, in the write that asks for it. A running
//   workbench is protected (maybeRestartRunningNotebook): when the write itself leaves the pod
//   template alone, the webhook's own changes are held back and the annotation
//   notebooks.opendatahub.io/update-pending says so; a stopped one (kubeflow-resource-stopped), one
//   being restarted (notebooks.opendatahub.io/notebook-restart) or a write that changes the pod
//   template take them. Registered as config/webhook/manifests.yaml (failurePolicy Fail, no
//   selectors) under the name config/default's namePrefix gives it, while the workbenches
//   component is Managed (the operator deploys the controller only then). Not simulated: the
//   image-stream lookup, CA bundle, pipeline runtime images, Elyra and Feast mounts, the cluster
//   proxy variables, the sidecar's probes and resource annotations, and the reconciliation lock on
//   CREATE (the controller that lifts it is not simulated either).
// - The operator's Kueue label validator (red-hat-data-services/rhods-operator, branch rhoai-3.3,
//   internal/webhook/kueue/validating.go; disabled on rhoai-2.25): CREATE and UPDATE of a Notebook
//   (or PyTorchJob) in a namespace labelled kueue.openshift.io/managed=true or kueue-managed=true,
//   while the DataScienceCluster's status says Kueue is Managed or Unmanaged, is denied unless the
//   object carries a non-empty kueue.x-k8s.io/queue-name label. Objects being deleted pass. Its
//   siblings for Ray and KServe kinds are not simulated.
//
// Both are served over HTTPS by this module (a certificate of its own, as ../webhooks/server.ts
// does for the operator's DSC webhooks) and registered by URL while RHOAI 3.x runs; under 2.x
// neither is registered.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import semver from 'semver';
import { isNotFound } from '../../kube/errors.js';
import { deepEqual } from '../../kube/json.js';
import type { KubeObject } from '../../kube/types.js';
import { selfSignedCertificate } from '../webhooks/tls.js';
import type { SimRuntime } from './runtime.js';
import { WorkQueue } from './work-queue.js';

export const INJECT_AUTH = 'notebooks.opendatahub.io/inject-auth';
export const UPDATE_PENDING = 'notebooks.opendatahub.io/update-pending';
export const KUEUE_QUEUE_LABEL = 'kueue.x-k8s.io/queue-name';
export const KUEUE_MANAGED_LABELS = ['kueue.openshift.io/managed', 'kueue-managed'];
/** validating.go ErrMissingRequiredLabel / ErrEmptyRequiredLabel, as performLabelValidation words the denial. */
export const KUEUE_LABEL_MISSING = `Kueue label validation failed: missing required label "${KUEUE_QUEUE_LABEL}"`;
export const KUEUE_LABEL_EMPTY = `Kueue label validation failed: label "${KUEUE_QUEUE_LABEL}" is set but empty`;

export const MUTATING_CONFIG = 'odh-notebook-controller-mutating-webhook-configuration';
export const MUTATING_WEBHOOK = 'notebooks.opendatahub.io';
export const KUEUE_VALIDATOR = 'kubeflow-kueuelabels-validator.opendatahub.io';
const MWC = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' };
const VWC = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration' };
const STOPPED = 'kubeflow-resource-stopped';
const RESTART = 'notebooks.opendatahub.io/notebook-restart';
/** The image a 3.3 cluster gives the controller (KUBE_RBAC_PROXY_IMAGE); any name serves here. */
const PROXY_IMAGE = 'registry.redhat.io/openshift4/ose-kube-rbac-proxy-rhel9:v4.19';

export interface NotebookFacts {
  rhoaiVersion(): string | undefined;
  dscComponents(): Record<string, Record<string, unknown>>;
}

type PodSpec = { containers?: Record<string, unknown>[]; volumes?: Record<string, unknown>[]; serviceAccountName?: string } & Record<string, unknown>;
type NotebookLike = { metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string }; spec?: { template?: { spec?: PodSpec } } };

interface AdmissionRequest {
  uid?: string;
  kind?: { group?: string; version?: string; kind?: string };
  namespace?: string;
  operation?: string;
  object?: NotebookLike | null;
  oldObject?: NotebookLike | null;
}

export class Notebooks3x {
  private readonly queue: WorkQueue;
  private server: { url: string; caBundle: string; close(): void } | undefined;

  constructor(
    private readonly rt: SimRuntime,
    private readonly facts: NotebookFacts,
  ) {
    this.queue = new WorkQueue(() => this.sync(), (_k, err) => rt.log(`notebooks: ${(err as Error).message}`));
  }

  /** The RHOAI version or the DSC changed: register or withdraw the webhooks. */
  poke(): void {
    this.queue.add('sync');
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): void {
    this.queue.stop();
    this.server?.close();
  }

  private async sync(): Promise<void> {
    const version = this.facts.rhoaiVersion();
    const major3 = version !== undefined && semver.major(version) >= 3;
    const workbenches = String(this.facts.dscComponents().workbenches?.managementState ?? 'Removed') === 'Managed';
    const server = major3 ? await this.startServer() : undefined;
    await this.ensure(VWC, KUEUE_VALIDATOR, server && {
      name: KUEUE_VALIDATOR,
      clientConfig: { url: `${server.url}/validate-kueue`, caBundle: server.caBundle },
      rules: [{ apiGroups: ['kubeflow.org'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pytorchjobs', 'notebooks'], scope: '*' }],
      failurePolicy: 'Fail',
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      matchPolicy: 'Exact',
      timeoutSeconds: 10,
    });
    await this.ensure(MWC, MUTATING_CONFIG, server && workbenches ? {
      name: MUTATING_WEBHOOK,
      clientConfig: { url: `${server.url}/mutate-notebook-v1`, caBundle: server.caBundle },
      rules: [{ apiGroups: ['kubeflow.org'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['notebooks'], scope: '*' }],
      failurePolicy: 'Fail',
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      reinvocationPolicy: 'Never',
      timeoutSeconds: 10,
    } : undefined);
  }

  /** Registers the one webhook of a configuration, or deletes the configuration when `webhook` is undefined. */
  private async ensure(type: { apiVersion: string; kind: string }, name: string, webhook: Record<string, unknown> | undefined): Promise<void> {
    const kube = this.rt.kube;
    const live = await kube.get({ ...type, name });
    if (!webhook) {
      if (live) await kube.delete({ ...type, name }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
      return;
    }
    const desired = { ...type, metadata: { name }, webhooks: [webhook] } as KubeObject;
    if (!live) await kube.create(desired);
    else if (!deepEqual((live as { webhooks?: unknown }).webhooks, desired.webhooks)) {
      await kube.replace({ ...desired, metadata: { ...desired.metadata, resourceVersion: live.metadata.resourceVersion } });
    }
  }

  private async startServer(): Promise<{ url: string; caBundle: string }> {
    if (this.server) return this.server;
    const tls = selfSignedCertificate('runbook sandbox notebook webhooks');
    const server: Server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          const path = new URL(req.url ?? '/', 'https://127.0.0.1').pathname;
          let status = 200;
          let body: unknown;
          try {
            const request = ((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request?: AdmissionRequest }).request ?? {}) as AdmissionRequest;
            const response = path === '/mutate-notebook-v1' ? mutateNotebook(request) : path === '/validate-kueue' ? await this.validateKueue(request) : undefined;
            if (response) body = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: request.uid, ...response } };
            else [status, body] = [404, { message: `no webhook at ${path}` }];
          } catch (err) {
            [status, body] = [500, { message: (err as Error).message }];
            this.rt.log(`notebooks: webhook ${path}: ${(err as Error).message}`);
          }
          const text = JSON.stringify(body);
          res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
          res.end(text);
        })();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.unref();
    const { port } = server.address() as AddressInfo;
    this.server = {
      url: `https://127.0.0.1:${port}`,
      caBundle: tls.caBundle,
      close() {
        server.close();
        server.closeAllConnections();
      },
    };
    this.rt.log(`notebooks: 3.x notebook webhooks at ${this.server.url}`);
    return this.server;
  }

  /** rhods-operator rhoai-3.3 internal/webhook/kueue/validating.go Handle and performLabelValidation. */
  private async validateKueue(req: AdmissionRequest): Promise<Record<string, unknown>> {
    const kind = req.kind ?? {};
    const expected = kind.group === 'kubeflow.org' && kind.version === 'v1' && (kind.kind === 'Notebook' || kind.kind === 'PyTorchJob');
    if (!expected) return errored(400, `unexpected kind: ${kind.kind}`);
    const obj = req.object ?? {};
    if (obj.metadata?.deletionTimestamp) return allowed('Object marked for deletion, skipping Kueue label validation');
    if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return allowed(`Operation ${req.operation} on ${kind.kind} allowed`);
    const namespace = req.namespace ?? obj.metadata?.namespace ?? '';
    const ns = await this.rt.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    if (!ns) return errored(500, `failed to check if namespace "${namespace}" is labeled for Kueue: namespaces "${namespace}" not found`);
    if (!KUEUE_MANAGED_LABELS.some((l) => ns.metadata.labels?.[l] === 'true')) {
      return allowed(`Namespace "${namespace}" is not labeled for Kueue ("kueue.openshift.io/managed"), skipping Kueue label validation`);
    }
    const dscs = (await this.rt.kube.list({ apiVersion: 'datasciencecluster.opendatahub.io/v2', kind: 'DataScienceCluster' })).items;
    if (dscs.length === 0) return allowed('No DataScienceCluster found, skipping Kueue label validation');
    const state = (dscs[0]!.status as { components?: { kueue?: { managementState?: string } } } | undefined)?.components?.kueue?.managementState;
    if (state !== 'Managed' && state !== 'Unmanaged') return allowed('Kueue is not enabled in DSC, skipping Kueue label validation');
    const labels = obj.metadata?.labels;
    if (!labels || !(KUEUE_QUEUE_LABEL in labels)) return denied(KUEUE_LABEL_MISSING);
    if (labels[KUEUE_QUEUE_LABEL] === '') return denied(KUEUE_LABEL_EMPTY);
    return allowed(`Kueue label validation passed for "${kind.kind}" in namespace "${namespace}"`);
  }
}

const allowed = (message: string): Record<string, unknown> => ({ allowed: true, status: { code: 200, message } });
const denied = (message: string): Record<string, unknown> => ({ allowed: false, status: { code: 403, reason: 'Forbidden', message } });
const errored = (code: number, message: string): Record<string, unknown> => ({ allowed: false, status: { code, message } });

/** strconv.ParseBool's true. */
function parsesTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value);
}

/** kubeflow rhoai-3.3 notebook_webhook.go Handle, for what it does to the kube-rbac-proxy sidecar. */
export function mutateNotebook(req: AdmissionRequest): Record<string, unknown> {
  const requested = (req.object ?? {}) as NotebookLike;
  const mutated = structuredClone(requested);
  const annotations = { ...(mutated.metadata?.annotations ?? {}) };
  const name = mutated.metadata?.name ?? '';
  if (parsesTrue(annotations[INJECT_AUTH])) {
    mutated.spec ??= {};
    mutated.spec.template ??= {};
    mutated.spec.template.spec = injectKubeRbacProxy(mutated.spec.template.spec ?? {}, name);
  }
  // maybeRestartRunningNotebook: a running workbench's pod template changes only when the write
  // itself changes it.
  let pending: string | undefined;
  const oldSpec = req.oldObject?.spec?.template?.spec;
  const requestedSpec = requested.spec?.template?.spec;
  const mutatedSpec = mutated.spec?.template?.spec;
  if (req.operation === 'UPDATE' && annotations[STOPPED] === undefined && annotations[RESTART] === undefined && deepEqual(oldSpec, requestedSpec) && !deepEqual(oldSpec, mutatedSpec)) {
    pending = 'the kube-rbac-proxy sidecar would be injected into the running workbench';
    mutated.spec!.template!.spec = structuredClone(requestedSpec);
  }
  if (pending) annotations[UPDATE_PENDING] = pending;
  else delete annotations[UPDATE_PENDING];
  const ops: Record<string, unknown>[] = [];
  if (!deepEqual(requested.spec?.template?.spec, mutated.spec?.template?.spec)) ops.push({ op: 'add', path: '/spec/template/spec', value: mutated.spec!.template!.spec });
  if (!deepEqual(requested.metadata?.annotations ?? {}, annotations)) ops.push({ op: 'add', path: '/metadata/annotations', value: annotations });
  const response: Record<string, unknown> = { allowed: true, status: { code: 200 } };
  if (ops.length) Object.assign(response, { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') });
  return response;
}

/** InjectKubeRbacProxy: the sidecar (replacing one of the same name), its two volumes, the workbench's service account. */
function injectKubeRbacProxy(spec: PodSpec, name: string): PodSpec {
  const proxy = {
    name: 'kube-rbac-proxy',
    image: PROXY_IMAGE,
    imagePullPolicy: 'Always',
    args: [
      '--secure-listen-address=0.0.0.0:8443',
      '--upstream=http://127.0.0.1:8888/',
      '--logtostderr=true',
      '--v=0',
      '--proxy-endpoints-port=8444',
      '--config-file=/etc/kube-rbac-proxy/config-file.yaml',
      '--tls-cert-file=/etc/tls/private/tls.crt',
      '--tls-private-key-file=/etc/tls/private/tls.key',
      '--auth-header-fields-enabled=true',
      '--auth-header-user-field-name=X-Auth-Request-User',
      '--auth-header-groups-field-name=X-Auth-Request-Groups',
    ],
    ports: [{ name: 'kube-rbac-proxy', containerPort: 8443, protocol: 'TCP' }],
    resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
    volumeMounts: [
      { name: 'kube-rbac-proxy-config', mountPath: '/etc/kube-rbac-proxy' },
      { name: 'kube-rbac-proxy-tls-certificates', mountPath: '/etc/tls/private' },
    ],
  };
  const volumes = [
    { name: 'kube-rbac-proxy-config', configMap: { name: `${name}-kube-rbac-proxy-config`, defaultMode: 420 } },
    { name: 'kube-rbac-proxy-tls-certificates', secret: { secretName: `${name}-kube-rbac-proxy-tls`, defaultMode: 420 } },
  ];
  const out = structuredClone(spec);
  out.containers = upsert(out.containers ?? [], proxy);
  out.volumes = volumes.reduce((list, v) => upsert(list, v), out.volumes ?? []);
  out.serviceAccountName = name;
  return out;
}

function upsert(list: Record<string, unknown>[], item: { name: string }): Record<string, unknown>[] {
  const i = list.findIndex((x) => x.name === item.name);
  return i < 0 ? [...list, item] : list.map((x, j) => (j === i ? item : x));
}
