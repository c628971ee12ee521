// The validating admission webhooks of the RHOAI operator for DataScienceCluster and
// DSCInitialization, per release: what they are registered for, and how each answers an
// AdmissionReview (admission.k8s.io/v1).
//
// Facts (red-hat-data-services/rhods-operator):
// - rhoai-3.3 internal/webhook/datasciencecluster/v1/validating.go: DSC v1 CREATE and UPDATE deny a
//   spec.components.kueue.managementState of Managed ("Managed is no longer supported as a
//   managementState"); CREATE also enforces the singleton. .../v2/validating.go: v2 CREATE, singleton
//   only (no Kueue check).
// - rhoai-3.3 internal/webhook/dscinitialization/v{1,2}/validating.go: CREATE singleton; DELETE denied
//   while any DataScienceCluster exists ("Cannot delete DSCInitialization v1|v2 object when
//   DataScienceCluster object still exists").
// - rhoai-3.3 pkg/webhook/utils.go ValidateSingletonCreation: "Only one instance of <Kind> object is
//   allowed", counting the objects that exist. Allowed answers say "Operation <OP> on <Kind> v1|v2
//   allowed"; a request of an unexpected kind is an error (400).
// - rhoai-2.25 internal/webhook/datasciencecluster/validating.go (path /validate-datasciencecluster,
//   v1 CREATE, singleton) and internal/webhook/dscinitialization/validating.go (path
//   /validate-dscinitialization, v1 CREATE and DELETE, "Cannot delete DSCInitialization object when
//   DataScienceCluster object still exists").
// - Every one is failurePolicy Fail, sideEffects None, admissionReviewVersions [v1] (kubebuilder
//   markers; the 3.3.5 CSV webhookdefinitions agree), matchPolicy Exact in 3.3.
// The defaulting (mutating) webhooks of 3.3, which only fill modelregistry.registriesNamespace, are
// not simulated: the CRD schema default gives the same value.

export type Release = '2.25' | '3.3';

export const DSC_GROUP = 'datasciencecluster.opendatahub.io';
export const DSCI_GROUP = 'dscinitialization.opendatahub.io';
export const KUEUE_MANAGED_DENIED = 'Managed is no longer supported as a managementState';

export interface ValidatingWebhookDefinition {
  /** The webhook's name (OLM uses it as generateName of the configuration). */
  name: string;
  path: string;
  group: string;
  resource: string;
  versions: string[];
  operations: string[];
}

const hook = (name: string, path: string, group: string, resource: string, versions: string[], operations: string[]): ValidatingWebhookDefinition => ({ name, path, group, resource, versions, operations });

export const VALIDATING_WEBHOOKS: Readonly<Record<Release, readonly ValidatingWebhookDefinition[]>> = {
  '2.25': [
    hook('datasciencecluster-validator.opendatahub.io', '/validate-datasciencecluster', DSC_GROUP, 'datascienceclusters', ['v1'], ['CREATE']),
    hook('dscinitialization-validator.opendatahub.io', '/validate-dscinitialization', DSCI_GROUP, 'dscinitializations', ['v1'], ['CREATE', 'DELETE']),
  ],
  '3.3': [
    hook('datasciencecluster-v1-validator.opendatahub.io', '/validate-datasciencecluster-v1', DSC_GROUP, 'datascienceclusters', ['v1'], ['CREATE', 'UPDATE']),
    hook('datasciencecluster-v2-validator.opendatahub.io', '/validate-datasciencecluster-v2', DSC_GROUP, 'datascienceclusters', ['v2'], ['CREATE']),
    hook('dscinitialization-v1-validator.opendatahub.io', '/validate-dscinitialization-v1', DSCI_GROUP, 'dscinitializations', ['v1'], ['CREATE', 'DELETE']),
    hook('dscinitialization-v2-validator.opendatahub.io', '/validate-dscinitialization-v2', DSCI_GROUP, 'dscinitializations', ['v2'], ['CREATE', 'DELETE']),
  ],
};

/** Counts the objects of a kind that exist now (the webhook lists them, as the operator does). */
export type CountObjects = (kind: 'DataScienceCluster' | 'DSCInitialization') => Promise<number>;

interface AdmissionRequest {
  uid?: string;
  kind?: { group?: string; version?: string; kind?: string };
  operation?: string;
  object?: { spec?: { components?: { kueue?: { managementState?: string } } } } | null;
}

interface Verdict {
  allowed: boolean;
  code: number;
  message: string;
}

const allow = (message: string): Verdict => ({ allowed: true, code: 200, message });
const deny = (message: string): Verdict => ({ allowed: false, code: 403, message });
const errored = (message: string): Verdict => ({ allowed: false, code: 400, message });

async function singleton(req: AdmissionRequest, expected: 'DataScienceCluster' | 'DSCInitialization', count: CountObjects): Promise<Verdict | undefined> {
  if (req.kind?.kind !== expected) return errored(`unexpected kind: ${req.kind?.kind}, group: ${req.kind?.group}`);
  return (await count(expected)) > 0 ? deny(`Only one instance of ${expected} object is allowed`) : undefined;
}

/** The verdict of the webhook served at `path`; undefined when no webhook is served there. */
export async function validate(path: string, req: AdmissionRequest, count: CountObjects): Promise<Verdict | undefined> {
  const op = req.operation ?? '';
  const kind = req.kind?.kind ?? '';
  switch (path) {
    case '/validate-datasciencecluster-v1': {
      if (req.kind?.group !== DSC_GROUP || kind !== 'DataScienceCluster' || req.kind?.version !== 'v1') return errored(`unexpected gvk: ${JSON.stringify(req.kind)}; expecting: ${DSC_GROUP}/v1, Kind=DataScienceCluster`);
      if (op === 'CREATE' || op === 'UPDATE') {
        if (req.object?.spec?.components?.kueue?.managementState === 'Managed') return deny(KUEUE_MANAGED_DENIED);
        if (op === 'CREATE') {
          const refused = await singleton(req, 'DataScienceCluster', count);
          if (refused) return refused;
        }
      }
      return allow(`Operation ${op} on ${kind} v1 allowed`);
    }
    case '/validate-datasciencecluster-v2': {
      if (op === 'CREATE') {
        const refused = await singleton(req, 'DataScienceCluster', count);
        if (refused) return refused;
      }
      return allow(`Operation ${op} on ${kind} v2 allowed`);
    }
    case '/validate-dscinitialization-v1':
    case '/validate-dscinitialization-v2': {
      const version = path.endsWith('v1') ? 'v1' : 'v2';
      if (op === 'CREATE') {
        const refused = await singleton(req, 'DSCInitialization', count);
        if (refused) return refused;
      }
      if (op === 'DELETE' && (await count('DataScienceCluster')) > 0) return deny(`Cannot delete DSCInitialization ${version} object when DataScienceCluster object still exists`);
      return allow(`Operation ${op} on ${kind} ${version} allowed`);
    }
    case '/validate-datasciencecluster': {
      if (op === 'CREATE') {
        const refused = await singleton(req, 'DataScienceCluster', count);
        if (refused) return refused;
      }
      return allow(`Operation ${op} on ${kind} allowed`);
    }
    case '/validate-dscinitialization': {
      if (op === 'CREATE') {
        const refused = await singleton(req, 'DSCInitialization', count);
        if (refused) return refused;
      }
      if (op === 'DELETE' && (await count('DataScienceCluster')) > 0) return deny('Cannot delete DSCInitialization object when DataScienceCluster object still exists');
      return allow(`Operation ${op} on ${kind} allowed`);
    }
    default:
      return undefined;
  }
}

/** Answers an AdmissionReview for the webhook at `path`, the way controller-runtime shapes the response. */
export async function reviewAdmission(path: string, review: unknown, count: CountObjects): Promise<Record<string, unknown> | undefined> {
  const req = ((review as { request?: AdmissionRequest } | null)?.request ?? {}) as AdmissionRequest;
  const verdict = await validate(path, req, count);
  if (!verdict) return undefined;
  const result: Record<string, unknown> = { code: verdict.code, message: verdict.message };
  if (verdict.code === 403) result.reason = 'Forbidden';
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: req.uid, allowed: verdict.allowed, status: result } };
}
