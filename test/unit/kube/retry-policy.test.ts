import { describe, expect, it } from 'vitest';
import { StepFailure } from '../../../src/contract/errors.js';
import { errorFromStatus } from '../../../src/kube/errors.js';
import { DEFAULT_RETRY_BUDGET, isIdempotent, resendDelayMs, shouldResend } from '../../../src/kube/retry-policy.js';

const net = (code: string): StepFailure => new StepFailure(`cannot reach the API server (${code})`, { transient: true, connection: true, data: { networkCode: code } });
const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';

describe('which failed requests the client sends again', () => {
  const cases: [string, { method: string; contentType?: string; idempotent?: boolean }, unknown, boolean][] = [
    ['a throttled create (the server did nothing)', { method: 'POST' }, errorFromStatus(429, { reason: 'TooManyRequests' }), true],
    ['a create that met a 500 (it may have happened)', { method: 'POST' }, errorFromStatus(500, { reason: 'InternalError' }), false],
    ['a create whose connection was refused (never sent)', { method: 'POST' }, net('ECONNREFUSED'), true],
    ['a create whose connection was reset', { method: 'POST' }, net('ECONNRESET'), false],
    ['an access review (a question) that met a 500', { method: 'POST', idempotent: true }, errorFromStatus(500, {}), true],
    ['a read that met a 503', { method: 'GET' }, errorFromStatus(503, {}), true],
    ['a read whose connection was reset', { method: 'GET' }, net('ECONNRESET'), true],
    ['a merge patch that met a 500', { method: 'PATCH', contentType: MERGE_PATCH }, errorFromStatus(500, {}), true],
    ['a JSON patch that met a 500 (an add to a list would repeat)', { method: 'PATCH', contentType: JSON_PATCH }, errorFromStatus(500, {}), false],
    ['a JSON patch that was throttled', { method: 'PATCH', contentType: JSON_PATCH }, errorFromStatus(429, {}), true],
    ['a delete that met a 504', { method: 'DELETE' }, errorFromStatus(504, {}), true],
    ['an update conflict (needs a fresh read: the step does it)', { method: 'PUT' }, errorFromStatus(409, { reason: 'Conflict' }), false],
    ['a 404', { method: 'GET' }, errorFromStatus(404, { reason: 'NotFound' }), false],
    ['a 403', { method: 'GET' }, errorFromStatus(403, { reason: 'Forbidden' }), false],
    ['a TLS failure (permanent)', { method: 'GET' }, new StepFailure('TLS verification failed', { data: { networkCode: 'CERT_HAS_EXPIRED' } }), false],
    ['a bug (not ours to retry)', { method: 'GET' }, new TypeError('x is undefined'), false],
  ];
  it.each(cases)('%s', (_what, req, err, resend) => {
    expect(shouldResend(req, err)).toBe(resend);
  });

  it('counts merge, strategic and apply patches, PUT and DELETE as idempotent, a POST not', () => {
    expect(isIdempotent({ method: 'PATCH', contentType: 'application/apply-patch+yaml' })).toBe(true);
    expect(isIdempotent({ method: 'PATCH', contentType: 'application/strategic-merge-patch+json' })).toBe(true);
    expect(isIdempotent({ method: 'POST' })).toBe(false);
  });
});

describe('how long the client waits before sending again', () => {
  it('backs off exponentially with jitter, capped', () => {
    const at = (retry: number, r: number): number => resendDelayMs(DEFAULT_RETRY_BUDGET, retry, errorFromStatus(500, {}), () => r);
    expect([at(1, 0), at(1, 1)]).toEqual([100, 200]);
    expect([at(3, 0), at(3, 1)]).toEqual([400, 800]);
    expect(at(10, 1)).toBe(DEFAULT_RETRY_BUDGET.maxDelayMs);
  });
  it('waits at least as long as the server asked, within a bound', () => {
    const throttled = errorFromStatus(429, { reason: 'TooManyRequests' }, { 'retry-after': '2' });
    expect(resendDelayMs(DEFAULT_RETRY_BUDGET, 1, throttled, () => 0)).toBe(2000);
    const greedy = errorFromStatus(429, {}, { 'retry-after': '3600' });
    expect(resendDelayMs(DEFAULT_RETRY_BUDGET, 1, greedy, () => 0)).toBe(DEFAULT_RETRY_BUDGET.maxRetryAfterMs);
  });
});
