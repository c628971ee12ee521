// Which request gets which fault: rules matched in order, each for a number of requests or for
// good, with a chance drawn from a seeded generator so a failing run can be replayed exactly.

export type Fault =
  /** Answer with this HTTP status and a Kubernetes Status body (500, 429, 503…). */
  | { type: 'status'; code: number; retryAfterSeconds?: number; message?: string }
  /** Drop the connection without an answer (TCP reset where the platform allows it). */
  | { type: 'reset' }
  /** Forward a watch, then cut its connection after this many events or milliseconds, whichever first. */
  | { type: 'cutWatch'; afterEvents?: number; afterMs?: number };

export interface FaultMatch {
  /** HTTP methods, e.g. ['PATCH']; default any. */
  methods?: string[];
  /** A substring or pattern of the request path (with its query); default any. */
  path?: string | RegExp;
  /** Only watches (true) or only other requests (false); default both. */
  watch?: boolean;
}

export interface FaultRule {
  fault: Fault;
  match?: FaultMatch;
  /** Let this many matching requests through first. */
  skip?: number;
  /** Apply to this many matching requests, then retire; default every one. */
  times?: number;
  /** Chance per matching request (0–1), drawn from the seeded generator; default 1. */
  probability?: number;
}

/** A scenario's steady background of API faults: shares of requests, drawn from a seed. */
export interface ApiFaults {
  seed?: number;
  /** Share of requests (not watches) answered 500. */
  errors?: number;
  /** Share of requests (not watches) answered 429 with Retry-After: 1. */
  throttle?: number;
  /** Share of requests whose connection is reset. */
  resets?: number;
  /** Every watch is cut after this many events. */
  watchCutAfterEvents?: number;
}

export function rulesFor(api: ApiFaults): FaultRule[] {
  const rules: FaultRule[] = [];
  if (api.errors) rules.push({ fault: { type: 'status', code: 500 }, match: { watch: false }, probability: api.errors });
  if (api.throttle) rules.push({ fault: { type: 'status', code: 429, retryAfterSeconds: 1 }, match: { watch: false }, probability: api.throttle });
  if (api.resets) rules.push({ fault: { type: 'reset' }, probability: api.resets });
  if (api.watchCutAfterEvents) rules.push({ fault: { type: 'cutWatch', afterEvents: api.watchCutAfterEvents }, match: { watch: true } });
  return rules;
}

export interface RequestInfo {
  method: string;
  /** Path and query, as sent. */
  url: string;
  watch: boolean;
}

interface LiveRule extends FaultRule {
  seen: number;
  applied: number;
}

export class FaultSchedule {
  private rules: LiveRule[] = [];
  private readonly random: () => number;

  constructor(seed: number, rules: readonly FaultRule[] = []) {
    this.random = mulberry32(seed);
    rules.forEach((r) => this.add(r));
  }

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, seen: 0, applied: 0 });
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault for this request, if any. Every matching rule counts the request, in order. */
  pick(req: RequestInfo): Fault | undefined {
    for (const rule of this.rules) {
      if (!matches(rule.match, req)) continue;
      rule.seen++;
      if (rule.seen <= (rule.skip ?? 0)) continue;
      if (rule.times !== undefined && rule.applied >= rule.times) continue;
      // Draw only for rules that use chance, so adding a certain rule does not shift the others.
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      rule.applied++;
      return rule.fault;
    }
    return undefined;
  }
}

function matches(m: FaultMatch | undefined, req: RequestInfo): boolean {
  if (!m) return true;
  if (m.methods && !m.methods.includes(req.method)) return false;
  if (m.watch !== undefined && m.watch !== req.watch) return false;
  if (m.path !== undefined && !(typeof m.path === 'string' ? req.url.includes(m.path) : m.path.test(req.url))) return false;
  return true;
}

/** A small, well-known seeded generator: same seed, same sequence, on every platform. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
