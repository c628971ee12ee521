// Schema fragments shared by the Kubernetes step types, declared once and composed (like the
// argument specs of kubernetes.core): which object(s) a step is about, and how long to wait.
// Declared `as const`, so the input types derived from the schemas that use them are exact.
import type { JsonSchema } from '../../contract/step-type.js';
import { parseDuration } from '../../runbook/format.js';
import { DURATION } from '../schema.js';

/** One object by name, or every object matching selectors. */
export const TARGET_PROPERTIES = {
  apiVersion: { type: 'string', minLength: 1, description: 'API version of the kind, e.g. datasciencecluster.opendatahub.io/v1.' },
  kind: { type: 'string', minLength: 1, description: 'Kind, e.g. DataScienceCluster.' },
  name: { type: 'string', description: 'Object name. Without it, the step applies to every object the selectors match.' },
  namespace: { type: 'string', description: 'Namespace (namespaced kinds); default: the --namespace flag, then the kubeconfig context.' },
  allNamespaces: { type: 'boolean', description: 'With no name: match in every namespace.' },
  labelSelector: { type: 'string', description: 'With no name: a label selector, e.g. app=notebook,!stopped.' },
  fieldSelector: { type: 'string', description: 'With no name: a field selector, e.g. metadata.name!=keep.' },
} as const satisfies Record<string, JsonSchema>;

export const TARGET_REQUIRED = ['apiVersion', 'kind'] as const;

export const TIMEOUT = { ...DURATION, default: '10m', description: 'How long to wait at most (default 10m).' } as const satisfies JsonSchema;

/** The wait of a step whose `timeout` is not given. */
export const DEFAULT_WAIT_MS = parseDuration(TIMEOUT.default)!;
