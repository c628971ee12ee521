// What every simulated controller shares: the client, timing (realistic delays, scaled, or
// instant), the faults asked for, and small helpers to write status the way operators do.
import { SandboxEndpoints } from '../endpoints/server.js';
import type { KubeClient } from '../../kube/client.js';
import { deepEqual } from '../../kube/json.js';
import type { KubeObject, ObjectRef } from '../../kube/types.js';
import { Catalogs } from './catalog.js';

export interface Faults {
  /** The DataScienceCluster never becomes Ready. */
  dscNeverReady?: boolean;
  /** InstallPlans installing these CSVs fail. */
  installPlanFails?: string[];
  /** Operators whose CSVs take this many times longer to install (package names). */
  slowOperators?: string[];
}

export interface SimOptions {
  /** 0 = instant; 1 = realistic delays (seconds); values in between scale them. */
  speed: number;
  faults: Faults;
  log?: (message: string) => void;
  /** The catalogs OLM resolves from; the built-in ones when not given. */
  catalogs?: Catalogs;
}

export class SimRuntime {
  readonly catalogs: Catalogs;

  constructor(
    readonly kube: KubeClient,
    readonly options: SimOptions,
    readonly signal: AbortSignal,
    /** The sandbox's HTTP endpoints: controllers register what their workloads answer. */
    readonly endpoints: SandboxEndpoints = new SandboxEndpoints(),
  ) {
    this.catalogs = options.catalogs ?? new Catalogs();
  }

  /** A realistic delay, scaled by the speed setting; `slow` multiplies it (fault injection). */
  delay(realisticMs: number, slow = false): number {
    return Math.round(realisticMs * this.options.speed * (slow ? 10 : 1));
  }

  log(message: string): void {
    this.options.log?.(message);
  }

  /** Writes status through the status subresource, only when it changes (no event storms). */
  async setStatus(obj: KubeObject, status: Record<string, unknown>): Promise<KubeObject | undefined> {
    const current = (obj.status ?? {}) as Record<string, unknown>;
    const merged = { ...current, ...status };
    if (deepEqual(current, merged)) return undefined;
    return this.kube.patch(refOf(obj), 'merge', { status: nullMissing(current, merged) }, { subresource: 'status', signal: this.signal });
  }

  /** Replaces status whole (keys absent in `status` are removed). */
  async replaceStatus(obj: KubeObject, status: Record<string, unknown>): Promise<KubeObject | undefined> {
    const current = (obj.status ?? {}) as Record<string, unknown>;
    if (deepEqual(stripTimes(current), stripTimes(status))) return undefined;
    return this.kube.patch(refOf(obj), 'merge', { status: nullMissing(current, status) }, { subresource: 'status', signal: this.signal });
  }
}

export function refOf(obj: KubeObject): ObjectRef {
  return { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name!, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) };
}

/** In a merge patch, a key missing from the new value must be sent as null to be removed. */
function nullMissing(current: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...next };
  for (const k of Object.keys(current)) if (!(k in next)) out[k] = null;
  return out;
}

/** Condition timestamps alone do not make a status different. */
function stripTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripTimes);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k !== 'lastTransitionTime' && k !== 'lastUpdated' && k !== 'lastHeartbeatTime') out[k] = stripTimes(v);
    return out;
  }
  return value;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** Keeps a condition's transition time when its status did not change, as controllers do. */
export function withTimes(previous: readonly Condition[] | undefined, next: readonly Condition[]): Condition[] {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return next.map((c) => {
    const before = previous?.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: before && before.status === c.status ? (before.lastTransitionTime ?? now) : now };
  });
}
