// The RHOAI components per release, as the operator's component registry knows them, and the
// status texts it writes. Facts from red-hat-data-services/rhods-operator, branches rhoai-2.25 and
// rhoai-3.3:
// - Registry order = the import order in cmd/main.go (alphabetical by package); it is the order of
//   the names in "Some components are not ready: ..." (internal/controller/datasciencecluster/
//   datasciencecluster_controller_support.go).
// - Condition `<Kind>Ready` (status.ReadySuffix; internal/controller/components/*/*_support.go). In
//   3.3 the pipelines condition is AIPipelinesReady while the component CR stays DataSciencePipelines
//   default-datasciencepipelines and its registry name datasciencepipelines
//   (datasciencepipelines_support.go:19-21; api/components/v1alpha1/datasciencepipelines_types.go).
// - CRs are singletons named default-<name> (api/components/v1alpha1/*_types.go CEL markers).
// - ModelController and ModelsAsService have no DSC key: the operator derives them from kserve
//   (3.3 modelcontroller.go IsEnabled, modelsasservice.go IsEnabled; 2.25 modelcontroller.go: kserve or
//   modelmeshserving).
// - installedComponents keys of 2.25 (each component's LegacyComponentName, 2.25
//   internal/controller/components/*/*_support.go).
import type { Release } from '../webhooks/admission.js';

export interface Component {
  /** Registry name: how ComponentsReady names it; the CR is `default-<name>`. */
  name: string;
  /** Key under spec.components and status.components of the release's storage version; none for derived components. */
  key?: string;
  /** Prefix of its DSC condition: `<condition>Ready`. */
  condition: string;
  /** Kind of its cluster-scoped CR in components.platform.opendatahub.io. */
  kind: string;
  /** Its key in the v1 status.installedComponents (2.25). */
  installedKey?: string;
}

const C = (name: string, condition: string, extra: Partial<Component> = {}): Component => ({ name, key: name, condition, kind: condition, installedKey: name, ...extra });

export const COMPONENTS: Readonly<Record<Release, readonly Component[]>> = {
  '2.25': [
    C('codeflare', 'CodeFlare'),
    C('dashboard', 'Dashboard'),
    C('datasciencepipelines', 'DataSciencePipelines', { installedKey: 'data-science-pipelines-operator' }),
    C('feastoperator', 'FeastOperator'),
    C('kserve', 'Kserve'),
    C('kueue', 'Kueue'),
    C('llamastackoperator', 'LlamaStackOperator'),
    { name: 'modelcontroller', condition: 'ModelController', kind: 'ModelController' },
    C('modelmeshserving', 'ModelMeshServing', { installedKey: 'model-mesh' }),
    C('modelregistry', 'ModelRegistry', { installedKey: 'model-registry-operator' }),
    C('ray', 'Ray'),
    C('trainingoperator', 'TrainingOperator'),
    C('trustyai', 'TrustyAI'),
    C('workbenches', 'Workbenches'),
  ],
  '3.3': [
    C('dashboard', 'Dashboard'),
    C('datasciencepipelines', 'AIPipelines', { key: 'aipipelines', kind: 'DataSciencePipelines' }),
    C('feastoperator', 'FeastOperator'),
    C('kserve', 'Kserve'),
    C('kueue', 'Kueue'),
    C('llamastackoperator', 'LlamaStackOperator'),
    C('mlflowoperator', 'MLflowOperator'),
    { name: 'modelcontroller', condition: 'ModelController', kind: 'ModelController' },
    C('modelregistry', 'ModelRegistry'),
    { name: 'modelsasservice', condition: 'ModelsAsService', kind: 'ModelsAsService' },
    C('ray', 'Ray'),
    C('trainer', 'Trainer'),
    C('trainingoperator', 'TrainingOperator'),
    C('trustyai', 'TrustyAI'),
    C('workbenches', 'Workbenches'),
  ],
};

/** Defaults of a fresh 2.25 DSC, as the dashboard creates it. */
export const DEFAULT_DSC_2_25_COMPONENTS: Record<string, unknown> = {
  dashboard: { managementState: 'Managed' },
  workbenches: { managementState: 'Managed', workbenchNamespace: 'rhods-notebooks' },
  modelmeshserving: { managementState: 'Managed' },
  datasciencepipelines: { managementState: 'Managed' },
  kserve: {
    managementState: 'Managed',
    defaultDeploymentMode: 'Serverless',
    rawDeploymentServiceConfig: 'Headless',
    nim: { managementState: 'Managed' },
    serving: { managementState: 'Managed', name: 'knative-serving', ingressGateway: { certificate: { type: 'OpenshiftDefaultIngress' } } },
  },
  kueue: { managementState: 'Managed', defaultClusterQueueName: 'default', defaultLocalQueueName: 'default' },
  codeflare: { managementState: 'Managed' },
  ray: { managementState: 'Managed' },
  trustyai: { managementState: 'Managed' },
  modelregistry: { managementState: 'Managed', registriesNamespace: 'rhoai-model-registries' },
  trainingoperator: { managementState: 'Removed' },
  feastoperator: { managementState: 'Removed' },
  llamastackoperator: { managementState: 'Removed' },
};

// Status texts, verbatim from internal/controller/status/status.go unless said otherwise.

/** A component not enabled: `<Kind>Ready` False, reason = the state, severity Info (every components/<c>/<c>.go UpdateDSCStatus). */
export const removedMessage = (state: string): string => `Component ManagementState is set to ${state}`;

/** 3.3 status.go:127-136 (KueueStateManagedNotSupportedMessage); reaches the DSC as KueueReady False, reason Error. */
export const KUEUE_MANAGED_MESSAGE = 'Kueue managementState Managed is not supported, please use Removed or Unmanaged';
/** 3.3 KueueOperatorNotInstalledMessage: Unmanaged without an OperatorCondition kueue-operator.*. */
export const KUEUE_OPERATOR_NOT_INSTALLED_MESSAGE = 'Kueue operator not installed, install it or change kueue component state to Removed';
/** 2.25 status.go:166-173: Managed (embedded Kueue) with the Red Hat build of Kueue installed, and Unmanaged without it. */
export const KUEUE_OPERATOR_ALREADY_INSTALLED_MESSAGE_2_25 = 'Kueue operator already installed, uninstall it or change kueue component state to Unmanaged';
export const KUEUE_OPERATOR_NOT_INSTALLED_MESSAGE_2_25 = 'Kueue operator not installed, install it or change kueue component state to Managed';

/** 3.3 status.go:175-179 CodeFlarePresentMessage (two lines), from the Ray controller's sanity check (ray_controller.go:66). */
export const CODEFLARE_PRESENT_MESSAGE =
  'Failed upgrade: CodeFlare component is present in the cluster. It must be uninstalled to proceed with Ray component upgrade.\n' +
  'To uninstall it, you should delete all RayClusters resources from the cluster, delete the CodeFlare component resource and recreate the RayClusters.';

/** 3.3 modelsasservice.go: ModelsAsServiceReady when KServe is not Managed (reason KServeDisabled). */
export const MODELS_AS_SERVICE_KSERVE_DISABLED_MESSAGE = 'KServe component is not managed, ModelsAsService requires KServe to be enabled';

/** 3.3 trainer_controller_actions.go:36-80 pre-conditions of a Managed Trainer. */
export const JOBSET_OPERATOR_NOT_INSTALLED_MESSAGE = 'JobSet operator not installed, please install it first';
export const JOBSET_OPERATOR_CR_NOT_FOUND_MESSAGE = "JobSetOperator CR with name 'cluster' not found, please create it first";

/**
 * 2.25 kserve_controller_actions.go:40-88 with serving Managed: a DSCI serviceMesh not Managed
 * (ServiceMeshNeedConfiguredMessage), else the missing operators, joined by hashicorp/go-multierror.
 */
export const SERVICE_MESH_NEEDS_MANAGED_MESSAGE_2_25 = "ServiceMesh needs to be set to 'Managed' in DSCI CR";
export function missingServingOperatorsMessage(missing: { serviceMesh: boolean; serverless: boolean }): string | undefined {
  const errors = [
    ...(missing.serviceMesh ? ["ServiceMesh operator must be installed for this component's configuration"] : []),
    ...(missing.serverless ? ["Serverless operator must be installed for this component's configuration"] : []),
  ];
  if (errors.length === 0) return undefined;
  // go-multierror's default format.
  return `${errors.length} error${errors.length === 1 ? '' : 's'} occurred:\n${errors.map((e) => `\t* ${e}`).join('\n')}\n\n`;
}
