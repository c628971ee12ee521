// The Llama Stack operator's rule: its server Deployment's pod, and under 3.x PostgreSQL required
// and SQLite data of 2.25 not migrated.
import { llamaStackServer } from './operator-workloads.js';
import { type Condition } from './runtime.js';
import { CREATED_UNDER, type Rule, ann, cond, namePrefix, refusalOf } from './workload-rule.js';

export const llamaStack: Rule = {
  ref: { apiVersion: 'llamastack.io/v1alpha1', kind: 'LlamaStackDistribution' },
  // The server pod, as the operator's Deployment <name> templates it (operator-workloads.ts llamaStackServer).
  podsOf(obj) {
    const replicas = (obj.spec as { replicas?: number } | undefined)?.replicas ?? 1;
    if (replicas < 1) return [];
    const server = llamaStackServer(obj);
    return [{ role: 'server', generateName: namePrefix(obj.metadata.name!), labels: server.labels, template: { spec: server.podSpec } }];
  },
  status(obj, _facts, major3, pods) {
    const refused = refusalOf(pods);
    if (refused) {
      // The operator applies its Deployment; the API server refuses a Deployment whose pod template
      // it would refuse as a pod, with the same field errors under spec.template. The reconcile
      // error goes into the status (red-hat-data-services/llama-stack-k8s-operator, branch
      // rhoai-3.3: controllers/llamastackdistribution_controller.go updateStatus, phase Failed and
      // SetDeploymentReadyCondition "Resource reconciliation failed: %v"; controllers/status.go
      // DeploymentReady / DeploymentFailed; the wrapping of pkg/deploy/kustomizer.go ApplyResources
      // and reconcileAllManifestResources).
      const name = obj.metadata.name!;
      const said = refused.refused!.replace(/^Pod "[^"]*" is invalid: /, `Deployment.apps "${name}" is invalid: `).replace(/(^|: |\[|, )spec\./g, '$1spec.template.spec.');
      return {
        phase: 'Failed',
        version: { operatorVersion: major3 ? '3.3' : '2.25' },
        conditions: [cond('DeploymentReady', false, 'DeploymentFailed', `Resource reconciliation failed: failed to apply manifests: failed to manage resource Deployment/${name}: ${said}`)],
      };
    }
    const env = (obj.spec as { server?: { containerSpec?: { env?: { name: string }[] } } } | undefined)?.server?.containerSpec?.env ?? [];
    const has = (n: string): boolean => env.some((e) => e.name === n);
    const created2x = ann(obj, CREATED_UNDER) !== '3';
    const conditions: Condition[] = [];
    let phase = 'Ready';
    if (major3 && !has('POSTGRES_HOST')) {
      phase = 'Failed';
      conditions.push(cond('Ready', false, 'StorageNotConfigured', 'SQLite storage is no longer supported in 3.3: set POSTGRES_HOST, POSTGRES_PORT, POSTGRES_DB, POSTGRES_USER and POSTGRES_PASSWORD'));
    } else {
      conditions.push(cond('Ready', true, 'Ready', 'LlamaStackDistribution is ready'));
    }
    if (major3 && created2x) {
      conditions.push(cond('DataMigrated', false, 'SQLiteDataNotMigrated', 'Data stored in SQLite under 2.25 (agent state, vector DB metadata, telemetry, files) was not migrated to PostgreSQL'));
    }
    return { phase, version: { operatorVersion: major3 ? '3.3' : '2.25' }, conditions };
  },
  stampCreatedUnder: true,
};
