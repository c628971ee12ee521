// How the Gateway API controller reads HTTPRoutes, InferencePools and Deployments
// (inference-gateway.ts runs it): a route's Gateway parents and path matches, a pool's selector,
// the labels of a Deployment's pods and whether any of them is available.
import type { KubeObject } from '../../kube/types.js';

export const GW = 'gateway.networking.k8s.io';

export interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  weight?: number;
}
export interface RouteRule {
  matches?: { path?: { type?: string; value?: string } }[];
  backendRefs?: BackendRef[];
}
export interface ParentRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

export function parentRefsOf(route: KubeObject): ParentRef[] {
  return ((route.spec as { parentRefs?: ParentRef[] } | undefined)?.parentRefs ?? []).filter((p) => (p.kind ?? 'Gateway') === 'Gateway' && (p.group ?? GW) === GW);
}

export function refersTo(p: ParentRef, routeNamespace: string, gateway: KubeObject): boolean {
  return p.name === gateway.metadata.name && (p.namespace ?? routeNamespace) === gateway.metadata.namespace;
}

export function matches(rule: RouteRule, path: string): boolean {
  const m = rule.matches ?? [];
  if (m.length === 0) return true;
  return m.some((x) => {
    const type = x.path?.type ?? 'PathPrefix';
    const value = x.path?.value ?? '/';
    if (type === 'Exact') return path === value;
    if (type === 'PathPrefix') return value === '/' || path === value || path.startsWith(value.endsWith('/') ? value : `${value}/`);
    return new RegExp(value).test(path);
  });
}

export function templateLabels(d: KubeObject): Record<string, string> {
  return ((d.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)?.template?.metadata?.labels) ?? {};
}

export function labelsMatch(labels: Record<string, string>, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export function poolSelector(pool: KubeObject, v1: boolean): Record<string, string> {
  const spec = (pool.spec ?? {}) as { selector?: Record<string, string> & { matchLabels?: Record<string, string> } };
  return (v1 ? spec.selector?.matchLabels : spec.selector) ?? {};
}

export function available(d: KubeObject): boolean {
  const s = (d.status ?? {}) as { availableReplicas?: number };
  return (s.availableReplicas ?? 0) > 0;
}
