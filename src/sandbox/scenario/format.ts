// The scenario format: the starting state of a sandbox cluster, as data. A scenario file is either
// one `SandboxScenario` document, or plain objects (a multi-document YAML, a `List`, or a folder of
// them, e.g. exported from a real cluster), which load on top of the `minimal` scenario.
import type { JsonSchema } from '../../contract/step-type.js';
import type { KubeObject } from '../../kube/types.js';
import type { ApiFaults } from '../fault-rules.js';
import type { Faults } from '../simulator/runtime.js';

export interface ScenarioOperator {
  package: string;
  namespace: string;
  /** Subscription name (default: the package). */
  name?: string;
  channel: string;
  version: string;
  approval?: 'Automatic' | 'Manual';
}

export interface GenerateSpec {
  namespaces: number;
  perNamespace: number;
}

export interface Scenario {
  name: string;
  description: string;
  /** Another scenario this one starts from. */
  base?: string;
  openshiftVersion?: string;
  operators: ScenarioOperator[];
  /** spec.components of the default DSC, merged over the 2.25 defaults. */
  dataScienceCluster?: Record<string, unknown>;
  /** spec of the default DSCI, merged over the 2.25 defaults. */
  dscInitialization?: Record<string, unknown>;
  objects: KubeObject[];
  /** Files or folders of plain objects, relative to the scenario file, loaded after `objects`. */
  include?: string[];
  generate?: { notebooks?: GenerateSpec; inferenceServices?: GenerateSpec };
  /** The simulator's faults, and `api`: faults between the user and the API server (a proxy). */
  faults?: Faults & { api?: ApiFaults };
}

const OPERATOR: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['package', 'namespace', 'channel', 'version'],
  properties: {
    package: { type: 'string' },
    namespace: { type: 'string' },
    name: { type: 'string' },
    channel: { type: 'string' },
    version: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+' },
    approval: { enum: ['Automatic', 'Manual'] },
  },
};

const GENERATE: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['namespaces', 'perNamespace'],
  properties: { namespaces: { type: 'integer', minimum: 1 }, perNamespace: { type: 'integer', minimum: 1 } },
};

export const SCENARIO_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata'],
  properties: {
    apiVersion: { const: 'runbook.dev/v1' },
    kind: { const: 'SandboxScenario' },
    metadata: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: { type: 'string' }, description: { type: 'string' } },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: {
        base: { type: 'string', description: 'A scenario this one starts from.' },
        openshiftVersion: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+$' },
        operators: { type: 'array', items: OPERATOR },
        dataScienceCluster: { type: 'object' },
        dscInitialization: { type: 'object' },
        objects: {
          type: 'array',
          items: { type: 'object', required: ['apiVersion', 'kind', 'metadata'], properties: { metadata: { type: 'object', required: ['name'] } } },
        },
        include: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          description: 'Files or folders of plain objects (as oc get -o yaml prints them), relative to this file, loaded after spec.objects.',
        },
        generate: { type: 'object', additionalProperties: false, properties: { notebooks: GENERATE, inferenceServices: GENERATE } },
        faults: {
          type: 'object',
          additionalProperties: false,
          properties: {
            dscNeverReady: { type: 'boolean' },
            installPlanFails: { type: 'array', items: { type: 'string' } },
            slowOperators: { type: 'array', items: { type: 'string' } },
            api: {
              type: 'object',
              additionalProperties: false,
              description: 'Faults between the user and the API server, through a proxy; the simulated operators are not affected.',
              properties: {
                seed: { type: 'integer', description: 'Same seed, same faults for the same requests.' },
                errors: { type: 'number', minimum: 0, maximum: 1, description: 'Share of requests answered 500.' },
                throttle: { type: 'number', minimum: 0, maximum: 1, description: 'Share of requests answered 429 with Retry-After.' },
                resets: { type: 'number', minimum: 0, maximum: 1, description: 'Share of connections reset.' },
                watchCutAfterEvents: { type: 'integer', minimum: 1, description: 'Cut every watch after this many events.' },
              },
            },
          },
        },
      },
    },
  },
};
