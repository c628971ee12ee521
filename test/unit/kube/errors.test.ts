import { describe, expect, it } from 'vitest';
import { ApiException } from '@kubernetes/client-node';
import { RunAborted, StepFailure, isTransient } from '../../../src/contract/errors.js';
import { KubeApiError, classifyKubeError, errorFromStatus, isAlreadyExists, isConflict, isGone } from '../../../src/kube/errors.js';

const status = (code: number, reason: string, message: string, extra: Record<string, unknown> = {}) => ({
  kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, ...extra,
});

describe('errorFromStatus', () => {
  const table: [number, string, boolean][] = [
    [400, 'BadRequest', false], [403, 'Forbidden', false], [404, 'NotFound', false], [422, 'Invalid', false],
    [409, 'Conflict', true], [409, 'AlreadyExists', false], [410, 'Expired', false],
    [429, 'TooManyRequests', true], [500, 'InternalError', true], [503, 'ServiceUnavailable', true], [504, 'Timeout', true],
  ];
  for (const [code, reason, transient] of table) {
    it(`${code} ${reason} is ${transient ? 'transient' : 'permanent'}`, () => {
      const err = errorFromStatus(code, status(code, reason, 'server says so'));
      expect(err).toBeInstanceOf(KubeApiError);
      expect(err).toBeInstanceOf(StepFailure);
      expect(isTransient(err)).toBe(transient);
      expect(err.message).toContain('server says so');
      expect(err.reason).toBe(reason);
    });
  }

  it('keeps Retry-After from the header or the Status details', () => {
    expect(errorFromStatus(429, status(429, 'TooManyRequests', 'slow down'), { 'retry-after': '3' }).data?.retryAfterMs).toBe(3000);
    expect(errorFromStatus(429, status(429, 'TooManyRequests', 'x', { details: { retryAfterSeconds: 2 } })).data?.retryAfterMs).toBe(2000);
  });

  it('says who was denied what on 403', () => {
    const err = errorFromStatus(
      403,
      status(403, 'Forbidden', 'deployments.apps "web" is forbidden: User "viewer" cannot patch resource "deployments" in API group "apps" in the namespace "demo"'),
      undefined,
      { verb: 'patch', group: 'apps', resource: 'deployments', namespace: 'demo', name: 'web' },
    );
    expect(err.message).toBe('patch deployments.apps demo/web: 403 Forbidden: user "viewer" cannot patch deployments.apps in namespace "demo"');
    expect(err.data?.denied).toEqual({ user: 'viewer', verb: 'patch', resource: 'deployments', group: 'apps', namespace: 'demo' });
    expect(err.hint).toContain('grant "patch"');
  });

  it('falls back to the call context for 403 without a server message', () => {
    const err = errorFromStatus(403, '', undefined, { verb: 'watch', group: '', resource: 'pods', user: 'me' });
    expect(err.message).toContain('user "me" cannot watch pods at cluster scope');
  });

  it('keeps field causes of 422', () => {
    const err = errorFromStatus(422, status(422, 'Invalid', 'bad', { details: { causes: [{ field: 'spec.replicas', message: 'must be >= 0' }] } }));
    expect(err.data?.causes).toEqual([{ field: 'spec.replicas', message: 'must be >= 0' }]);
  });

  it('distinguishes conflicts from already-exists and gone', () => {
    expect(isConflict(errorFromStatus(409, status(409, 'Conflict', 'x')))).toBe(true);
    expect(isAlreadyExists(errorFromStatus(409, status(409, 'AlreadyExists', 'x')))).toBe(true);
    expect(isGone(errorFromStatus(410, status(410, 'Expired', 'too old resource version')))).toBe(true);
  });
});

describe('classifyKubeError', () => {
  it('reads client-node ApiException', () => {
    const ex = new ApiException(404, 'Unsuccessful HTTP Request', JSON.stringify(status(404, 'NotFound', 'pods "x" not found')), {});
    const err = classifyKubeError(ex, { verb: 'get', resource: 'pods', namespace: 'a', name: 'x' });
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err.message).toBe('get pods a/x: 404 NotFound: pods "x" not found');
  });
  it('marks connection errors transient', () => {
    const err = Object.assign(new Error('request to https://127.0.0.1:1/api failed, reason: connect ECONNREFUSED'), { code: 'ECONNREFUSED', type: 'system' });
    const out = classifyKubeError(err);
    expect(out.transient).toBe(true);
    expect(out.message).toContain('ECONNREFUSED');
  });
  it('marks TLS errors permanent with a hint', () => {
    const out = classifyKubeError(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }));
    expect(out.transient).toBe(false);
    expect(out.hint).toContain('certificate-authority');
  });
  it('turns AbortError into RunAborted', () => {
    expect(classifyKubeError(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBeInstanceOf(RunAborted);
  });
  it('passes product errors through', () => {
    const e = new StepFailure('x');
    expect(classifyKubeError(e)).toBe(e);
  });
});

describe('a 403 that is not RBAC', () => {
  it("keeps an admission webhook's denial in the server's words", () => {
    const err = errorFromStatus(
      403,
      { kind: 'Status', reason: 'Forbidden', message: 'admission webhook "datasciencecluster-v1-validator.opendatahub.io" denied the request: Managed is no longer supported as a managementState' },
      undefined,
      { verb: 'patch', group: 'datasciencecluster.opendatahub.io', resource: 'datascienceclusters', name: 'default-dsc', user: 'admin' },
    );
    expect(err.message).toBe(
      'patch datascienceclusters.datasciencecluster.opendatahub.io default-dsc: 403 Forbidden: admission webhook "datasciencecluster-v1-validator.opendatahub.io" denied the request: Managed is no longer supported as a managementState',
    );
    expect(err.hint).toBeUndefined();
  });
});
