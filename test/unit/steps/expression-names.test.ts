// The names a step type declares for its expression fields (expressionNames, which the loader
// checks expressions against) are the names the step really passes when it evaluates them: each
// step runs here against an in-memory client, and every ctx.evaluate call is recorded.
import { describe, expect, it } from 'vitest';
import type { AnyStepType, StepContext } from '../../../src/contract/step-type.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { evaluate } from '../../../src/runbook/expressions.js';
import { BUILTIN_STEPS } from '../../../src/steps/index.js';

const CM: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns', resourceVersion: '1' }, data: { a: '1' } };

/** A client that serves one ConfigMap, by name or in a list; enough for the steps that only read. */
const kube = {
  mapper: { tryMap: async () => ({ namespaced: true }) },
  get: async () => structuredClone(CM),
  list: async () => ({ items: [structuredClone(CM)] }),
  listedCopies: new Map(),
  defaultNamespace: 'ns',
};

interface Evaluation {
  expression: string;
  names: string[];
}

async function evaluationsOf(type: AnyStepType, input: Record<string, unknown>, dryRun: 'none' | 'client' = 'none'): Promise<Evaluation[]> {
  const seen: Evaluation[] = [];
  const ctx = {
    runId: 'r',
    stepId: 's/step',
    stepName: 'step',
    vars: {},
    dryRun,
    signal: new AbortController().signal,
    runDir: '/nonexistent',
    baseDir: '/nonexistent',
    log: () => {},
    evaluate: (expression: string, extra: Record<string, unknown> = {}) => {
      seen.push({ expression, names: Object.keys(extra) });
      return evaluate(expression, extra);
    },
    render: (t: string) => t,
    redact: (t: string) => t,
    services: { kube },
  } as unknown as StepContext;
  await type.apply(ctx, input);
  return seen;
}

const stepType = (name: string): AnyStepType => BUILTIN_STEPS.find((s) => s.name === name)!;
const named = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'cm' };
const selected = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' };

// [step type, expression field, input, dry run]: every expression field, by name and by selector.
const cases: [string, string, Record<string, unknown>, ('none' | 'client')?][] = [
  ['assert', 'that', { that: 'true', message: 'm' }],
  ['assert', 'that', { ...named, that: 'object != null', message: 'm' }],
  ['assert', 'that', { ...selected, that: 'size(objects) > 0', message: 'm' }],
  ['assert', 'that', { ...selected, eachObject: true, that: 'object != null', message: 'm' }],
  ['set', 'value', { value: '1' }],
  ['query', 'select', { ...named, select: 'object' }],
  ['query', 'select', { ...selected, select: 'objects' }],
  ['wait', 'for.expression', { ...named, for: { expression: 'object != null' } }, 'client'],
  ['wait', 'for.expression', { ...selected, for: { expression: 'size(objects) > 0' } }, 'client'],
  ['wait', 'failWhen[].expression', { ...named, for: { exists: true }, failWhen: [{ expression: 'object == null' }] }, 'client'],
  ['wait', 'failWhen[].expression', { ...selected, for: { exists: true }, failWhen: [{ expression: 'size(objects) == 0' }] }, 'client'],
  ['patch', 'unless', { ...named, patch: { data: { a: '1' } }, unless: 'object.data.a == "1"' }],
  ['patch', 'unless', { ...selected, patch: { data: { a: '1' } }, unless: 'object.data.a == "1"' }],
];

describe('the names a step type declares for its expression fields', () => {
  /** `type field` → the names the cases saw passed. */
  const passed = new Map<string, Set<string>>();
  it.each(cases)('%s %s: the names the step passes are declared', async (name, field, input, dryRun) => {
    const type = stepType(name);
    expect(type.expressionFields).toContain(field);
    const evaluations = await evaluationsOf(type, input, dryRun);
    expect(evaluations.length).toBeGreaterThan(0);
    const declared = type.expressionNames?.[field] ?? [];
    for (const e of evaluations) expect(declared).toEqual(expect.arrayContaining(e.names));
    const key = `${name} ${field}`;
    passed.set(key, new Set([...(passed.get(key) ?? []), ...evaluations.flatMap((e) => e.names)]));
  });

  it('every declared name is passed by some case, and every expression field has a case', () => {
    for (const type of BUILTIN_STEPS) {
      for (const field of type.expressionFields ?? []) {
        expect(cases.some(([n, f]) => n === type.name && f === field), `${type.name} ${field}`).toBe(true);
      }
      for (const [field, names] of Object.entries(type.expressionNames ?? {})) {
        expect(type.expressionFields, `${type.name}: ${field} is no expression field`).toContain(field);
        expect([...(passed.get(`${type.name} ${field}`) ?? [])].sort(), `${type.name} ${field}`).toEqual([...names].sort());
      }
    }
  });
});
