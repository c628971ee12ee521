// Readiness by kind: what "ready" means for each kind a runbook waits on, as predicates that also
// say why they are not done yet (that text ends up in timeout messages). `exists` is the fallback.
//
// A status is judged only once it is current: right after a spec change it still describes the
// previous spec (a Ready phase, a Failed condition), until the controller has observed the new
// generation. Where an object reports `status.observedGeneration` (or a condition its own
// `observedGeneration`), a value behind `metadata.generation` makes the verdict pending.
import type { KubeObject } from './types.js';
import { splitApiVersion } from './types.js';

export type WaitStatus = 'done' | 'failed' | 'pending';

export interface Verdict {
  status: WaitStatus;
  /** What was seen, in words: "2 of 3 replicas available", "phase Installing". */
  description: string;
}

/** Judges one object; `null` means it does not exist (now). */
export type ObjectPredicate = (obj: KubeObject | null) => Verdict;

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  /** metav1.Condition: the generation the condition was set for. */
  observedGeneration?: number;
}

const done = (description: string): Verdict => ({ status: 'done', description });
const failed = (description: string): Verdict => ({ status: 'failed', description });
const pending = (description: string): Verdict => ({ status: 'pending', description });

function status(obj: KubeObject): Record<string, unknown> {
  const s = obj.status;
  return s && typeof s === 'object' ? (s as Record<string, unknown>) : {};
}

function spec(obj: KubeObject): Record<string, unknown> {
  const s = obj.spec;
  return s && typeof s === 'object' ? (s as Record<string, unknown>) : {};
}

function num(value: unknown, fallback = 0): number {
  return typeof value === 'number' ? value : fallback;
}

export function conditionsOf(obj: KubeObject | null): Condition[] {
  const list = obj ? status(obj).conditions : undefined;
  return Array.isArray(list) ? (list.filter((c) => c && typeof c === 'object' && 'type' in c) as Condition[]) : [];
}

export function findCondition(obj: KubeObject | null, type: string): Condition | undefined {
  return conditionsOf(obj).find((c) => c.type === type);
}

/** `Ready=False (Reason): message` */
export function describeCondition(c: Condition | undefined, type: string): string {
  if (!c) return `no ${type} condition yet`;
  return `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`;
}

function waitingFor(generation: number, what: string, observed: number): Verdict {
  return pending(`waiting for the controller to observe generation ${generation} (${what} is of generation ${observed})`);
}

/**
 * Pending while the controller has not observed the object's current generation: its
 * `status.observedGeneration`, where it reports one, is behind `metadata.generation`.
 */
export function staleStatus(obj: KubeObject): Verdict | undefined {
  const generation = obj.metadata?.generation;
  const observed = status(obj).observedGeneration;
  if (typeof generation === 'number' && typeof observed === 'number' && observed < generation) return waitingFor(generation, 'its status', observed);
  return undefined;
}

/** Pending while a condition that carries its own observedGeneration is behind the object's generation. */
export function staleCondition(obj: KubeObject, c: Condition | undefined): Verdict | undefined {
  const generation = obj.metadata?.generation;
  const observed = c?.observedGeneration;
  if (typeof generation === 'number' && typeof observed === 'number' && observed < generation) return waitingFor(generation, `condition ${c!.type}`, observed);
  return undefined;
}

/** The predicate, judged only on a current status (see staleStatus); absent objects pass through. */
export function onCurrentStatus(predicate: ObjectPredicate): ObjectPredicate {
  return (obj) => (obj ? staleStatus(obj) : undefined) ?? predicate(obj);
}

/** A workload controller always writes status; none yet means it has not looked at this object. */
function noStatusYet(obj: KubeObject): Verdict | undefined {
  if (typeof obj.metadata.generation === 'number' && Object.keys(status(obj)).length === 0) return pending('no status yet');
  return undefined;
}

/** Absent objects are pending; present ones are judged once their status is current. */
function withObject(judge: (obj: KubeObject) => Verdict): ObjectPredicate {
  return (obj) => (obj ? (staleStatus(obj) ?? judge(obj)) : pending('does not exist yet'));
}

export const exists: ObjectPredicate = (obj) => (obj ? done('exists') : pending('does not exist yet'));

export const deleted: ObjectPredicate = (obj) =>
  obj === null
    ? done('deleted')
    : pending(
        obj.metadata.deletionTimestamp
          ? `being deleted${obj.metadata.finalizers?.length ? `, waiting for finalizers ${obj.metadata.finalizers.join(', ')}` : ''}`
          : 'still exists',
      );

/**
 * The object of `uid` gone: absent, or its name now held by a new object (another uid), as
 * kubectl's delete --wait judges. A controller that recreates what was deleted would otherwise
 * hold the wait until it timed out, though the object deleted was long gone.
 */
export function deletedObject(uid: string | undefined): ObjectPredicate {
  return (obj) => (obj && uid && obj.metadata.uid && obj.metadata.uid !== uid ? done('deleted; a new object of the same name exists now') : deleted(obj));
}

/** `conditions[type] == status`; optional condition types/statuses that mean it failed. */
export function conditionIs(
  type: string,
  wanted = 'True',
  failWhen: { type: string; status: string; reason?: string }[] = [],
): ObjectPredicate {
  return withObject((obj) => {
    for (const f of failWhen) {
      const c = findCondition(obj, f.type);
      // A failure condition set for an older generation says nothing about the current spec.
      if (c && c.status === f.status && (f.reason === undefined || c.reason === f.reason) && !staleCondition(obj, c)) return failed(describeCondition(c, f.type));
    }
    const c = findCondition(obj, type);
    const stale = staleCondition(obj, c);
    if (stale) return stale;
    const text = describeCondition(c, type);
    return c?.status === wanted ? done(text) : pending(text);
  });
}

/** `status.phase` in `ok`; in `bad` fails. The description carries a reason/message when present. */
export function phaseIs(ok: string[], bad: string[] = [], field = 'phase'): ObjectPredicate {
  return withObject((obj) => {
    const s = status(obj);
    const phase = s[field];
    const extra = [s.reason, s.message].filter((x) => typeof x === 'string' && x).join(': ');
    const text = phase === undefined ? `no ${field} yet` : `${field} ${String(phase)}${extra ? ` (${extra})` : ''}`;
    if (typeof phase === 'string' && ok.includes(phase)) return done(text);
    if (typeof phase === 'string' && bad.includes(phase)) return failed(text);
    return pending(text);
  });
}

const deploymentReady = withObject((obj) => {
  const progressing = findCondition(obj, 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return failed(describeCondition(progressing, 'Progressing'));
  }
  const stale = noStatusYet(obj);
  if (stale) return stale;
  const s = status(obj);
  const want = num(spec(obj).replicas, 1);
  const updated = num(s.updatedReplicas);
  const available = num(s.availableReplicas);
  const total = num(s.replicas);
  if (updated < want) return pending(`${updated} of ${want} replicas updated`);
  if (total > updated) return pending(`${total - updated} old replicas pending termination`);
  if (available < want) return pending(`${available} of ${want} replicas available`);
  return done(`${available} of ${want} replicas available`);
});

const statefulSetReady = withObject((obj) => {
  const stale = noStatusYet(obj);
  if (stale) return stale;
  const s = status(obj);
  const want = num(spec(obj).replicas, 1);
  const ready = num(s.readyReplicas);
  const strategy = (spec(obj).updateStrategy as { type?: string } | undefined)?.type ?? 'RollingUpdate';
  if (strategy === 'RollingUpdate') {
    const updated = num(s.updatedReplicas);
    if (updated < want) return pending(`${updated} of ${want} replicas updated`);
    if (s.updateRevision && s.currentRevision !== s.updateRevision) return pending(`rolling to revision ${String(s.updateRevision)}`);
  }
  if (ready < want) return pending(`${ready} of ${want} replicas ready`);
  return done(`${ready} of ${want} replicas ready`);
});

const podReady = withObject((obj) => {
  const s = status(obj);
  const phase = typeof s.phase === 'string' ? s.phase : 'Pending';
  if (phase === 'Succeeded') return done('phase Succeeded');
  if (phase === 'Failed') return failed(`phase Failed${s.reason ? ` (${String(s.reason)})` : ''}${s.message ? `: ${String(s.message)}` : ''}`);
  const ready = findCondition(obj, 'Ready');
  if (ready?.status === 'True') return done('Ready=True');
  const waiting = (Array.isArray(s.containerStatuses) ? s.containerStatuses : [])
    .map((c: { name?: string; state?: { waiting?: { reason?: string } } }) => (c.state?.waiting?.reason ? `${c.name}: ${c.state.waiting.reason}` : ''))
    .filter(Boolean);
  return pending(`phase ${phase}, ${describeCondition(ready, 'Ready')}${waiting.length ? `; ${waiting.join(', ')}` : ''}`);
});

const jobComplete = conditionIs('Complete', 'True', [{ type: 'Failed', status: 'True' }]);

const crdEstablished = conditionIs('Established', 'True', [{ type: 'NamesAccepted', status: 'False' }]);

const installPlanComplete = withObject((obj) => {
  const s = status(obj);
  const phase = typeof s.phase === 'string' ? s.phase : undefined;
  const installed = findCondition(obj, 'Installed');
  const detail = installed?.message ? `: ${installed.message}` : '';
  if (phase === 'Complete') return done('phase Complete');
  if (phase === 'Failed') return failed(`phase Failed${detail}`);
  if (phase === 'RequiresApproval' && spec(obj).approved !== true) return pending('phase RequiresApproval (not approved yet)');
  return pending(phase ? `phase ${phase}${detail}` : 'no phase yet');
});

const subscriptionAtLatest = withObject((obj) => {
  const s = status(obj);
  const state = typeof s.state === 'string' && s.state ? s.state : undefined;
  const ipFailed = findCondition(obj, 'InstallPlanFailed');
  if (ipFailed?.status === 'True') return failed(describeCondition(ipFailed, 'InstallPlanFailed'));
  if (state === 'AtLatestKnown') return done(`state AtLatestKnown${s.installedCSV ? `, installed ${String(s.installedCSV)}` : ''}`);
  // Conditions that explain the wait: resolution failures, a plan waiting for approval.
  const trouble = conditionsOf(obj).filter(
    (c) => c.status === 'True' && (c.type.endsWith('Failed') || c.type === 'InstallPlanPending'),
  );
  const notes = trouble.map((c) => describeCondition(c, c.type));
  return pending(`state ${state ?? '(none yet)'}${s.currentCSV ? `, current ${String(s.currentCSV)}` : ''}${notes.length ? `; ${notes.join('; ')}` : ''}`);
});

/** DataScienceCluster / DSCInitialization: phase Ready; while not ready, name the conditions that are not True. */
const odhPhaseReady = withObject((obj) => {
  // A Ready phase counts only once the operator has observed the current generation (withObject).
  const phase = status(obj).phase;
  if (phase === 'Ready') return done('phase Ready');
  const notTrue = conditionsOf(obj)
    .filter((c) => c.status !== 'True' && c.reason !== 'Removed')
    .map((c) => describeCondition(c, c.type));
  return pending(`phase ${phase === undefined ? '(none yet)' : String(phase)}${notTrue.length ? `; ${notTrue.join('; ')}` : ''}`);
});

/** Fallback for kinds not in the table: a Ready condition if the object has one, else existence. */
export const genericReady: ObjectPredicate = withObject((obj) => {
  const ready = findCondition(obj, 'Ready');
  if (!ready) return done('exists (no Ready condition)');
  const stale = staleCondition(obj, ready);
  if (stale) return stale;
  return ready.status === 'True' ? done(describeCondition(ready, 'Ready')) : pending(describeCondition(ready, 'Ready'));
});

/** Keyed by `Kind` for the core group and `Kind.group` otherwise, so same-named kinds of other groups do not match. */
export const READINESS: Readonly<Record<string, ObjectPredicate>> = {
  'Deployment.apps': deploymentReady,
  'StatefulSet.apps': statefulSetReady,
  Pod: podReady,
  Namespace: phaseIs(['Active']),
  'Job.batch': jobComplete,
  'CustomResourceDefinition.apiextensions.k8s.io': crdEstablished,
  'ClusterServiceVersion.operators.coreos.com': phaseIs(['Succeeded'], ['Failed']),
  'InstallPlan.operators.coreos.com': installPlanComplete,
  'Subscription.operators.coreos.com': subscriptionAtLatest,
  'DataScienceCluster.datasciencecluster.opendatahub.io': odhPhaseReady,
  'DSCInitialization.dscinitialization.opendatahub.io': odhPhaseReady,
};

/** The readiness predicate for a kind; kinds not in the table get `genericReady`. */
export function readinessFor(apiVersion: string, kind: string): ObjectPredicate {
  const { group } = splitApiVersion(apiVersion);
  return onCurrentStatus(READINESS[group ? `${kind}.${group}` : kind] ?? genericReady);
}

/**
 * Lifts an object predicate to a list: done when every object is done (and there is at least
 * `min`), failed as soon as one fails.
 */
export function everyItem(predicate: ObjectPredicate, min = 1): (items: KubeObject[]) => Verdict {
  return (items) => {
    const verdicts = items.map((o) => ({ o, v: predicate(o) }));
    const bad = verdicts.find((x) => x.v.status === 'failed');
    if (bad) return failed(`${nameOf(bad.o)}: ${bad.v.description}`);
    if (items.length < min) return pending(`${items.length} of at least ${min} objects exist`);
    const waiting = verdicts.filter((x) => x.v.status === 'pending');
    if (waiting.length) return pending(waiting.map((x) => `${nameOf(x.o)}: ${x.v.description}`).join('; '));
    return done(`all ${items.length} ready`);
  };
}

function nameOf(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : String(o.metadata.name);
}
