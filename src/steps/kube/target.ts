// Resolves a step's target (a name, or selectors) to the live objects, through the shared client.
import type { StepContext } from '../../contract/step-type.js';
import type { KubeObject, ObjectRef } from '../../kube/types.js';
import type { WaitTarget } from '../../kube/wait.js';
import { kubeOf } from '../services.js';
import type { Holds, InputOf, ObjectOf, Same } from '../schema.js';
import type { TARGET_PROPERTIES, TARGET_REQUIRED } from './fragments.js';

/** One object by name, or every object matching selectors: the same shape waits watch. */
export type Target = WaitTarget;

// The shape kube/wait.ts declares is the one the schema fragment declares.
type _TargetFits = Holds<Same<Target, InputOf<ObjectOf<typeof TARGET_PROPERTIES, typeof TARGET_REQUIRED>>>>;

/** The objects a target names now: one (or none) by name, or all selector matches. */
export async function resolveTargets(ctx: StepContext, t: Target): Promise<KubeObject[]> {
  const kube = kubeOf(ctx);
  // A kind the cluster does not serve has no objects: an operator that was never installed has no
  // operands to delete, a CRD-less cluster no CRs to check. Say so, rather than fail.
  if (!(await kube.mapper.tryMap(t.apiVersion, t.kind))) {
    ctx.log(`${t.apiVersion} ${t.kind} is not served by this cluster (its CRD is not installed): nothing matches`);
    return [];
  }
  if (t.name) {
    const obj = await kube.get(refOf(t), { signal: ctx.signal });
    return obj ? [obj] : [];
  }
  const list = await kube.list(
    { apiVersion: t.apiVersion, kind: t.kind, ...(t.namespace ? { namespace: t.namespace } : {}) },
    {
      signal: ctx.signal,
      ...(t.allNamespaces ? { allNamespaces: true } : {}),
      ...(t.labelSelector ? { labelSelector: t.labelSelector } : {}),
      ...(t.fieldSelector ? { fieldSelector: t.fieldSelector } : {}),
    },
  );
  return list.items.map((o) => ({ ...o, apiVersion: o.apiVersion ?? t.apiVersion, kind: o.kind ?? t.kind }));
}

export function refOf(t: Target): ObjectRef {
  return { apiVersion: t.apiVersion, kind: t.kind, name: t.name!, ...(t.namespace ? { namespace: t.namespace } : {}) };
}

export function refOfObject(o: KubeObject): ObjectRef {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name!,
    ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
  };
}

export function describeTarget(t: Target): string {
  if (t.name) return `${t.kind} ${t.namespace ? `${t.namespace}/` : ''}${t.name}`;
  const where = t.allNamespaces ? 'in all namespaces' : t.namespace ? `in ${t.namespace}` : '';
  const sel = [t.labelSelector, t.fieldSelector].filter(Boolean).join(', ');
  return `${t.kind} objects${sel ? ` matching ${sel}` : ''}${where ? ` ${where}` : ''}`;
}

export function describeObject(o: KubeObject): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

/** Plain target fields of a step input (the rest is the step's own). */
export function targetOf(input: Target): Target {
  const { apiVersion, kind, name, namespace, allNamespaces, labelSelector, fieldSelector } = input;
  return { apiVersion, kind, name, namespace, allNamespaces, labelSelector, fieldSelector };
}
