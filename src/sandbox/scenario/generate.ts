// Bulk objects for the `large` scenario (benchmarks): many namespaces of notebooks and
// InferenceServices, named predictably.
import type { KubeObject } from '../../kube/types.js';
import type { Scenario } from './format.js';

export function generatedObjects(s: Scenario): KubeObject[] {
  const out: KubeObject[] = [];
  const nb = s.generate?.notebooks;
  for (let n = 0; nb && n < nb.namespaces; n++) {
    const ns = `team-${String(n).padStart(3, '0')}`;
    out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (let i = 0; i < nb.perNamespace; i++) out.push(notebook(ns, `wb-${String(i).padStart(4, '0')}`, i % 3 !== 0));
  }
  const isvc = s.generate?.inferenceServices;
  for (let n = 0; isvc && n < isvc.namespaces; n++) {
    const ns = `models-${String(n).padStart(3, '0')}`;
    out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (let i = 0; i < isvc.perNamespace; i++) out.push(inferenceService(ns, `model-${String(i).padStart(4, '0')}`, i % 2 === 0 ? 'Serverless' : 'RawDeployment'));
  }
  return out;
}

/** A 2.25 workbench: oauth-proxy sidecar, its annotations, volumes and finalizer. */
export function notebook(namespace: string, name: string, running: boolean, image = 'image-registry.openshift-image-registry.svc:5000/redhat-ods-applications/s2i-generic-data-science-notebook:2025.1'): KubeObject {
  return {
    apiVersion: 'kubeflow.org/v1',
    kind: 'Notebook',
    metadata: {
      name,
      namespace,
      labels: { app: name, 'opendatahub.io/dashboard': 'true', 'opendatahub.io/odh-managed': 'true' },
      annotations: {
        'notebooks.opendatahub.io/inject-oauth': 'true',
        'notebooks.opendatahub.io/oauth-logout-url': `https://rhods-dashboard-redhat-ods-applications.apps.sandbox.example.com/projects/${namespace}?notebookLogout=${name}`,
        'notebooks.opendatahub.io/last-image-selection': image.split('/').pop()!,
        ...(running ? {} : { 'kubeflow-resource-stopped': '2026-01-01T00:00:00Z' }),
      },
      finalizers: ['notebook-oauth-client-finalizer.opendatahub.io'],
    },
    spec: {
      template: {
        spec: {
          containers: [
            { name, image, env: [{ name: 'NOTEBOOK_ARGS', value: `--ServerApp.port=8888 --ServerApp.token='' --ServerApp.password='' --ServerApp.base_url=/notebook/${namespace}/${name} --ServerApp.quit_button=False --ServerApp.tornado_settings={"user":"admin","hub_host":"","hub_prefix":"/projects/${namespace}"}` }] },
            { name: 'oauth-proxy', image: 'registry.redhat.io/openshift4/ose-oauth-proxy:v4.19', args: ['--provider=openshift', '--https-address=:8443', `--openshift-service-account=${name}`] },
          ],
          volumes: [
            { name: 'oauth-config', secret: { secretName: `${name}-oauth-config` } },
            { name: 'oauth-client', secret: { secretName: `${name}-oauth-client` } },
            { name: 'tls-certificates', secret: { secretName: `${name}-tls` } },
            { name, persistentVolumeClaim: { claimName: name } },
          ],
        },
      },
    },
  };
}

export function inferenceService(namespace: string, name: string, mode: 'Serverless' | 'RawDeployment' | 'ModelMesh', runtime = 'vllm-runtime'): KubeObject {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: {
      name,
      namespace,
      labels: { 'opendatahub.io/dashboard': 'true' },
      annotations: {
        'serving.kserve.io/deploymentMode': mode,
        'openshift.io/display-name': name,
        'security.opendatahub.io/enable-auth': 'true',
        ...(mode === 'Serverless' ? { 'serving.knative.openshift.io/enablePassthrough': 'true', 'sidecar.istio.io/inject': 'true', 'sidecar.istio.io/rewriteAppHTTPProbers': 'true' } : {}),
      },
    },
    spec: {
      predictor: {
        minReplicas: 1,
        model: { modelFormat: { name: 'vLLM' }, runtime, storageUri: `oci://registry.example.com/models/${name}:1.0` },
      },
    },
  };
}
