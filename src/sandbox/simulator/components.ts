// The RHOAI components per major version: DSC spec key, condition type, component CR kind.
export interface Component {
  /** Key under spec.components. */
  key: string;
  /** Prefix of its condition: `<condition>Ready`. */
  condition: string;
  /** Kind of its cluster-scoped CR in components.platform.opendatahub.io (`default-<key>`). */
  kind: string;
}

const C = (key: string, condition: string, kind = condition): Component => ({ key, condition, kind });

export const COMPONENTS_2_25: readonly Component[] = [
  C('dashboard', 'Dashboard'),
  C('workbenches', 'Workbenches'),
  C('modelmeshserving', 'ModelMeshServing'),
  C('datasciencepipelines', 'DataSciencePipelines'),
  C('kserve', 'Kserve'),
  C('kueue', 'Kueue'),
  C('codeflare', 'CodeFlare'),
  C('ray', 'Ray'),
  C('trustyai', 'TrustyAI'),
  C('modelregistry', 'ModelRegistry'),
  C('trainingoperator', 'TrainingOperator'),
  C('feastoperator', 'FeastOperator'),
  C('llamastackoperator', 'LlamaStackOperator'),
];

export const COMPONENTS_3_3: readonly Component[] = [
  C('dashboard', 'Dashboard'),
  C('workbenches', 'Workbenches'),
  C('aipipelines', 'AIPipelines'),
  C('kserve', 'Kserve'),
  C('kueue', 'Kueue'),
  C('ray', 'Ray'),
  C('trustyai', 'TrustyAI'),
  C('modelregistry', 'ModelRegistry'),
  C('trainingoperator', 'TrainingOperator'),
  C('feastoperator', 'FeastOperator'),
  C('llamastackoperator', 'LlamaStackOperator'),
  C('mlflowoperator', 'MLflowOperator'),
  C('trainer', 'Trainer'),
];

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

export const KUEUE_MANAGED_MESSAGE = 'Kueue managementState Managed is not supported, please use Removed or Unmanaged';
export const CODEFLARE_PRESENT_MESSAGE =
  'Failed upgrade: CodeFlare component is present in the cluster. It will not be upgraded. Remove the CodeFlare component (set codeflare to Removed in the DataScienceCluster before upgrading) to continue.';
