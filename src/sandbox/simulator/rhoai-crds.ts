// The DataScienceCluster and DSCInitialization CRDs of RHOAI 3.3, as OLM installs them from the
// operator bundle: v1 and v2 served, v2 the storage version, conversion by the operator's webhook.
// (The 2.25 ones, v1 only and no conversion, are the base install: ../crds/opendatahub.yaml.)
//
// Our own small structural schemas, not the upstream files: every field the runbooks, scenarios
// and simulator use, with the upstream enums, defaults and CEL messages, and nothing open, so the
// API server prunes what 3.3 does not know (kserve.serving, devFlags.manifests, ...) as it does on
// a real cluster. Facts, from red-hat-data-services/rhods-operator branch rhoai-3.3 (the CRDs are
// not committed there; they were generated with controller-gen --load-build-tags=rhoai from api/ and
// match the 3.3.5 bundle):
// - api/datasciencecluster/v2/datasciencecluster_types.go:32-72 (v2 components; storageversion at
//   :144), api/datasciencecluster/v1/datasciencecluster_types.go:61-102 (v1 components: no devFlags,
//   kserve without serving/defaultDeploymentMode, codeflare and modelmeshserving kept).
// - api/components/v1alpha1/*_types.go: per-component fields, enums and defaults (kserve_types.go
//   nim/rawDeploymentServiceConfig/modelsAsService; kueue_types.go Managed|Unmanaged|Removed;
//   trustyai eval.lmeval; workbenches and modelregistry namespaces with their CEL messages).
// - api/common/types.go: managementState enum Managed|Removed with the operatorv1 pattern.
// - api/dscinitialization/v2/dscinitialization_types*.go (no serviceMesh; devFlags {logLevel});
//   api/dscinitialization/v1/dscinitialization_types.rhoai.go (v1 keeps serviceMesh and devFlags).
// - config/rhoai/crd/patches/webhook_in_*.yaml: conversion strategy Webhook, path /convert,
//   conversionReviewVersions [v1, v2] (service rhods-operator-webhook-service in
//   redhat-ods-operator; here the simulator's URL instead).
type Schema = Record<string, unknown>;

const MS_PATTERN = '^(Managed|Unmanaged|Force|Removed)$';
const DNS_LABEL = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$';

const obj = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({ type: 'object', properties, ...extra });
const str = (extra: Schema = {}): Schema => ({ type: 'string', ...extra });
const state = (values: string[] = ['Managed', 'Removed'], dflt?: string): Schema => ({ type: 'string', enum: values, pattern: MS_PATTERN, ...(dflt ? { default: dflt } : {}) });
const managed = (extra: Record<string, Schema> = {}): Schema => obj({ managementState: state(), ...extra });
const namespace = (dflt: string | undefined, immutableMessage?: string): Schema => ({
  type: 'string',
  maxLength: 63,
  pattern: DNS_LABEL,
  ...(dflt !== undefined ? { default: dflt } : {}),
  ...(immutableMessage ? { 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: immutableMessage }] } : {}),
});

/** spec.components entries shared by DSC v1 and v2 in 3.3. */
function sharedComponents(): Record<string, Schema> {
  return {
    dashboard: managed(),
    workbenches: managed({ workbenchNamespace: namespace('rhods-notebooks', 'WorkbenchNamespace is immutable') }),
    kserve: managed({
      nim: obj({ managementState: state(undefined, 'Managed') }),
      rawDeploymentServiceConfig: str({ enum: ['Headless', 'Headed'], default: 'Headless' }),
      modelsAsService: obj({ managementState: state(undefined, 'Removed') }),
    }),
    kueue: obj({
      managementState: state(['Managed', 'Unmanaged', 'Removed']),
      defaultLocalQueueName: str({ default: 'default' }),
      defaultClusterQueueName: str({ default: 'default' }),
    }),
    ray: managed(),
    trustyai: managed({
      eval: obj(
        { lmeval: obj({ permitCodeExecution: str({ enum: ['allow', 'deny'], default: 'deny' }), permitOnline: str({ enum: ['allow', 'deny'], default: 'deny' }) }) },
        { required: ['lmeval'] },
      ),
    }),
    modelregistry: {
      ...managed({ registriesNamespace: namespace('rhoai-model-registries') }),
      'x-kubernetes-validations': [
        {
          // The namespace may change only while the registry is not Managed, before and after.
          rule: "!has(self.managementState) || self.managementState != 'Managed' || !has(oldSelf.managementState) || oldSelf.managementState != 'Managed' || !has(oldSelf.registriesNamespace) || oldSelf.registriesNamespace == '' || (has(self.registriesNamespace) && self.registriesNamespace == oldSelf.registriesNamespace)",
          message: 'RegistriesNamespace is immutable when model registry is Managed',
        },
      ],
    },
    trainingoperator: managed(),
    feastoperator: managed(),
    llamastackoperator: managed(),
  };
}

const pipelines = (): Schema => managed({ argoWorkflowsControllers: obj({ managementState: state(undefined, 'Managed') }) });

const releases: Schema = { type: 'array', items: obj({ name: str(), version: str(), repoUrl: str() }, { required: ['name'] }) };
const componentStatus = (extra: Record<string, Schema> = {}, states?: string[]): Schema => obj({ managementState: state(states), releases, ...extra });

function statusSchema(componentKeys: string[], withInstalledComponents: boolean): Schema {
  const extra: Record<string, Record<string, Schema>> = {
    dashboard: { url: str() },
    workbenches: { workbenchNamespace: str() },
    modelregistry: { registriesNamespace: str() },
  };
  return obj({
    phase: str(),
    observedGeneration: { type: 'integer', format: 'int64' },
    conditions: CONDITIONS,
    relatedObjects: RELATED_OBJECTS,
    errorMessage: str(),
    release: obj({ name: str(), version: str() }),
    components: obj(Object.fromEntries(componentKeys.map((k) => [k, componentStatus(extra[k], k === 'kueue' ? ['Managed', 'Unmanaged', 'Removed'] : undefined)]))),
    ...(withInstalledComponents ? { installedComponents: { type: 'object', additionalProperties: { type: 'boolean' } } } : {}),
  });
}

const CONDITIONS: Schema = {
  type: 'array',
  items: obj(
    {
      type: str(),
      status: str({ enum: ['True', 'False', 'Unknown'] }),
      reason: str(),
      message: str(),
      severity: str(),
      lastTransitionTime: str({ format: 'date-time' }),
      lastHeartbeatTime: str({ format: 'date-time' }),
      observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
    },
    { required: ['status', 'type'] },
  ),
};

const RELATED_OBJECTS: Schema = {
  type: 'array',
  items: obj({ apiVersion: str(), kind: str(), name: str(), namespace: str(), uid: str(), resourceVersion: str(), fieldPath: str() }),
};

const root = (spec: Schema, status: Schema): Schema => ({
  openAPIV3Schema: obj({ apiVersion: str(), kind: str(), metadata: { type: 'object' }, spec, status }),
});

export interface ConversionEndpoint {
  /** https://127.0.0.1:<port>/convert */
  url: string;
  caBundle: string;
}

function conversion(endpoint: ConversionEndpoint): Schema {
  return { strategy: 'Webhook', webhook: { clientConfig: { url: endpoint.url, caBundle: endpoint.caBundle }, conversionReviewVersions: ['v1', 'v2'] } };
}

const DSC_PRINTER_COLUMNS = [
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Ready' },
  { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', description: 'Reason' },
];

export function dataScienceClusterCrd33(endpoint: ConversionEndpoint): Record<string, unknown> {
  const shared = sharedComponents();
  const v1Components = { ...shared, datasciencepipelines: pipelines(), codeflare: managed(), modelmeshserving: managed() };
  const v2Components = { ...shared, aipipelines: pipelines(), mlflowoperator: managed(), trainer: managed() };
  const version = (name: string, components: Record<string, Schema>, storage: boolean) => ({
    name,
    served: true,
    storage,
    schema: root(obj({ components: obj(components) }), statusSchema(Object.keys(components), name === 'v1')),
    subresources: { status: {} },
    additionalPrinterColumns: DSC_PRINTER_COLUMNS,
  });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'datascienceclusters.datasciencecluster.opendatahub.io' },
    spec: {
      group: 'datasciencecluster.opendatahub.io',
      names: { kind: 'DataScienceCluster', listKind: 'DataScienceClusterList', plural: 'datascienceclusters', singular: 'datasciencecluster', shortNames: ['dsc'] },
      scope: 'Cluster',
      versions: [version('v1', v1Components, false), version('v2', v2Components, true)],
      conversion: conversion(endpoint),
    },
  };
}

export function dscInitializationCrd33(endpoint: ConversionEndpoint): Record<string, unknown> {
  const monitoring = obj(
    {
      managementState: state(),
      namespace: namespace('redhat-ods-monitoring', 'MonitoringNamespace is immutable'),
      // Metrics, traces and alerting are kept as given: the runbooks and the simulator never read them.
      metrics: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      traces: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      alerting: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      collectorReplicas: { type: 'integer', format: 'int32' },
    },
  );
  const common: Record<string, Schema> = {
    applicationsNamespace: namespace('redhat-ods-applications', 'ApplicationsNamespace is immutable'),
    monitoring,
    trustedCABundle: obj(
      { managementState: state(['Managed', 'Removed', 'Unmanaged'], 'Removed'), customCABundle: str({ default: '' }) },
      { required: ['customCABundle', 'managementState'] },
    ),
  };
  const v1Spec = obj({
    ...common,
    serviceMesh: obj({
      managementState: state(['Managed', 'Unmanaged', 'Removed'], 'Removed'),
      controlPlane: obj({
        name: str({ default: 'data-science-smcp' }),
        namespace: namespace('istio-system'),
        metricsCollection: str({ enum: ['Istio', 'None'], default: 'Istio' }),
      }),
      auth: obj({ namespace: namespace(undefined), audiences: { type: 'array', items: str(), default: ['https://kubernetes.default.svc'] } }),
    }),
    devFlags: obj({ manifestsUri: str(), logmode: str({ enum: ['devel', 'development', 'prod', 'production', 'default'], default: 'production' }), logLevel: str() }),
  });
  const v2Spec = obj({ ...common, devFlags: obj({ logLevel: str() }) });
  const status = obj({ phase: str(), conditions: CONDITIONS, relatedObjects: RELATED_OBJECTS, errorMessage: str(), release: obj({ name: str(), version: str() }) });
  const version = (name: string, spec: Schema, storage: boolean) => ({
    name,
    served: true,
    storage,
    schema: root(spec, status),
    subresources: { status: {} },
    additionalPrinterColumns: [
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Current Phase' },
      { name: 'Created At', type: 'string', jsonPath: '.metadata.creationTimestamp' },
    ],
  });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'dscinitializations.dscinitialization.opendatahub.io' },
    spec: {
      group: 'dscinitialization.opendatahub.io',
      names: { kind: 'DSCInitialization', listKind: 'DSCInitializationList', plural: 'dscinitializations', singular: 'dscinitialization', shortNames: ['dsci'] },
      scope: 'Cluster',
      versions: [version('v1', v1Spec, false), version('v2', v2Spec, true)],
      conversion: conversion(endpoint),
    },
  };
}
