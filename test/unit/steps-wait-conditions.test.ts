import { describe, expect, it } from 'vitest';
import type { StepContext } from '../../src/engine/step-type.js';
import type { KubeObject } from '../../src/kube/types.js';
import { evaluate } from '../../src/runbook/expressions.js';
import { compileCondition, toJsonPathPlus, type WaitCondition } from '../../src/steps/kube/conditions.js';

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
