// The RBAC a runbook needs, from the same permission data as the preflight (each step type's
// `permissions(input)`): rules per API group, resource and verb, with resourceNames where a step
// names its object, as a Role per namespace the runbook names and a ClusterRole for the rest
// (cluster-scoped kinds, every-namespace reads, and namespaces known only at run time). So an
// in-cluster Job can run with what the runbook needs and nothing more.
import type { StepRegistry } from '../contract/registry.js';
import type { PermissionNeed } from '../contract/step-type.js';
import type { KubeObject, ResourceMapping } from '../kube/types.js';
import { neededAccess } from '../runbook/permission-needs.js';
import type { Plan } from '../runbook/types.js';
import type { ResolvedVars } from '../runbook/vars.js';

/** Stands for a value known only at run time while the needs are worked out. */
const UNRESOLVED = '\u0000unresolved';

export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface RbacOptions {
  /** Name of the roles and bindings. */
  name: string;
  /** The ServiceAccount the bindings grant to. */
  serviceAccount: { namespace: string; name: string };
  /** Where a namespaced step that names no namespace acts (the kubeconfig's, as in a run). */
  defaultNamespace: string;
  /** With --state kubernetes: the namespace whose Secrets hold the run and whose Lease locks it. */
  stateNamespace?: string;
}

export interface RbacResult {
  objects: KubeObject[];
  /** Steps whose kind is known only at run time: their needs are not in the roles. */
  uncovered: { stepId: string; reason: string }[];
  /** Kinds neither the cluster nor the shipped CRDs map: their resource name is a guess. */
  guessed: string[];
}

/** Maps a kind to its resource and scope: the cluster's discovery, then the shipped CRDs. */
export type KindMapper = (apiVersion: string, kind: string) => Promise<Pick<ResourceMapping, 'group' | 'resource' | 'namespaced'> | undefined>;

interface Grant {
  group: string;
  resource: string;
  verb: string;
  name?: string;
}

export async function rbacFor(plan: Plan, registry: StepRegistry, vars: ResolvedVars, map: KindMapper, options: RbacOptions): Promise<RbacResult> {
  const cluster: Grant[] = [];
  const byNamespace = new Map<string, Grant[]>();
  const uncovered: RbacResult['uncovered'] = [];
  const guessed = new Set<string>();
  for (const step of neededAccess(plan, registry, vars, { unresolved: UNRESOLVED })) {
    if ('reason' in step) {
      uncovered.push({ stepId: step.stepId, reason: step.reason });
      continue;
    }
    for (const need of step.needs) {
      const where = await scopeOf(need, map, guessed);
      if (!where) {
        uncovered.push({ stepId: step.stepId, reason: `its kind depends on values known only at run time (${need.verb} ${need.apiVersion ?? need.group}/${need.kind ?? need.resource})` });
        continue;
      }
      const name = need.name && !need.name.includes(UNRESOLVED) ? need.name : undefined;
      const grant: Grant = { group: where.group, resource: need.subresource ? `${where.resource}/${need.subresource}` : where.resource, verb: need.verb, ...(name ? { name } : {}) };
      const ns = where.namespaced && !need.allNamespaces ? (need.namespace ?? options.defaultNamespace) : undefined;
      if (ns && !ns.includes(UNRESOLVED)) byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), grant]);
      else cluster.push(grant);
    }
  }
  if (options.stateNamespace) {
    // The cluster-held state (src/cli/cluster-state.ts): run Secrets and the run's Lease.
    const ns = options.stateNamespace;
    const state: Grant[] = [
      ...['get', 'list', 'create', 'update', 'delete'].map((verb) => ({ group: '', resource: 'secrets', verb })),
      ...['get', 'create', 'update'].map((verb) => ({ group: 'coordination.k8s.io', resource: 'leases', verb })),
    ];
    byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), ...state]);
  }
  const objects: KubeObject[] = [];
  const subject = { kind: 'ServiceAccount', name: options.serviceAccount.name, namespace: options.serviceAccount.namespace };
  const label = { 'app.kubernetes.io/managed-by': 'runbook', 'runbook.dev/runbook': plan.name.slice(0, 63) };
  if (cluster.length) {
    objects.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: options.name, labels: label }, rules: rulesOf(cluster) } as KubeObject);
    objects.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: options.name, labels: label },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: options.name },
      subjects: [subject],
    } as KubeObject);
  }
  for (const [namespace, grants] of [...byNamespace].sort(([a], [b]) => a.localeCompare(b))) {
    objects.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: options.name, namespace, labels: label }, rules: rulesOf(grants) } as KubeObject);
    objects.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: options.name, namespace, labels: label },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: options.name },
      subjects: [subject],
    } as KubeObject);
  }
  return { objects, uncovered: dedupe(uncovered), guessed: [...guessed].sort() };
}

async function scopeOf(need: PermissionNeed, map: KindMapper, guessed: Set<string>): Promise<{ group: string; resource: string; namespaced: boolean } | undefined> {
  if (!need.kind || !need.apiVersion) {
    return need.resource ? { group: need.group, resource: need.resource, namespaced: need.namespace !== undefined || need.allNamespaces === true } : undefined;
  }
  if (need.kind.includes(UNRESOLVED) || need.apiVersion.includes(UNRESOLVED)) return undefined;
  const mapped = await map(need.apiVersion, need.kind);
  if (mapped) return mapped;
  // The English plural Kubernetes itself uses for most kinds; said, never silent.
  guessed.add(`${need.kind} (${need.apiVersion})`);
  const lower = need.kind.toLowerCase();
  const resource = /(s|x|ch|sh)$/.test(lower) ? `${lower}es` : /[^aeiou]y$/.test(lower) ? `${lower.slice(0, -1)}ies` : `${lower}s`;
  return { group: need.group, resource, namespaced: need.namespace !== undefined || need.allNamespaces === true };
}

/**
 * Grants folded into rules: one rule per group and resource set with the same verbs; named
 * grants keep their names (a verb granted without a name covers the named ones).
 */
function rulesOf(grants: readonly Grant[]): RbacRule[] {
  const unnamed = new Map<string, Set<string>>();
  const named = new Map<string, Map<string, Set<string>>>();
  const key = (g: Grant): string => `${g.group}\u0000${g.resource}`;
  for (const g of grants) if (!g.name) unnamed.set(key(g), (unnamed.get(key(g)) ?? new Set()).add(g.verb));
  for (const g of grants) {
    if (!g.name || unnamed.get(key(g))?.has(g.verb)) continue;
    const verbs = named.get(key(g)) ?? new Map<string, Set<string>>();
    verbs.set(g.verb, (verbs.get(g.verb) ?? new Set()).add(g.name));
    named.set(key(g), verbs);
  }
  const rules: RbacRule[] = [];
  // Resources with the same verbs share a rule, per group.
  const shared = new Map<string, { group: string; resources: string[]; verbs: string[] }>();
  for (const [k, verbs] of [...unnamed].sort(([a], [b]) => a.localeCompare(b))) {
    const [group, resource] = k.split('\u0000') as [string, string];
    const v = [...verbs].sort();
    const sk = `${group}\u0000${v.join(',')}`;
    const entry = shared.get(sk) ?? { group, resources: [], verbs: v };
    entry.resources.push(resource);
    shared.set(sk, entry);
  }
  for (const e of shared.values()) rules.push({ apiGroups: [e.group], resources: e.resources, verbs: e.verbs });
  for (const [k, verbs] of [...named].sort(([a], [b]) => a.localeCompare(b))) {
    const [group, resource] = k.split('\u0000') as [string, string];
    // Verbs held to the same names share a rule.
    const byNames = new Map<string, string[]>();
    for (const [verb, names] of verbs) {
      const nk = [...names].sort().join('\u0000');
      byNames.set(nk, [...(byNames.get(nk) ?? []), verb]);
    }
    for (const [nk, vs] of [...byNames].sort(([a], [b]) => a.localeCompare(b))) {
      rules.push({ apiGroups: [group], resources: [resource], verbs: vs.sort(), resourceNames: nk.split('\u0000') });
    }
  }
  return rules.sort((a, b) => `${a.apiGroups[0]}/${a.resources[0]}`.localeCompare(`${b.apiGroups[0]}/${b.resources[0]}`));
}

function dedupe<T extends { stepId: string; reason: string }>(list: T[]): T[] {
  const seen = new Set<string>();
  return list.filter((x) => !seen.has(`${x.stepId}\n${x.reason}`) && seen.add(`${x.stepId}\n${x.reason}`));
}
