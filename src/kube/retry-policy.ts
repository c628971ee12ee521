// Which failed API requests the client sends again by itself, and after how long. The rule is
// client-go's, made explicit: a request the server cannot have acted on (429 Too Many Requests, a
// refused connection) is always safe to repeat; one whose fate is unknown (a 5xx, a reset, a
// timeout) is repeated only when doing it twice has the effect of doing it once — reads, PUT,
// DELETE, merge/strategic/apply patches, access reviews. A create (POST) or a JSON patch whose
// fate is unknown is not repeated here: the executor retries the whole step, whose check finds
// what the first attempt did.
import { RunbookError } from '../contract/errors.js';
import type { KubeApiError } from './errors.js';

export interface RetryBudget {
  /** Retries per request after the first attempt. */
  retries: number;
  /** First backoff; doubles per retry up to maxDelayMs, with full jitter. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A server's Retry-After is honoured up to this long. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudget = { retries: 4, initialDelayMs: 200, maxDelayMs: 4_000, maxRetryAfterMs: 30_000 };

/** Network codes meaning the request never reached the server. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN']);

export interface RetryableRequest {
  method: string;
  contentType?: string;
  /** The caller knows a repeat is harmless (e.g. a SelfSubjectAccessReview). */
  idempotent?: boolean;
}

export function isIdempotent(req: RetryableRequest): boolean {
  if (req.idempotent !== undefined) return req.idempotent;
  switch (req.method) {
    case 'GET':
    case 'PUT':
    case 'DELETE':
      return true;
    case 'PATCH':
      return req.contentType !== 'application/json-patch+json';
    default:
      return false;
  }
}

/** Whether to send the request again after this failure. */
export function shouldResend(req: RetryableRequest, err: unknown): boolean {
  if (!(err instanceof RunbookError) || !err.transient) return false;
  const code = (err as Partial<KubeApiError>).code;
  if (typeof code === 'number') {
    if (code === 429) return true;
    // A 409 Conflict needs a fresh read first: that is the step's job, not a blind resend.
    if (code === 409) return false;
    return code >= 500 && isIdempotent(req);
  }
  const network = err.data?.networkCode;
  if (typeof network === 'string' && NEVER_SENT.has(network)) return true;
  return isIdempotent(req);
}

/** The pause before retry number `retry` (1-based): jittered backoff, or the server's Retry-After. */
export function resendDelayMs(budget: RetryBudget, retry: number, err: unknown, random: () => number = Math.random): number {
  const ceiling = Math.min(budget.maxDelayMs, budget.initialDelayMs * 2 ** (retry - 1));
  const backoff = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  const asked = err instanceof RunbookError ? err.data?.retryAfterMs : undefined;
  return typeof asked === 'number' && Number.isFinite(asked) ? Math.max(backoff, Math.min(asked, budget.maxRetryAfterMs)) : backoff;
}
