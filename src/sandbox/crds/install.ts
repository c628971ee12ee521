import { createHash } from 'node:crypto';
import {
  ApiException,
  ApiextensionsV1Api,
  CustomObjectsApi,
  KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { loadCrds } from './load.js';

export interface InstallCrdsOptions {
  /** Upper bound for the CRDs to become Established and discoverable. Default 60 s. */
  timeoutMs?: number;
  /** Install these instead of loadCrds(), e.g. a subset in a test. */
  crds?: V1CustomResourceDefinition[];
}

const POLL_MS = 150;

/**
 * Create or update every CRD, then wait until each is Established and its resource is listed in
 * discovery for every served version. Safe to call again on a cluster that already has them.
 */
export async function installCrds(kubeconfigPath: string, options: InstallCrdsOptions = {}): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const crds = options.crds ?? (await loadCrds());
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;

  // One list tells which CRDs exist and at which resourceVersion; then every write at once: the API
  // server handles a few dozen CRD writes in parallel without complaint.
  const live = new Map((await api.listCustomResourceDefinition()).items.map((c) => [c.metadata?.name ?? '', c]));
  await Promise.all(crds.map((crd) => createOrUpdate(api, withHash(crd), live.get(crd.metadata?.name ?? ''))));
  await waitEstablished(api, crds, deadline, timeoutMs);
  await waitDiscoverable(kc.makeApiClient(CustomObjectsApi), crds, deadline, timeoutMs);
}

// The API server fills in defaults, so comparing the live CRD with the file is noisy; a hash of the
// file's version in an annotation says cheaply whether an update is needed at all.
const HASH_ANNOTATION = 'runbook.sandbox/definition-hash';

function withHash(crd: V1CustomResourceDefinition): V1CustomResourceDefinition {
  const hash = createHash('sha256').update(JSON.stringify(crd)).digest('hex').slice(0, 16);
  return { ...crd, metadata: { ...crd.metadata, annotations: { ...crd.metadata?.annotations, [HASH_ANNOTATION]: hash } } };
}

async function createOrUpdate(api: ApiextensionsV1Api, crd: V1CustomResourceDefinition, existing: V1CustomResourceDefinition | undefined): Promise<void> {
  const name = crd.metadata?.name ?? '';
  if (!existing) {
    try {
      await api.createCustomResourceDefinition({ body: crd });
      return;
    } catch (err) {
      if (!isStatus(err, 409)) throw describe(err, `create CRD ${name}`);
      existing = await api.readCustomResourceDefinition({ name });
    }
  }
  // Replace with the current resourceVersion; re-read and retry if someone else wrote in between.
  for (let attempt = 1; ; attempt++) {
    if (existing.metadata?.annotations?.[HASH_ANNOTATION] === crd.metadata?.annotations?.[HASH_ANNOTATION]) return;
    const body: V1CustomResourceDefinition = { ...crd, metadata: { ...crd.metadata, resourceVersion: existing.metadata?.resourceVersion } };
    try {
      await api.replaceCustomResourceDefinition({ name, body });
      return;
    } catch (err) {
      if (!isStatus(err, 409) || attempt >= 5) throw describe(err, `update CRD ${name}`);
      existing = await api.readCustomResourceDefinition({ name });
    }
  }
}

// One list call per poll instead of a watch per CRD: cheap, and it also sees CRDs whose
// Established condition flipped before we started looking.
async function waitEstablished(api: ApiextensionsV1Api, crds: V1CustomResourceDefinition[], deadline: number, timeoutMs: number): Promise<void> {
  const wanted = new Set(crds.map((c) => c.metadata?.name ?? ''));
  let pending = new Map<string, string>();
  for (;;) {
    const list = await api.listCustomResourceDefinition();
    pending = new Map();
    const byName = new Map(list.items.map((c) => [c.metadata?.name ?? '', c]));
    for (const name of wanted) {
      const live = byName.get(name);
      const established = live?.status?.conditions?.find((c) => c.type === 'Established');
      if (established?.status === 'True') continue;
      const names = live?.status?.conditions?.find((c) => c.type === 'NamesAccepted');
      const why = names?.status === 'False' ? `NamesAccepted=False: ${names.message ?? names.reason ?? ''}` : (established?.message ?? 'not established yet');
      pending.set(name, live ? why : 'missing');
    }
    if (pending.size === 0) return;
    if (Date.now() >= deadline) {
      const detail = [...pending].map(([n, why]) => `${n} (${why})`).join(', ');
      throw new Error(`CRDs not Established after ${timeoutMs} ms: ${detail}`);
    }
    await sleep(POLL_MS);
  }
}

async function waitDiscoverable(api: CustomObjectsApi, crds: V1CustomResourceDefinition[], deadline: number, timeoutMs: number): Promise<void> {
  // group/version -> plurals expected there
  const expected = new Map<string, Set<string>>();
  for (const crd of crds) {
    for (const v of crd.spec.versions) {
      if (!v.served) continue;
      const key = `${crd.spec.group}/${v.name}`;
      let set = expected.get(key);
      if (!set) expected.set(key, (set = new Set()));
      set.add(crd.spec.names.plural);
    }
  }
  let missing: string[] = [];
  for (;;) {
    missing = [];
    await Promise.all(
      [...expected].map(async ([gv, plurals]) => {
        const [group = '', version = ''] = gv.split('/');
        let served = new Set<string>();
        try {
          const list = await api.getAPIResources({ group, version });
          served = new Set(list.resources.map((r) => r.name));
        } catch (err) {
          if (!isStatus(err, 404) && !isStatus(err, 503)) throw describe(err, `discover ${gv}`);
        }
        for (const p of plurals) if (!served.has(p)) missing.push(`${p}.${group}/${version}`);
      }),
    );
    if (missing.length === 0) return;
    if (Date.now() >= deadline) throw new Error(`CRDs established but not in discovery after ${timeoutMs} ms: ${missing.sort().join(', ')}`);
    await sleep(POLL_MS);
  }
}

function isStatus(err: unknown, code: number): boolean {
  return err instanceof ApiException && err.code === code;
}

function describe(err: unknown, what: string): Error {
  if (err instanceof ApiException) {
    const body = typeof err.body === 'string' ? err.body : JSON.stringify(err.body);
    let message = body;
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      // body was not JSON; keep it as is
    }
    return new Error(`${what}: HTTP ${err.code}: ${message}`, { cause: err });
  }
  return err instanceof Error ? new Error(`${what}: ${err.message}`, { cause: err }) : new Error(`${what}: ${String(err)}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
