// Turns whatever client-node, node-fetch or the API server threw into the product's error classes,
// so the executor can decide on retries from `transient` alone and users see the server's words.
import { RunAborted, RunbookError, StepFailure } from '../contract/errors.js';

/** What we were doing when the call failed; used to build messages the server did not give. */
export interface CallContext {
  verb: string;
  group?: string;
  resource?: string;
  namespace?: string;
  name?: string;
  /** The kubeconfig user, for 403 messages when the server does not name one. */
  user?: string;
}

/** The API server's `Status` object, as far as we read it. */
export interface ApiStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
    retryAfterSeconds?: number;
  };
}

/** An HTTP-level failure from the API server. `code` is the HTTP status, `reason` the Status reason. */
export class KubeApiError extends StepFailure {
  readonly code: number;
  readonly reason: string | undefined;

  constructor(message: string, code: number, reason: string | undefined, details: ConstructorParameters<typeof StepFailure>[1]) {
    super(message, details);
    this.code = code;
    this.reason = reason;
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 410: 'Gone', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity',
  429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Network failures worth retrying; everything else at socket level (TLS, DNS names) is a setup problem. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'EPIPE', 'EAI_AGAIN',
  'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE',
]);

export function isTransientStatus(code: number, reason?: string): boolean {
  if (code === 409) return reason !== 'AlreadyExists';
  return code === 429 || code >= 500;
}

function describeTarget(ctx: CallContext | undefined): string {
  if (!ctx) return '';
  const res = ctx.resource ? (ctx.group ? `${ctx.resource}.${ctx.group}` : ctx.resource) : '';
  const obj = ctx.name ? (ctx.namespace ? `${ctx.namespace}/${ctx.name}` : ctx.name) : ctx.namespace ? `in namespace ${ctx.namespace}` : '';
  return [ctx.verb, res, obj].filter(Boolean).join(' ');
}

/** Milliseconds to wait before retrying, from the Retry-After header or the Status details. */
function retryAfterMs(headers: Record<string, string> | undefined, status: ApiStatus | undefined): number | undefined {
  const header = headers?.['retry-after'] ?? headers?.['Retry-After'];
  if (header !== undefined) {
    const seconds = Number(header);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const at = Date.parse(header);
    if (Number.isFinite(at)) return Math.max(0, at - Date.now());
  }
  const fromDetails = status?.details?.retryAfterSeconds;
  return typeof fromDetails === 'number' ? fromDetails * 1000 : undefined;
}

const FORBIDDEN_PATTERN =
  /User "([^"]*)" cannot (\S+) resource "([^"]+)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]+)")?/;

interface Denial {
  user?: string;
  verb: string;
  resource: string;
  group: string;
  namespace?: string;
}

/** Who was denied what: parsed from the server's RBAC message, else taken from the call. */
function denialOf(message: string | undefined, ctx: CallContext | undefined): Denial | undefined {
  const m = message ? FORBIDDEN_PATTERN.exec(message) : null;
  if (m) {
    return { user: m[1], verb: m[2] ?? '', resource: m[3] ?? '', group: m[4] ?? '', ...(m[5] ? { namespace: m[5] } : {}) };
  }
  // A 403 that is not RBAC's (an admission webhook's denial, a policy) is said in the server's
  // own words: "Managed is no longer supported as a managementState" is no missing permission.
  if (message && /admission webhook|denied the request|admission plugin/i.test(message)) return undefined;
  if (!ctx?.resource) return undefined;
  return {
    ...(ctx.user ? { user: ctx.user } : {}),
    verb: ctx.verb,
    resource: ctx.resource,
    group: ctx.group ?? '',
    ...(ctx.namespace ? { namespace: ctx.namespace } : {}),
  };
}

function forbiddenText(d: Denial): string {
  const who = d.user ? `user "${d.user}"` : 'the current user';
  const what = d.group ? `${d.resource}.${d.group}` : d.resource;
  const where = d.namespace ? ` in namespace "${d.namespace}"` : ' at cluster scope';
  return `${who} cannot ${d.verb} ${what}${where}`;
}

function parseBody(body: unknown): ApiStatus | undefined {
  if (body && typeof body === 'object') return body as ApiStatus;
  if (typeof body === 'string' && body.trim().startsWith('{')) {
    try {
      return JSON.parse(body) as ApiStatus;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Build the error for a non-2xx answer of the API server. */
export function errorFromStatus(
  code: number,
  body: unknown,
  headers?: Record<string, string>,
  ctx?: CallContext,
): KubeApiError {
  const status = parseBody(body);
  const reason = status?.reason || undefined;
  const serverMessage = status?.message || (typeof body === 'string' && body.trim() ? body.trim() : undefined);
  const transient = isTransientStatus(code, reason);
  const retryAfter = retryAfterMs(headers, status);
  const target = describeTarget(ctx);
  const codeText = `${code} ${reason ?? STATUS_TEXT[code] ?? 'Error'}`;
  const data: Record<string, unknown> = { code, ...(reason ? { reason } : {}) };
  if (serverMessage) data.serverMessage = serverMessage;
  if (retryAfter !== undefined) data.retryAfterMs = retryAfter;
  if (status?.details?.causes?.length) data.causes = status.details.causes;
  let text = serverMessage ?? STATUS_TEXT[code] ?? 'request failed';
  let hint: string | undefined;

  if (code === 403) {
    const denial = denialOf(serverMessage, ctx);
    if (denial) {
      Object.assign(data, { denied: denial });
      text = forbiddenText(denial);
      const what = denial.group ? `${denial.resource}.${denial.group}` : denial.resource;
      hint = `grant "${denial.verb}" on ${what}${denial.namespace ? ` in namespace ${denial.namespace}` : ''} to ${denial.user ?? 'this user'} (Role/ClusterRole binding), or use a kubeconfig context that has it`;
    }
  } else if (code === 401) {
    hint = 'the credentials in the kubeconfig were refused: log in again or pick another context';
  } else if (code === 409 && transient) {
    hint = 'the object changed since it was read; reading it again and retrying usually helps';
  } else if (code === 429 && retryAfter !== undefined) {
    hint = `the API server asked to retry after ${Math.ceil(retryAfter / 1000)}s`;
  }
  const message = `${target ? `${target}: ` : ''}${codeText}: ${text}`;
  return new KubeApiError(message, code, reason, { transient, connection: transient, data, ...(hint ? { hint } : {}) });
}

interface NetworkLike {
  code?: unknown;
  errno?: unknown;
  type?: unknown;
  name?: unknown;
  message?: unknown;
  statusCode?: unknown;
  body?: unknown;
  headers?: unknown;
  cause?: unknown;
}

function networkCode(err: NetworkLike): string | undefined {
  if (typeof err.code === 'string') return err.code;
  const cause = err.cause as NetworkLike | undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  return undefined;
}

/**
 * Classify anything thrown by a Kubernetes call. Our own errors pass through untouched; client-node's
 * ApiException (`code`, `body`, `headers`), Watch errors (`statusCode`), node-fetch FetchErrors and
 * AbortErrors become KubeApiError / StepFailure / RunAborted.
 */
export function classifyKubeError(err: unknown, ctx?: CallContext): RunbookError {
  if (err instanceof RunbookError) return err;
  const e = (err ?? {}) as NetworkLike;
  const target = describeTarget(ctx);
  const prefix = target ? `${target}: ` : '';
  // client-node ApiException: numeric `code` plus the response body.
  if (typeof e.code === 'number' && e.code >= 400) {
    return errorFromStatus(e.code, e.body, e.headers as Record<string, string> | undefined, ctx);
  }
  // client-node Watch: an Error with `statusCode` and no body.
  if (typeof e.statusCode === 'number' && e.statusCode >= 400) {
    return errorFromStatus(e.statusCode, e.body, undefined, ctx);
  }
  if (e.name === 'AbortError' || e.type === 'aborted') {
    return new RunAborted(`${prefix}aborted`, { cause: err });
  }
  const code = networkCode(e);
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (code && TRANSIENT_NETWORK_CODES.has(code)) {
    return new StepFailure(`${prefix}cannot reach the API server (${code}): ${message}`, {
      transient: true,
      connection: true,
      cause: err,
      data: { networkCode: code },
    });
  }
  if (e.type === 'request-timeout') {
    return new StepFailure(`${prefix}the API server did not answer in time: ${message}`, { transient: true, connection: true, cause: err });
  }
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    return new StepFailure(`${prefix}TLS verification of the API server failed (${code}): ${message}`, {
      cause: err,
      hint: 'check certificate-authority / certificate-authority-data of the cluster in the kubeconfig',
      data: { networkCode: code },
    });
  }
  if (code === 'ENOTFOUND') {
    return new StepFailure(`${prefix}API server host not found: ${message}`, {
      cause: err,
      hint: 'check the cluster server URL in the kubeconfig',
      data: { networkCode: code },
    });
  }
  return new StepFailure(`${prefix}${message}`, { cause: err, ...(code ? { data: { networkCode: code } } : {}) });
}

export function statusCodeOf(err: unknown): number | undefined {
  return err instanceof KubeApiError ? err.code : undefined;
}

export const isNotFound = (err: unknown): boolean => statusCodeOf(err) === 404;
export const isForbidden = (err: unknown): boolean => statusCodeOf(err) === 403;
export const isGone = (err: unknown): boolean => statusCodeOf(err) === 410;
export const isAlreadyExists = (err: unknown): boolean =>
  err instanceof KubeApiError && err.code === 409 && err.reason === 'AlreadyExists';
export const isConflict = (err: unknown): boolean =>
  err instanceof KubeApiError && err.code === 409 && err.reason !== 'AlreadyExists';
