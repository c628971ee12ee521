// What a sandbox that does not settle is waiting for, read from the cluster as an admin would look:
// Subscriptions OLM cannot resolve, CSVs not Succeeded, DataScienceClusters and DSCInitializations
// not Ready (or more than one of them), each with the condition that says why.
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

const conditions = (o: KubeObject): Condition[] => ((o.status as { conditions?: Condition[] } | undefined)?.conditions ?? []) as Condition[];
const where = (o: KubeObject): string => `${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

export async function describeUnsettled(kube: KubeClient): Promise<string[]> {
  const out: string[] = [];
  const list = async (apiVersion: string, kind: string): Promise<KubeObject[]> => (await kube.list({ apiVersion, kind }, { allNamespaces: true }).catch(() => ({ items: [] as KubeObject[] }))).items;

  for (const sub of await list('operators.coreos.com/v1alpha1', 'Subscription')) {
    for (const c of conditions(sub)) {
      if (c.status === 'True' && (c.type === 'ResolutionFailed' || c.type === 'CatalogSourcesUnhealthy' || c.type === 'InstallPlanFailed')) {
        out.push(`Subscription ${where(sub)}: ${c.type}: ${c.message ?? c.reason ?? ''}`);
      }
    }
  }
  for (const csv of await list('operators.coreos.com/v1alpha1', 'ClusterServiceVersion')) {
    const s = (csv.status ?? {}) as { phase?: string; message?: string };
    if (s.phase !== 'Succeeded') out.push(`ClusterServiceVersion ${where(csv)}: phase ${s.phase ?? 'none yet'}${s.message ? `: ${s.message}` : ''}`);
  }
  for (const [apiVersion, kind] of [
    ['dscinitialization.opendatahub.io/v1', 'DSCInitialization'],
    ['datasciencecluster.opendatahub.io/v1', 'DataScienceCluster'],
  ] as const) {
    const items = await list(apiVersion, kind);
    if (items.length > 1) out.push(`${items.length} ${kind}s (${items.map(where).join(', ')}): the operator reconciles one; remove the others`);
    for (const o of items) {
      const phase = (o.status as { phase?: string } | undefined)?.phase;
      if (phase === 'Ready') continue;
      const why = conditions(o).find((c) => (c.type === 'Ready' || c.type === 'Degraded' || c.type === 'ReconcileComplete') && c.status !== (c.type === 'Degraded' ? 'False' : 'True'));
      out.push(`${kind} ${where(o)}: phase ${phase ?? 'none yet'}${why ? `; ${why.type} ${why.status}: ${why.message ?? why.reason ?? ''}` : ''}`);
    }
  }
  return out;
}
