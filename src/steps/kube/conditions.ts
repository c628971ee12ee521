// What a `wait` (or a `failWhen`) waits for, declared as data and compiled into a predicate over
// the object (named target) or the list of matches (selector target). Whatever reads a status
// (ready, condition, and a jsonpath or expression that mentions status) judges it only once it is
// current: while `status.observedGeneration` is behind `metadata.generation` the verdict is
// pending, so a failWhen never fires on what the controller said about the previous spec.
import { JSONPath } from 'jsonpath-plus';
import { StepFailure } from '../../contract/errors.js';
import type { JsonSchema, StepContext } from '../../contract/step-type.js';
import {
  conditionIs,
  deleted,
  describeCondition,
  everyItem,
  exists,
  findCondition,
  readinessFor,
  staleCondition,
  staleStatus,
  type ObjectPredicate,
  type Verdict,
} from '../../kube/readiness.js';
import type { KubeObject } from '../../kube/types.js';
import { defaultsOf, type Fits, type Holds, type InputOf } from '../schema.js';

export interface WaitCondition {
  ready?: boolean;
  exists?: boolean;
  deleted?: boolean;
  condition?: { type: string; status?: string; reason?: string };
  expression?: string;
  jsonpath?: string;
  value?: string;
  count?: { min?: number; max?: number };
}

export const WAIT_CONDITION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  description: 'Exactly one of: ready, exists, deleted, condition, expression, jsonpath (with value), count.',
  minProperties: 1,
  // The rule the description states, enforced: a runbook that breaks it fails validation, not the run.
  oneOf: [
    { required: ['ready'] },
    { required: ['exists'] },
    { required: ['deleted'] },
    { required: ['condition'] },
    { required: ['expression'] },
    { required: ['jsonpath'] },
    { required: ['count'] },
  ],
  dependencies: { jsonpath: ['value'], value: ['jsonpath'] },
  properties: {
    ready: { const: true, description: 'Ready by kind: Deployment available, CSV Succeeded, InstallPlan Complete, DSC phase Ready, else a Ready condition.' },
    exists: { const: true, description: 'The object exists (or, with selectors, at least one matches).' },
    deleted: { const: true, description: 'The object is gone (or nothing matches).' },
    condition: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      description: 'A status condition with this type (and status, and reason when given).',
      properties: {
        type: { type: 'string', description: 'Condition type, e.g. Ready, Available, KueueReady.' },
        status: { type: 'string', default: 'True', description: 'Default "True".' },
        reason: { type: 'string', description: 'Only this reason counts, e.g. Removed.' },
      },
    },
    expression: { type: 'string', description: 'CEL over `object` (named target, null while absent) or `objects` (selector target).' },
    jsonpath: { type: 'string', description: 'kubectl-style JSONPath, e.g. {.status.phase}; compared with `value`.' },
    value: { type: 'string', description: 'The value the JSONPath must give.' },
    count: {
      type: 'object',
      additionalProperties: false,
      properties: { min: { type: 'integer', minimum: 0, default: 0, description: 'At least this many (default 0).' }, max: { type: 'integer', minimum: 0, description: 'At most this many.' } },
      description: 'Selector targets: how many objects must match.',
    },
  },
} as const satisfies JsonSchema;

const CONDITION_DEFAULTS = defaultsOf(WAIT_CONDITION_SCHEMA.properties.condition);
const COUNT_DEFAULTS = defaultsOf(WAIT_CONDITION_SCHEMA.properties.count);

// WaitCondition stays written out: compileCondition takes any mix of the fields and says what is
// wrong with it, where the schema's oneOf allows exactly one. What the schema allows fits it:
type _ConditionFits = Holds<Fits<InputOf<typeof WAIT_CONDITION_SCHEMA>, WaitCondition>>;

export type ListOrObjectPredicate = (state: KubeObject | null | KubeObject[]) => Verdict;

const done = (description: string): Verdict => ({ status: 'done', description });
const pending = (description: string): Verdict => ({ status: 'pending', description });

export function compileCondition(
  ctx: StepContext,
  c: WaitCondition,
  target: { apiVersion: string; kind: string; name?: string },
  label: string,
): ListOrObjectPredicate {
  const kinds = ['ready', 'exists', 'deleted', 'condition', 'expression', 'jsonpath', 'count'].filter((k) => (c as Record<string, unknown>)[k] !== undefined);
  if (kinds.length !== 1) throw new StepFailure(`${label}: give exactly one of ready, exists, deleted, condition, expression, jsonpath, count (got ${kinds.join(', ') || 'none'})`);
  const named = target.name !== undefined;
  const perObject = (p: ObjectPredicate): ListOrObjectPredicate =>
    named ? (s) => p(s as KubeObject | null) : (s) => everyItem(p)(s as KubeObject[]);

  if (c.ready) return perObject(readinessFor(target.apiVersion, target.kind));
  if (c.exists) return named ? (s) => exists(s as KubeObject | null) : (s) => ((s as KubeObject[]).length > 0 ? done(`${(s as KubeObject[]).length} match`) : pending('none match yet'));
  if (c.deleted) return named ? (s) => deleted(s as KubeObject | null) : (s) => ((s as KubeObject[]).length === 0 ? done('none left') : pending(`${(s as KubeObject[]).length} still exist`));
  if (c.condition) {
    const { type, status = CONDITION_DEFAULTS.status, reason } = c.condition;
    if (reason === undefined) return perObject(conditionIs(type, status, []));
    // With a reason, only that reason counts: KueueReady False because Removed is not a failure.
    return perObject((obj) => {
      if (!obj) return pending('does not exist yet');
      const found = findCondition(obj, type);
      const stale = staleStatus(obj) ?? staleCondition(obj, found);
      if (stale) return stale;
      const text = describeCondition(found, type);
      return found?.status === status && found.reason === reason ? done(text) : pending(text);
    });
  }
  if (c.count) {
    const { min = COUNT_DEFAULTS.min, max = Infinity } = c.count;
    return (s) => {
      const n = Array.isArray(s) ? s.length : s ? 1 : 0;
      return n >= min && n <= max ? done(`${n} match`) : pending(`${n} match (want ${min}${max === Infinity ? ' or more' : `–${max}`})`);
    };
  }
  if (c.expression !== undefined) {
    const expression = c.expression;
    return onCurrent(READS_STATUS.test(expression), (s) => {
      let value: unknown;
      try {
        value = ctx.evaluate(expression, named ? { object: s } : { objects: s });
      } catch (err) {
        // A field the expression reads is not there yet (no status before the controller writes
        // one, or no object yet): that is a state to wait through, not a failure.
        const message = (err as Error).message;
        if (/no such key/i.test(message)) return pending(`${expression} cannot be judged yet: ${message}`);
        throw new StepFailure(`${label}: ${expression}: ${message}`);
      }
      if (typeof value !== 'boolean') throw new StepFailure(`${label}: "${expression}" gave ${JSON.stringify(value)}, not true or false`);
      return value ? done(`${expression} holds`) : pending(`${expression} is false`);
    });
  }
  const path = toJsonPathPlus(c.jsonpath!);
  return onCurrent(READS_STATUS.test(c.jsonpath!), perObject((obj) => {
    if (!obj) return pending('does not exist yet');
    const found = JSONPath({ path, json: obj, wrap: true }) as unknown[];
    const got = found.length === 0 ? undefined : found.length === 1 ? found[0] : found;
    const text = got === undefined ? '<none>' : typeof got === 'string' ? got : JSON.stringify(got);
    if (c.value === undefined) return got !== undefined ? done(`${c.jsonpath} = ${text}`) : pending(`${c.jsonpath} is not set`);
    return text === c.value ? done(`${c.jsonpath} = ${text}`) : pending(`${c.jsonpath} = ${text}, want ${c.value}`);
  }));
}

/** A JSONPath or an expression that reads a status field. */
const READS_STATUS = /\bstatus\b/;

/**
 * When `readsStatus`, the predicate judges only objects whose status is current: a stale one
 * (status.observedGeneration behind metadata.generation) makes the verdict pending.
 */
function onCurrent(readsStatus: boolean, predicate: ListOrObjectPredicate): ListOrObjectPredicate {
  if (!readsStatus) return predicate;
  return (s) => {
    for (const obj of s === null ? [] : Array.isArray(s) ? s : [s]) {
      const stale = staleStatus(obj);
      if (stale) return Array.isArray(s) ? pending(`${nameOf(obj)}: ${stale.description}`) : stale;
    }
    return predicate(s);
  };
}

function nameOf(o: KubeObject): string {
  return o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : String(o.metadata?.name);
}

/** kubectl writes `{.status.phase}`; jsonpath-plus wants `$.status.phase`. */
export function toJsonPathPlus(kubectl: string): string {
  const inner = kubectl.trim().replace(/^\{/, '').replace(/\}$/, '');
  return inner.startsWith('$') ? inner : `$${inner.startsWith('.') || inner.startsWith('[') ? '' : '.'}${inner}`;
}
