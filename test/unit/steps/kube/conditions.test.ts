import { describe, expect, it } from 'vitest';
import type { StepContext } from '../../../../src/contract/step-type.js';
import type { KubeObject } from '../../../../src/kube/types.js';
import { evaluate } from '../../../../src/runbook/expressions.js';
import { compileCondition, toJsonPathPlus, type WaitCondition } from '../../../../src/steps/kube/conditions.js';

const ctx = { evaluate: (e: string, extra?: Record<string, unknown>) => evaluate(e, { ...extra }) } as unknown as StepContext;
const DSC = { apiVersion: 'datasciencecluster.opendatahub.io/v1', kind: 'DataScienceCluster', name: 'default-dsc' };
const dsc = (conditions: unknown[], phase = 'Ready'): KubeObject => ({ ...DSC, metadata: { name: 'default-dsc' }, status: { phase, conditions } });
const judge = (c: WaitCondition, obj: KubeObject | null | KubeObject[], target: { apiVersion: string; kind: string; name?: string } = DSC): string =>
  compileCondition(ctx, c, target, 'test')(obj).status;

describe('wait conditions', () => {
  const kueueInvalid = { condition: { type: 'KueueReady', status: 'False', reason: 'InvalidManagementState' } };
  it('a condition with a reason matches only that reason', () => {
    expect(judge(kueueInvalid, dsc([{ type: 'KueueReady', status: 'False', reason: 'Removed' }]))).toBe('pending');
    expect(judge(kueueInvalid, dsc([{ type: 'KueueReady', status: 'False', reason: 'InvalidManagementState' }]))).toBe('done');
  });
  it('a condition without a reason matches any reason', () => {
    expect(judge({ condition: { type: 'Ready' } }, dsc([{ type: 'Ready', status: 'True', reason: 'Whatever' }]))).toBe('done');
  });
  it('jsonpath compares kubectl-style paths with the value', () => {
    expect(toJsonPathPlus('{.status.phase}')).toBe('$.status.phase');
    expect(judge({ jsonpath: '{.status.phase}', value: 'Ready' }, dsc([]))).toBe('done');
    expect(judge({ jsonpath: '{.status.phase}', value: 'Ready' }, dsc([], 'Not Ready'))).toBe('pending');
  });
  it('expressions see object (named) or objects (selector)', () => {
    expect(judge({ expression: 'object.status.phase == "Ready"' }, dsc([]))).toBe('done');
    const notebooks = [{ apiVersion: 'kubeflow.org/v1', kind: 'Notebook', metadata: { name: 'a' } }] as KubeObject[];
    expect(judge({ expression: 'size(objects) == 1' }, notebooks, { apiVersion: 'kubeflow.org/v1', kind: 'Notebook' })).toBe('done');
  });
  it('count and deleted over selector matches', () => {
    const target = { apiVersion: 'v1', kind: 'Pod' };
    expect(judge({ count: { max: 0 } }, [], target)).toBe('done');
    expect(judge({ count: { min: 2 } }, [{} as KubeObject], target)).toBe('pending');
    expect(judge({ deleted: true }, [], target)).toBe('done');
  });
  it('refuses more or less than one kind of condition', () => {
    expect(() => judge({ ready: true, exists: true }, null)).toThrow(/exactly one/);
  });
});

// The RayCluster finding: a failWhen fired on the status the controller wrote for the previous
// spec. Every condition that reads a status judges it only once status.observedGeneration has
// reached metadata.generation; until then the verdict is pending, for `for` and `failWhen` alike.
describe('wait conditions on a stale status', () => {
  const RAY = { apiVersion: 'ray.io/v1', kind: 'RayCluster' };
  const ray = (observedGeneration: number | undefined, status: Record<string, unknown>, name = 'rc'): KubeObject => ({
    ...RAY,
    metadata: { name, namespace: 'ns', generation: 2 },
    status: { ...status, ...(observedGeneration === undefined ? {} : { observedGeneration }) },
  });
  const failedState = { state: 'failed', reason: 'head pod crashed', conditions: [{ type: 'HeadPodReady', status: 'False', reason: 'CrashLoopBackOff' }, { type: 'Ready', status: 'False' }] };
  const readyState = { state: 'ready', conditions: [{ type: 'HeadPodReady', status: 'True' }, { type: 'Ready', status: 'True' }] };
  const WAITING = 'waiting for the controller to observe generation 2 (its status is of generation 1)';

  // [condition, status, at observedGeneration 1 (stale), at 2 (current), absent observedGeneration]
  const rows: [string, WaitCondition, Record<string, unknown>, string, string, string][] = [
    ['ready', { ready: true }, readyState, 'pending', 'done', 'done'],
    ['condition', { condition: { type: 'HeadPodReady', status: 'False' } }, failedState, 'pending', 'done', 'done'],
    ['condition with a reason', { condition: { type: 'HeadPodReady', status: 'False', reason: 'CrashLoopBackOff' } }, failedState, 'pending', 'done', 'done'],
    ['jsonpath on status', { jsonpath: '{.status.state}', value: 'failed' }, failedState, 'pending', 'done', 'done'],
    ['expression on status', { expression: 'object.status.state == "failed"' }, failedState, 'pending', 'done', 'done'],
    // What does not read status is not held back by it.
    ['jsonpath on metadata', { jsonpath: '{.metadata.name}', value: 'rc' }, failedState, 'done', 'done', 'done'],
    ['expression on metadata', { expression: 'object.metadata.name == "rc"' }, failedState, 'done', 'done', 'done'],
    ['exists', { exists: true }, failedState, 'done', 'done', 'done'],
    ['deleted', { deleted: true }, failedState, 'pending', 'pending', 'pending'],
  ];
  for (const [name, condition, status, stale, current, unreported] of rows) {
    it(`${name}: ${stale} while stale, ${current} once observed`, () => {
      const judge = compileCondition(ctx, condition, { ...RAY, name: 'rc' }, 'test');
      const verdict = judge(ray(1, status));
      expect(verdict.status).toBe(stale);
      if (stale === 'pending' && current !== 'pending') expect(verdict.description).toBe(WAITING);
      expect(judge(ray(2, status)).status).toBe(current);
      expect(judge(ray(undefined, status)).status).toBe(unreported);
    });
  }

  it('over selector matches, one stale object keeps the verdict pending and is named', () => {
    const target = { apiVersion: RAY.apiVersion, kind: RAY.kind };
    const cases: [WaitCondition, KubeObject[], string, RegExp][] = [
      [{ ready: true }, [ray(2, readyState, 'a'), ray(1, readyState, 'b')], 'pending', /^ns\/b: waiting for the controller to observe generation 2/],
      [{ ready: true }, [ray(2, readyState, 'a'), ray(2, readyState, 'b')], 'done', /all 2 ready/],
      [{ expression: 'objects.all(o, o.status.state == "ready")' }, [ray(1, readyState, 'a')], 'pending', /^ns\/a: waiting for the controller to observe generation 2/],
      [{ expression: 'objects.all(o, o.status.state == "ready")' }, [ray(2, readyState, 'a')], 'done', /holds/],
      [{ count: { min: 1 } }, [ray(1, readyState, 'a')], 'done', /1 match/],
    ];
    for (const [condition, objects, want, text] of cases) {
      const verdict = compileCondition(ctx, condition, target, 'test')(objects);
      expect(verdict.status, JSON.stringify(condition)).toBe(want);
      expect(verdict.description).toMatch(text);
    }
  });
});
