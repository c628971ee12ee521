// A node's result in the shapes the executor records and reports: a group's status from its
// children's, a recorded state read back, an error as redacted data, a diff rendered when read.
import { describe, expect, it, vi } from 'vitest';
import { StepFailure } from '../../../src/contract/errors.js';
import { Redactor } from '../../../src/contract/redact.js';
import type { StepResult } from '../../../src/engine/events.js';
import { aggregate, childFailed, diffWhenRead, errorMessage, stripUndefined, toResult, toStepError } from '../../../src/engine/node-result.js';

const r = (status: StepResult['status']): StepResult => ({ status, attempts: 1, durationMs: 0 });

describe('node results', () => {
  it('a group is changed if anything changed, skipped if everything was, ok otherwise', () => {
    expect(aggregate([r('ok'), r('changed'), r('skipped')])).toBe('changed');
    expect(aggregate([r('skipped'), r('skipped')])).toBe('skipped');
    expect(aggregate([r('ok'), r('skipped')])).toBe('ok');
    expect(aggregate([])).toBe('ok');
  });

  it('a node failed by its child names the child', () => {
    expect(childFailed('convert/replace[a]', 12)).toEqual({ status: 'failed', attempts: 1, durationMs: 12, error: { message: 'step convert/replace[a] failed', transient: false } });
  });

  it('a recorded state reads back as the result it had', () => {
    expect(toResult({ state: 'done', status: 'changed', attempts: 2, durationMs: 30, summary: 's', startedAt: 't' })).toEqual({
      status: 'changed',
      attempts: 2,
      durationMs: 30,
      reason: undefined,
      summary: 's',
    });
    expect(toResult({ state: 'done', status: 'skipped' })).toMatchObject({ attempts: 0, durationMs: 0 });
  });

  it('an error becomes data without its secrets: message, hint and data redacted', () => {
    const redactor = new Redactor(['hunter2']);
    const err = new StepFailure('login with hunter2 refused', { transient: true, hint: 'hunter2 is wrong', data: { password: 'hunter2', code: 401 } });
    expect(toStepError(err, redactor)).toEqual({ message: 'login with <redacted> refused', hint: '<redacted> is wrong', transient: true, data: { password: '<redacted>', code: 401 } });
    expect(toStepError(new Error('hunter2 leaked'), redactor)).toEqual({ message: '<redacted> leaked', transient: false });
    expect(toStepError('plain hunter2', redactor)).toEqual({ message: 'plain <redacted>', transient: false });
    expect(errorMessage(new Error('m'))).toBe('m');
    expect(errorMessage(42)).toBe('42');
  });

  it('fields left undefined are dropped', () => {
    expect(stripUndefined({ a: 1, b: undefined, c: null })).toEqual({ a: 1, c: null });
  });

  it('a diff is rendered and redacted once, when first read, and is part of the JSON', () => {
    const render = vi.fn(() => '+ password: hunter2');
    const result = r('changed');
    diffWhenRead(result, render, new Redactor(['hunter2']));
    expect(render).not.toHaveBeenCalled();
    expect(result.diff).toBe('+ password: <redacted>');
    expect(result.diff).toBe('+ password: <redacted>');
    expect(render).toHaveBeenCalledTimes(1);
    expect(JSON.parse(JSON.stringify(result))).toMatchObject({ diff: '+ password: <redacted>' });
    const text = r('changed');
    diffWhenRead(text, 'plain hunter2', new Redactor(['hunter2']));
    expect(text.diff).toBe('plain <redacted>');
  });
});
