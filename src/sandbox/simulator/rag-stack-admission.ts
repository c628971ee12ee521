// Two admission steps a RAG stack meets on OpenShift with Service Mesh 2, played by webhooks of the
// sandbox (the local control plane has neither the mesh's injector nor OpenShift's SCC admission):
//
// - Sidecar injection. A pod created in a namespace labelled istio.io/rev=<revision> gets the
//   istio-proxy container and the sidecar.istio.io/status annotation when a ServiceMeshControlPlane
//   of that name exists, so it runs 2/2. The guide labels namespaces this way; Maistra 2.x itself
//   registers its injector for namespaces labelled maistra.io/member-of (maistra/istio-operator,
//   maistra-2.5, resources/helm/v2.5/istio-control/istio-discovery/templates/mutatingwebhook.yaml),
//   which the sandbox does not model. Pods started before the label keep running without it.
// - The anyuid SCC for Llama Stack. The Llama Stack operator gives its pods fsGroup 0
//   (red-hat-data-services/llama-stack-k8s-operator, rhoai-2.25, controllers/resource_helper.go
//   configurePodOverrides) and runs them as spec.server.podOverrides.serviceAccountName when set,
//   else as its own <name>-sa, which it binds to system:openshift:scc:anyuid itself
//   (controllers/manifests/base/scc-binding.yaml). A ServiceAccount of the user's needs that grant
//   from the user: without it OpenShift refuses the pod (fsGroup 0 is outside restricted-v2's
//   range), and the ReplicaSet never gets one. The sandbox's operator (./pods.ts) leaves the
//   security context and the ServiceAccount out of the pod it makes, so the verdict here is taken
//   for the pod the real operator would make: the distribution's podOverrides decide. The
//   refusal's wording is ours, in the shape of OpenShift's "unable to validate against any
//   security context constraint".
//
// Both are mutating webhooks (the SCC one records openshift.io/scc on the pods it admits, as
// OpenShift does), registered with failurePolicy Ignore and narrow selectors (namespaces with the
// label, pods labelled app=llama-stack), so a stopped simulator or another scenario is not affected.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { deepEqual } from '../../kube/json.js';
import type { KubeObject } from '../../kube/types.js';
import { selfSignedCertificate } from '../webhooks/tls.js';
import type { SimRuntime } from './runtime.js';

export const MESH_REVISION_LABEL = 'istio.io/rev';
export const SIDECAR_CONTAINER = 'istio-proxy';
export const SIDECAR_STATUS = 'sidecar.istio.io/status';
export const ANYUID_ROLE = 'system:openshift:scc:anyuid';
/** Where OpenShift's SCC admission records the SCC a pod was admitted under. */
export const SCC_ANNOTATION = 'openshift.io/scc';
const INJECTOR = 'rag-stack-sidecar-injector.sandbox.runbook.dev';
const SCC = 'rag-stack-scc-admission.sandbox.runbook.dev';
const PROXY_IMAGE = 'registry.redhat.io/openshift-service-mesh/proxyv2-rhel8:2.6';

interface AdmissionRequest {
  uid?: string;
  namespace?: string;
  operation?: string;
  object?: KubeObject | null;
}

type Response = Record<string, unknown>;
const allowed = (): Response => ({ allowed: true, status: { code: 200 } });
const patched = (ops: Record<string, unknown>[]): Response => ({ ...allowed(), patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') });
/** A JSON patch operation setting one annotation, whether the pod has annotations yet or not. */
const annotationOp = (pod: KubeObject, key: string, value: string): Record<string, unknown> =>
  pod.metadata.annotations ? { op: 'add', path: `/metadata/annotations/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, value } : { op: 'add', path: '/metadata/annotations', value: { [key]: value } };
const withAnnotation = (pod: KubeObject, key: string, value: string): Response => patched([annotationOp(pod, key, value)]);
const denied = (message: string): Response => ({ allowed: false, status: { code: 403, reason: 'Forbidden', message } });

export class RagStackAdmission {
  private server: { url: string; caBundle: string; close(): void } | undefined;

  constructor(private readonly rt: SimRuntime) {}

  /** Starts the webhook server and registers both webhooks at its address. */
  async start(): Promise<void> {
    const server = await this.startServer();
    await this.ensure('MutatingWebhookConfiguration', INJECTOR, {
      name: INJECTOR,
      clientConfig: { url: `${server.url}/inject`, caBundle: server.caBundle },
      rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' }],
      namespaceSelector: { matchExpressions: [{ key: MESH_REVISION_LABEL, operator: 'Exists' }] },
      objectSelector: { matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }] },
      failurePolicy: 'Ignore',
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      reinvocationPolicy: 'Never',
      timeoutSeconds: 10,
    });
    // Mutating, as OpenShift's SCC admission is: it also records the SCC it chose on the pod.
    await this.ensure('MutatingWebhookConfiguration', SCC, {
      name: SCC,
      clientConfig: { url: `${server.url}/scc`, caBundle: server.caBundle },
      rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' }],
      objectSelector: { matchLabels: { app: 'llama-stack' } },
      failurePolicy: 'Ignore',
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      reinvocationPolicy: 'Never',
      timeoutSeconds: 10,
    });
  }

  stop(): void {
    this.server?.close();
  }

  private async ensure(kind: string, name: string, webhook: Record<string, unknown>): Promise<void> {
    const type = { apiVersion: 'admissionregistration.k8s.io/v1', kind };
    const desired = { ...type, metadata: { name }, webhooks: [webhook] } as KubeObject;
    const live = await this.rt.kube.get({ ...type, name });
    if (!live) await this.rt.kube.create(desired);
    else if (!deepEqual((live as { webhooks?: unknown }).webhooks, desired.webhooks)) {
      await this.rt.kube.replace({ ...desired, metadata: { ...desired.metadata, resourceVersion: live.metadata.resourceVersion } });
    }
  }

  /** The injector: the sidecar when the namespace's revision names a control plane that exists. */
  private async inject(req: AdmissionRequest): Promise<Response> {
    const pod = req.object;
    const namespace = req.namespace ?? pod?.metadata.namespace ?? '';
    if (!pod) return allowed();
    const ns = await this.rt.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    const revision = ns?.metadata.labels?.[MESH_REVISION_LABEL];
    if (!revision) return allowed();
    const planes = await this.rt.kube.list({ apiVersion: 'maistra.io/v2', kind: 'ServiceMeshControlPlane' }, { allNamespaces: true }).catch(() => ({ items: [] as KubeObject[] }));
    const plane = planes.items.find((p) => p.metadata.name === revision);
    if (!plane) return allowed();
    const spec = (pod.spec ?? {}) as { containers?: { name: string }[] };
    if ((spec.containers ?? []).some((c) => c.name === SIDECAR_CONTAINER)) return allowed();
    const proxy = {
      name: SIDECAR_CONTAINER,
      image: PROXY_IMAGE,
      args: ['proxy', 'sidecar', '--domain', `${namespace}.svc.cluster.local`, '--proxyLogLevel=warning'],
      env: [{ name: 'ISTIO_META_MESH_ID', value: plane.metadata.namespace ?? '' }],
      ports: [{ name: 'http-envoy-prom', containerPort: 15090, protocol: 'TCP' }],
    };
    const status = JSON.stringify({ initContainers: null, containers: [SIDECAR_CONTAINER], volumes: [], imagePullSecrets: null, revision });
    return patched([{ op: 'add', path: '/spec/containers/-', value: proxy }, annotationOp(pod, SIDECAR_STATUS, status)]);
  }

  /** The SCC verdict on a Llama Stack pod, for the ServiceAccount the real operator would run it as. */
  private async scc(req: AdmissionRequest): Promise<Response> {
    const pod = req.object;
    const namespace = req.namespace ?? pod?.metadata.namespace ?? '';
    const instance = pod?.metadata.labels?.['app.kubernetes.io/instance'];
    if (!pod || !instance) return allowed();
    const distribution = await this.rt.kube.get({ apiVersion: 'llamastack.io/v1alpha1', kind: 'LlamaStackDistribution', name: instance, namespace }).catch(() => null);
    const serviceAccount = (distribution?.spec as { server?: { podOverrides?: { serviceAccountName?: string } } } | undefined)?.server?.podOverrides?.serviceAccountName;
    // The operator's own ServiceAccount comes with its anyuid binding.
    if (!serviceAccount || (await mayUseAnyuid(this.rt, namespace, serviceAccount))) return withAnnotation(pod, SCC_ANNOTATION, 'anyuid');
    return denied(
      `pods "${pod.metadata.name ?? pod.metadata.generateName ?? ''}" is forbidden: unable to validate against any security context constraint: ` +
        `[provider "anyuid": Forbidden: not usable by user or serviceaccount, provider restricted-v2: .spec.securityContext.fsGroup: Invalid value: []int64{0}: 0 is not an allowed group]` +
        ` (service account ${namespace}/${serviceAccount})`,
    );
  }

  private async startServer(): Promise<{ url: string; caBundle: string }> {
    if (this.server) return this.server;
    const tls = selfSignedCertificate('runbook sandbox rag-stack webhooks');
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
            const response = path === '/inject' ? await this.inject(request) : path === '/scc' ? await this.scc(request) : undefined;
            if (response) body = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: request.uid, ...response } };
            else [status, body] = [404, { message: `no webhook at ${path}` }];
          } catch (err) {
            [status, body] = [500, { message: (err as Error).message }];
            this.rt.log(`rag-stack: webhook ${path}: ${(err as Error).message}`);
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
    return this.server;
  }
}

/**
 * Whether a ServiceAccount may use the anyuid SCC: a RoleBinding in its namespace or a
 * ClusterRoleBinding to ClusterRole system:openshift:scc:anyuid naming it (or all service
 * accounts, of the namespace or of the cluster), or the SCC's own users list.
 */
export async function mayUseAnyuid(rt: SimRuntime, namespace: string, serviceAccount: string): Promise<boolean> {
  const names = (s: { kind?: string; name?: string; namespace?: string }, defaultNs: string): boolean =>
    (s.kind === 'ServiceAccount' && s.name === serviceAccount && (s.namespace ?? defaultNs) === namespace) ||
    (s.kind === 'Group' && (s.name === 'system:serviceaccounts' || s.name === `system:serviceaccounts:${namespace}`));
  const grants = (b: KubeObject, defaultNs: string): boolean => {
    const ref = (b as { roleRef?: { kind?: string; name?: string } }).roleRef;
    const subjects = ((b as { subjects?: { kind?: string; name?: string; namespace?: string }[] }).subjects ?? []);
    return ref?.kind === 'ClusterRole' && ref.name === ANYUID_ROLE && subjects.some((s) => names(s, defaultNs));
  };
  const rbac = 'rbac.authorization.k8s.io/v1';
  const roleBindings = await rt.kube.list({ apiVersion: rbac, kind: 'RoleBinding', namespace });
  if (roleBindings.items.some((b) => grants(b, namespace))) return true;
  const clusterBindings = await rt.kube.list({ apiVersion: rbac, kind: 'ClusterRoleBinding' });
  if (clusterBindings.items.some((b) => grants(b, ''))) return true;
  const scc = await rt.kube.get({ apiVersion: 'security.openshift.io/v1', kind: 'SecurityContextConstraints', name: 'anyuid' }).catch(() => null);
  return ((scc as { users?: string[] } | null)?.users ?? []).includes(`system:serviceaccount:${namespace}:${serviceAccount}`);
}
