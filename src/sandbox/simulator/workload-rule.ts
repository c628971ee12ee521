// The shape of a workload rule (what a controller of one kind computes) and the small helpers the
// rules share; workloads.ts runs the rules, one module per kind holds each.
import type { KubeObject, ResourceRef } from '../../kube/types.js';
import type { Condition, SimRuntime } from './runtime.js';

export interface ClusterFacts {
  /** RHOAI version running, if any. */
  rhoaiVersion(): string | undefined;
  /** The DSC spec.components, for defaults such as kserve.defaultDeploymentMode. */
  dscComponents(): Record<string, Record<string, unknown>>;
  installed(): Map<string, string>;
}

/** A pod a controller would create now from a template in the object. */
export interface PodFromTemplate {
  /** Which pod, in the words of the status: "head", "worker group small-group", "workbench". */
  role: string;
  /** The pod's metadata.generateName, as the controller names its pods. */
  generateName: string;
  /** Labels the controller adds to the template's. */
  labels: Record<string, string>;
  /** The PodTemplateSpec ({metadata, spec}) as the object holds it. */
  template: unknown;
}

/** What the API server said to one of those pods: refused (its message), or not. */
export interface PodVerdict {
  role: string;
  refused?: string;
}

export interface Rule {
  ref: ResourceRef;
  /** The status to write, or undefined to leave it; `pods` are the verdicts on the pods of `podsOf`. */
  status(obj: KubeObject, facts: ClusterFacts, major3: boolean, pods: readonly PodVerdict[]): Record<string, unknown> | undefined;
  /** The pods the controller would create from the object's templates now (none while stopped or suspended). */
  podsOf?(obj: KubeObject, ctx: { rt: SimRuntime; facts: ClusterFacts; major3: boolean }): PodFromTemplate[] | Promise<PodFromTemplate[]>;
  /** Extra work (e.g. a 2.x controller removing its finalizer on deletion). */
  finalize?(obj: KubeObject, rt: SimRuntime, major3: boolean, facts: ClusterFacts): Promise<void>;
  /** Mark each object with the RHOAI major it was first seen under (CREATED_UNDER). */
  stampCreatedUnder?: boolean;
}

export const ann = (o: KubeObject, k: string): string | undefined => o.metadata.annotations?.[k];
export const cond = (type: string, ok: boolean, reason: string, message: string): Condition => ({ type, status: ok ? 'True' : 'False', reason, message });
export const refusalOf = (pods: readonly PodVerdict[], test: (p: PodVerdict) => boolean = () => true): PodVerdict | undefined => pods.find((p) => p.refused !== undefined && test(p));

/** A label value as Kubernetes accepts it: at most 63 characters, starting and ending alphanumeric. */
export function labelValue(v: string): string {
  return v.slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/** A name prefix as Kubernetes accepts it in generateName: lower-case letters, digits, '-' and '.'. */
export function namePrefix(...parts: string[]): string {
  return `${parts.join('-').toLowerCase().replace(/[^a-z0-9.-]/g, '-')}-`;
}

/**
 * The RHOAI major version ("2" or "3") an object was first seen under. A real cluster knows this
 * from where the data lives (SQLite files of 2.25); the simulator needs it written down so that an
 * object created after the upgrade is not reported as carrying unmigrated 2.25 data.
 */
export const CREATED_UNDER = 'runbook.dev/sandbox-created-under';

export function containersOf(podSpec: unknown): { name?: string; env?: { name: string; value?: string }[] }[] {
  return ((podSpec as { containers?: unknown[] } | undefined)?.containers ?? []) as { name?: string; env?: { name: string; value?: string }[] }[];
}
