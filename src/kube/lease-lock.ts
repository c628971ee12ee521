// A run lock the cluster holds: a coordination.k8s.io/v1 Lease, as controllers elect a leader and
// Terraform's kubernetes backend locks its state. The holder renews it while the run lasts; a
// holder that dies stops renewing and its lease expires after leaseDurationSeconds, when the next
// run takes it over and says so. A live lease refuses a second run, naming its holder. Every
// write carries the resourceVersion it read, so two runs racing for one lease cannot both win.
import { hostname, userInfo } from 'node:os';
import { RunbookError } from '../contract/errors.js';
import type { KubeClient } from './client.js';
import { isAlreadyExists, isConflict, isNotFound } from './errors.js';
import type { KubeObject } from './types.js';

export interface LeaseOptions {
  namespace: string;
  name: string;
  /** Who holds it, in words a person reads: the run, user, host and pid. */
  holder: string;
  durationSeconds?: number;
  /** What the lock guards, for the refusal message. */
  what: string;
}

export interface HeldLease {
  release(): Promise<void>;
  /** Set when an expired lease of another holder was taken over. */
  takenOver?: string;
}

/** Another run holds the lease: names it and says when it expires if its holder stops. */
export class LeaseHeld extends RunbookError {}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

const LEASE = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' } as const;

/** MicroTime, as the Lease API writes it. */
const microTime = (d: Date): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export function holderIdentity(runId: string): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (a container with an arbitrary uid).
  }
  return `run ${runId} by ${user}@${hostname()} pid ${process.pid}`;
}

export async function acquireLease(kube: KubeClient, o: LeaseOptions, now: () => Date = () => new Date()): Promise<HeldLease> {
  const duration = o.durationSeconds ?? 60;
  const ref = { ...LEASE, namespace: o.namespace, name: o.name };
  let takenOver: string | undefined;
  for (let attempt = 0; ; attempt++) {
    const current = await kube.get(ref);
    const t = now();
    const fresh: LeaseSpec = { holderIdentity: o.holder, leaseDurationSeconds: duration, acquireTime: microTime(t), renewTime: microTime(t) };
    try {
      if (!current) {
        await kube.create({ ...LEASE, metadata: { name: o.name, namespace: o.namespace, labels: { 'app.kubernetes.io/managed-by': 'runbook' } }, spec: { ...fresh, leaseTransitions: 0 } } as KubeObject);
      } else {
        const spec = (current.spec ?? {}) as LeaseSpec;
        const held = spec.holderIdentity && spec.holderIdentity !== o.holder;
        const renewed = Date.parse(spec.renewTime ?? spec.acquireTime ?? '') || 0;
        const expiresAt = renewed + (spec.leaseDurationSeconds ?? duration) * 1000;
        if (held && expiresAt > t.getTime()) {
          throw new LeaseHeld(`${o.what} is locked by ${spec.holderIdentity} (Lease ${o.namespace}/${o.name}, renewed ${new Date(renewed).toISOString()})`, {
            hint: `wait for that run to end; if its process is gone, the lease expires at ${new Date(expiresAt).toISOString()} and the next run takes it over`,
          });
        }
        if (held) takenOver = `took over Lease ${o.namespace}/${o.name} of ${spec.holderIdentity}, which stopped renewing it at ${new Date(renewed).toISOString()} (its run was interrupted)`;
        await kube.replace({ ...current, spec: { ...fresh, leaseTransitions: (spec.leaseTransitions ?? 0) + (held ? 1 : 0) } });
      }
      break;
    } catch (err) {
      // Someone else wrote it between our read and write: read again and judge anew.
      if ((isConflict(err) || isAlreadyExists(err)) && attempt < 5) continue;
      throw err;
    }
  }

  // Renew at a third of the duration: two missed renewals still leave the lease ours.
  let stopped = false;
  let lost: Error | undefined;
  const renew = async (): Promise<void> => {
    const current = await kube.get(ref);
    const spec = (current?.spec ?? {}) as LeaseSpec;
    if (!current || spec.holderIdentity !== o.holder) {
      lost = new LeaseHeld(`${o.what}: the Lease ${o.namespace}/${o.name} was taken by ${spec.holderIdentity ?? 'nobody (deleted)'}`);
      return;
    }
    await kube.replace({ ...current, spec: { ...spec, renewTime: microTime(now()) } });
  };
  const timer = setInterval(() => {
    if (!stopped) renew().catch(() => undefined);
  }, (duration * 1000) / 3);
  timer.unref();
  return {
    ...(takenOver ? { takenOver } : {}),
    async release() {
      stopped = true;
      clearInterval(timer);
      if (lost) return;
      // Released by clearing the holder, so the next run need not wait for the expiry.
      for (let attempt = 0; attempt < 3; attempt++) {
        const current = await kube.get(ref).catch(() => null);
        if (!current || (current.spec as LeaseSpec | undefined)?.holderIdentity !== o.holder) return;
        try {
          const { holderIdentity: _released, ...rest } = current.spec as LeaseSpec;
          await kube.replace({ ...current, spec: rest });
          return;
        } catch (err) {
          if (isNotFound(err)) return;
          if (!isConflict(err)) throw err;
        }
      }
    },
  };
}

/** Who holds the lease now (not expired), or undefined. */
export async function liveLeaseHolder(kube: KubeClient, namespace: string, name: string, now = Date.now()): Promise<string | undefined> {
  const lease = await kube.get({ ...LEASE, namespace, name }).catch(() => null);
  const spec = (lease?.spec ?? {}) as LeaseSpec;
  if (!spec.holderIdentity) return undefined;
  const renewed = Date.parse(spec.renewTime ?? spec.acquireTime ?? '') || 0;
  return renewed + (spec.leaseDurationSeconds ?? 60) * 1000 > now ? spec.holderIdentity : undefined;
}
