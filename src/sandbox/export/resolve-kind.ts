// Which version of a kind an export reads, and whether a CRD serves it (then its CRD is exported too).
import type { KubeClient } from '../../kube/client.js';
import { isForbidden } from '../../kube/errors.js';
import type { KubeObject, ResourceMapping } from '../../kube/types.js';
import type { WantedKind } from './kinds.js';

export const CRD = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' } as const;

/**
 * The version to read a kind at: the CRD's storage version when a CRD serves it, else the
 * highest-priority version (as kubectl orders them) among those the steps name that is served.
 */
export async function resolveKind(
  kube: KubeClient,
  w: WantedKind,
): Promise<{ mapping: ResourceMapping; crd?: KubeObject; assumedCustom: boolean; crdNote?: string } | string> {
  const versions = [...w.versions].sort(byVersionPriority);
  let mapping: ResourceMapping | undefined;
  for (const v of versions) {
    mapping = await kube.mapper.tryMap(w.group ? `${w.group}/${v}` : v, w.kind);
    if (mapping) break;
  }
  if (!mapping) return `not served by the cluster (${versions.map((v) => (w.group ? `${w.group}/${v}` : v)).join(', ')})`;
  // Built-in groups have no dot (core, apps, batch, policy…); any other may be served by a CRD.
  if (!mapping.group.includes('.')) return { mapping, assumedCustom: false };
  let crd: KubeObject | null;
  try {
    crd = await kube.get({ ...CRD, name: `${mapping.resource}.${mapping.group}` });
  } catch (err) {
    if (!isForbidden(err)) throw err;
    return { mapping, assumedCustom: true, crdNote: 'not allowed to read its CRD: read in all namespaces, and no CRD written' };
  }
  if (!crd) return { mapping, assumedCustom: false };
  const spec = crd.spec as { versions?: { name: string; served?: boolean; storage?: boolean }[] } | undefined;
  const storage = spec?.versions?.find((v) => v.storage && v.served !== false)?.name;
  if (storage && storage !== mapping.version) {
    const stored = await kube.mapper.tryMap(`${mapping.group}/${storage}`, mapping.kind);
    if (stored) mapping = stored;
  }
  return { mapping, crd, assumedCustom: false };
}

/** kubectl's order: GA before beta before alpha, higher numbers first, anything else last. */
export function byVersionPriority(a: string, b: string): number {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0];
    return [m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2, -Number(m[1]), -Number(m[3] ?? 0)];
  };
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
  return a.localeCompare(b);
}
