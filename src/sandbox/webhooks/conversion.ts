// The v1 <-> v2 conversion of DataScienceCluster and DSCInitialization as the RHOAI 3.3 operator's
// conversion webhook does it (ConversionReview v1), as plain functions over JSON objects.
//
// Facts, from red-hat-data-services/rhods-operator branch rhoai-3.3:
// - api/datasciencecluster/v1/datasciencecluster_conversion.go (v2 is the hub):
//   v1 -> v2: datasciencepipelines becomes aipipelines; codeflare and modelmeshserving are dropped;
//     trainer and mlflowoperator are set to Removed in spec and status (a write through v1 therefore
//     resets them); installedComponents is dropped.
//   v2 -> v1: aipipelines becomes datasciencepipelines; trainer and mlflowoperator are dropped;
//     status.installedComponents is rebuilt from the v2 status component states (true = Managed),
//     with the legacy keys data-science-pipelines-operator and model-registry-operator.
//   Both ways: condition types have DataSciencePipelines <-> AIPipelines replaced (e.g.
//   DataSciencePipelinesReady <-> AIPipelinesReady).
// - api/dscinitialization/v1/dscinitialization_conversion.go: only applicationsNamespace,
//   monitoring, trustedCABundle {managementState, customCABundle} and devFlags.logLevel cross; the
//   v1 serviceMesh and devFlags.manifestsUri/logmode are dropped; status phase, conditions,
//   relatedObjects, errorMessage and release are copied.
// The operator converts through Go structs, so a component it does not know is lost and an absent
// one comes out as `{}`; here absent components stay absent (same meaning: not Managed), and
// fields the target schema lacks are pruned by the API server after the webhook answers.

type Json = Record<string, unknown>;

const DSC_GROUP = 'datasciencecluster.opendatahub.io';
const DSCI_GROUP = 'dscinitialization.opendatahub.io';

/** Spec and status keys that cross unchanged between DSC v1 and v2. */
const SHARED_COMPONENTS = ['dashboard', 'workbenches', 'kserve', 'kueue', 'ray', 'trustyai', 'modelregistry', 'trainingoperator', 'feastoperator', 'llamastackoperator'];

/** installedComponents keys of a v1 read, each from a v2 status component (constructInstalledComponentsFromV2Status). */
const INSTALLED_COMPONENTS: readonly (readonly [string, string])[] = [
  ['dashboard', 'dashboard'],
  ['data-science-pipelines-operator', 'aipipelines'],
  ['kserve', 'kserve'],
  ['kueue', 'kueue'],
  ['ray', 'ray'],
  ['trustyai', 'trustyai'],
  ['model-registry-operator', 'modelregistry'],
  ['trainingoperator', 'trainingoperator'],
  ['feastoperator', 'feastoperator'],
  ['llamastackoperator', 'llamastackoperator'],
  ['workbenches', 'workbenches'],
];

const REMOVED = { managementState: 'Removed' };

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const objectAt = (v: unknown): Json => (isObject(v) ? v : {});

function pick(from: Json, keys: readonly string[]): Json {
  const out: Json = {};
  for (const k of keys) if (from[k] !== undefined) out[k] = from[k];
  return out;
}

function renameConditions(conditions: unknown, from: string, to: string): unknown {
  if (!Array.isArray(conditions)) return conditions;
  return conditions.map((c) => (isObject(c) && typeof c.type === 'string' ? { ...c, type: c.type.split(from).join(to) } : c));
}

/** The common status fields (phase, observedGeneration, conditions, relatedObjects, errorMessage, release). */
function commonStatus(status: Json, conditionsFrom: string, conditionsTo: string): Json {
  const out = pick(status, ['phase', 'observedGeneration', 'relatedObjects', 'errorMessage', 'release']);
  if (status.conditions !== undefined) out.conditions = renameConditions(status.conditions, conditionsFrom, conditionsTo);
  return out;
}

function dscV1ToV2(obj: Json): Json {
  const spec = objectAt(obj.spec);
  const components = objectAt(spec.components);
  const status = objectAt(obj.status);
  const statusComponents = objectAt(status.components);
  const out: Json = { ...obj, apiVersion: `${DSC_GROUP}/v2` };
  out.spec = {
    ...spec,
    components: {
      ...pick(components, SHARED_COMPONENTS),
      ...(components.datasciencepipelines !== undefined ? { aipipelines: components.datasciencepipelines } : {}),
      trainer: { ...REMOVED },
      mlflowoperator: { ...REMOVED },
    },
  };
  if (obj.status !== undefined) {
    out.status = {
      ...commonStatus(status, 'DataSciencePipelines', 'AIPipelines'),
      components: {
        ...pick(statusComponents, SHARED_COMPONENTS),
        ...(statusComponents.datasciencepipelines !== undefined ? { aipipelines: statusComponents.datasciencepipelines } : {}),
        trainer: { ...REMOVED },
        mlflowoperator: { ...REMOVED },
      },
    };
  }
  return out;
}

function dscV2ToV1(obj: Json): Json {
  const spec = objectAt(obj.spec);
  const components = objectAt(spec.components);
  const status = objectAt(obj.status);
  const statusComponents = objectAt(status.components);
  const out: Json = { ...obj, apiVersion: `${DSC_GROUP}/v1` };
  out.spec = {
    ...spec,
    components: {
      ...pick(components, SHARED_COMPONENTS),
      ...(components.aipipelines !== undefined ? { datasciencepipelines: components.aipipelines } : {}),
    },
  };
  const installed = Object.fromEntries(INSTALLED_COMPONENTS.map(([v1Key, v2Key]) => [v1Key, objectAt(statusComponents[v2Key]).managementState === 'Managed']));
  out.status = {
    ...commonStatus(status, 'AIPipelines', 'DataSciencePipelines'),
    installedComponents: installed,
    components: {
      ...pick(statusComponents, SHARED_COMPONENTS),
      ...(statusComponents.aipipelines !== undefined ? { datasciencepipelines: statusComponents.aipipelines } : {}),
    },
  };
  return out;
}

function dsciConvert(obj: Json, toVersion: 'v1' | 'v2'): Json {
  const spec = objectAt(obj.spec);
  const out: Json = { ...obj, apiVersion: `${DSCI_GROUP}/${toVersion}` };
  const nextSpec = pick(spec, ['applicationsNamespace', 'monitoring']);
  if (isObject(spec.trustedCABundle)) nextSpec.trustedCABundle = pick(spec.trustedCABundle, ['managementState', 'customCABundle']);
  if (isObject(spec.devFlags)) nextSpec.devFlags = pick(spec.devFlags, ['logLevel']);
  out.spec = nextSpec;
  if (obj.status !== undefined) out.status = pick(objectAt(obj.status), ['phase', 'conditions', 'relatedObjects', 'errorMessage', 'release']);
  return out;
}

/** One object to `desiredAPIVersion`; unchanged when already there. Throws on a kind it does not convert. */
export function convertObject(obj: Json, desiredAPIVersion: string): Json {
  const from = String(obj.apiVersion ?? '');
  if (from === desiredAPIVersion) return obj;
  const [group, fromVersion] = from.split('/');
  const [toGroup, toVersion] = desiredAPIVersion.split('/');
  if (group !== toGroup) throw new Error(`cannot convert ${from} to ${desiredAPIVersion}`);
  if (group === DSC_GROUP && obj.kind === 'DataScienceCluster') {
    if (fromVersion === 'v1' && toVersion === 'v2') return dscV1ToV2(obj);
    if (fromVersion === 'v2' && toVersion === 'v1') return dscV2ToV1(obj);
  }
  if (group === DSCI_GROUP && obj.kind === 'DSCInitialization' && (toVersion === 'v1' || toVersion === 'v2') && (fromVersion === 'v1' || fromVersion === 'v2')) {
    return dsciConvert(obj, toVersion);
  }
  throw new Error(`cannot convert ${String(obj.kind)} ${from} to ${desiredAPIVersion}`);
}

/** Answers a ConversionReview (apiextensions.k8s.io/v1). */
export function reviewConversion(review: unknown): Json {
  const request = objectAt(objectAt(review).request);
  const uid = request.uid;
  const desired = String(request.desiredAPIVersion ?? '');
  let response: Json;
  try {
    const objects = Array.isArray(request.objects) ? request.objects : [];
    response = { uid, convertedObjects: objects.map((o) => convertObject(objectAt(o), desired)), result: { status: 'Success' } };
  } catch (err) {
    response = { uid, convertedObjects: [], result: { status: 'Failure', message: (err as Error).message } };
  }
  return { apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', response };
}
