// The checks added for the component migration guide (runbooks/guide-items/000.yaml), each run
// through the built CLI on a sandbox of this file's own (minimal, plus the objects each check looks
// at), each shown to fire on the cluster state the guide warns about and to clear once that state
// is fixed:
// - OpenShift stable: a degraded ClusterOperator and a ClusterVersion still progressing stop the
//   run; the RHOAI Subscription is set to manual approval;
// - cert-manager already installed in another namespace: not installed a second time;
// - Guardrails: an orchestrator ConfigMap missing fields (read by structure, not by substring), a
//   gateway without its ConfigMap, the recommended flags;
// - LLMInferenceService scheduler overrides in the 2.x form (camel case, no --cert-path, old path,
//   no mount);
// - custom pipeline Roles and ClusterRoles get the api rule with the verbs of their route rule and
//   its DSPA names, never more; a re-run writes nothing;
// - verification: component controller pods, model registries, feature store CronJobs, the Llama
//   Stack completion request (POST, answered by the sandbox's HTTP endpoints);
// - Code Server workbenches on 2025.1 move to 2025.2.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/types.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { REPO, changedSteps, runCli, type CliRun } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';
import { startTestSandbox } from './support/sandbox.js';

const RUNBOOKS = join(REPO, 'runbooks/rhoai-2.25-to-3.3');
const OLM = 'operators.coreos.com/v1alpha1';
const CO = { apiVersion: 'config.openshift.io/v1', kind: 'ClusterOperator' } as const;
const CV = { apiVersion: 'config.openshift.io/v1', kind: 'ClusterVersion', name: 'version' } as const;
const ROLE = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' } as const;
const CLUSTER_ROLE = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' } as const;
const API_GROUP = 'datasciencepipelinesapplications.opendatahub.io';

// The objects the checks read, on top of the minimal scenario (RHOAI 2.25.4 on OpenShift 4.19.10).
const SCENARIO = `
apiVersion: runbook.dev/v1
kind: SandboxScenario
metadata: { name: guide-000-checks, description: minimal with what the guide-000 checks look at }
spec:
  base: minimal
  operators:
    # A cert-manager Operator a site installed itself, in a namespace of its own choosing.
    - { package: openshift-cert-manager-operator, namespace: site-cert-manager, channel: stable-v1, version: 1.19.0 }
  objects:
    - apiVersion: config.openshift.io/v1
      kind: ClusterOperator
      metadata: { name: ingress }
      status:
        conditions:
          - { type: Available, status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }
          - { type: Degraded, status: 'True', reason: GatewayAPIInstallFailed, message: 'OSSM 2 subscription conflicts', lastTransitionTime: '2026-01-01T00:00:00Z' }
    - apiVersion: config.openshift.io/v1
      kind: ClusterOperator
      metadata: { name: dns }
      status:
        conditions:
          - { type: Available, status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }
          - { type: Degraded, status: 'False', lastTransitionTime: '2026-01-01T00:00:00Z' }
    - apiVersion: v1
      kind: Namespace
      metadata: { name: guard-team }
    - apiVersion: v1
      kind: ConfigMap
      metadata: { name: orch-config, namespace: guard-team }
      data:
        config.yaml: |
          chat_generation:
            service:
              hostname: llm-predictor.guard-team.svc.cluster.local
          detectors:
            hap:
              type: text_contents
              service:
                hostname: hap.guard-team.svc
                port: 8000
              default_threshold: 0.5
          # port and chunker_id below belong to no service and no detector of the ones above
          passthrough:
            port: 8032
            chunker_id: whole_doc_chunker
    - apiVersion: trustyai.opendatahub.io/v1alpha1
      kind: GuardrailsOrchestrator
      metadata: { name: orch, namespace: guard-team }
      spec: { orchestratorConfig: orch-config, replicas: 1, enableGuardrailsGateway: true, guardrailsGatewayConfig: orch-gateway, enableBuiltInDetectors: true }
    - apiVersion: v1
      kind: Namespace
      metadata: { name: llm-team }
    - apiVersion: serving.kserve.io/v1alpha1
      kind: LLMInferenceService
      metadata: { name: granite, namespace: llm-team }
      spec:
        model: { uri: 'hf://ibm-granite/granite-3.1-8b-instruct', name: granite }
        router:
          scheduler:
            template:
              containers:
                - name: main
                  args: [--poolName, granite-pool, --certPath, /etc/ssl/certs]
    - apiVersion: v1
      kind: Namespace
      metadata: { name: pipes-team }
    - apiVersion: datasciencepipelinesapplications.opendatahub.io/v1
      kind: DataSciencePipelinesApplication
      metadata: { name: pipes, namespace: pipes-team }
      spec: { dspVersion: v2 }
    - apiVersion: datasciencepipelinesapplications.opendatahub.io/v1
      kind: DataSciencePipelinesApplication
      metadata: { name: other, namespace: pipes-team }
      spec: { dspVersion: v2 }
    - apiVersion: rbac.authorization.k8s.io/v1
      kind: Role
      metadata: { name: pipeline-readers, namespace: pipes-team }
      rules:
        - { apiGroups: [route.openshift.io], resources: [routes], resourceNames: [ds-pipeline-pipes], verbs: [get] }
    - apiVersion: rbac.authorization.k8s.io/v1
      kind: ClusterRole
      metadata: { name: team-pipeline-access }
      rules:
        - { apiGroups: [route.openshift.io], resources: [routes], resourceNames: [ds-pipeline-other], verbs: [get, list] }
    - apiVersion: rbac.authorization.k8s.io/v1
      kind: RoleBinding
      metadata: { name: team-pipeline-access, namespace: pipes-team }
      roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: team-pipeline-access }
      subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: Group, name: pipeline-team }]
    - apiVersion: v1
      kind: Namespace
      metadata: { name: feast-team }
    - apiVersion: feast.dev/v1alpha1
      kind: FeatureStore
      metadata: { name: credit, namespace: feast-team }
      spec: { feastProject: credit }
    - apiVersion: batch/v1
      kind: CronJob
      metadata: { name: feast-credit, namespace: feast-team }
      spec:
        schedule: '@yearly'
        suspend: true
        jobTemplate:
          spec:
            template:
              spec:
                restartPolicy: Never
                containers: [{ name: feast, image: 'registry.redhat.io/rhoai/odh-feature-server-rhel9:v3.3', command: [feast, apply] }]
    - apiVersion: modelregistry.opendatahub.io/v1beta1
      kind: ModelRegistry
      metadata: { name: registry, namespace: redhat-ods-applications }
      spec: { grpc: {}, rest: {}, mysql: { host: mysql, database: registry, username: reg, passwordSecret: { name: db, key: password } } }
    - apiVersion: kubeflow.org/v1
      kind: Notebook
      metadata:
        name: carol-code
        namespace: data-science
        annotations:
          notebooks.opendatahub.io/last-image-selection: 'code-server-notebook:2025.1'
          kubeflow-resource-stopped: '2026-01-01T00:00:00Z'
      spec:
        template:
          spec:
            containers:
              - name: carol-code
                image: 'image-registry.openshift-image-registry.svc:5000/redhat-ods-applications/code-server-notebook:2025.1'
`;

let sandbox: Sandbox;
// The scenario file lives for the whole file (scratchDir() cleans up after each test).
const scenarioDir = mkdtempSync(join(tmpdir(), 'guide-000-scenario-'));

beforeAll(async () => {
  const file = join(scenarioDir, 'guide-000-checks.yaml');
  writeFileSync(file, SCENARIO);
  sandbox = await startTestSandbox({ scenario: file, speed: 0 });
}, 600_000);

afterAll(async () => {
  await sandbox?.stop();
  rmSync(scenarioDir, { recursive: true, force: true });
});

/** `runbook run` of one section file, in a folder of its own, JSON output, gates passed. */
function run(file: string, extra: string[] = []): Promise<CliRun> {
  const dir = scratchDir('guide-000');
  // Files that write backups get a folder of their own.
  const backup = ['before/ai-pipelines.yaml', 'after/workbench-images.yaml'].includes(file) ? ['--var', `backupDir=${join(dir, 'backup')}`] : [];
  return runCli(['run', join(RUNBOOKS, file), '--kubeconfig', sandbox.kubeconfigPath, '--state-dir', join(dir, 'state'), '--yes', '-o', 'json', ...backup, ...extra], { cwd: dir });
}

function why(r: CliRun): string {
  const failed = r.events.filter((e) => e.type === 'node:end' && (e.result as { status: string }).status === 'failed').map((e) => JSON.stringify(e.result));
  return [r.stderr.slice(-3000), ...failed, ...r.findings.map((f) => JSON.stringify(f))].join('\n');
}

const finding = (r: CliRun, check: string) => r.findings.find((f) => f.check === check);

async function setStatus(ref: { apiVersion: string; kind: string; name: string; namespace?: string }, status: Record<string, unknown>): Promise<void> {
  await sandbox.kube.patch(ref, 'merge', { status }, { subresource: 'status' });
}

describe('guide 000 prerequisites', () => {
  it('a degraded ClusterOperator and an OpenShift update in progress stop the run; fixed, they pass', { timeout: 300_000 }, async () => {
    const cv = (await sandbox.kube.get(CV))!;
    const conditions = (cv.status as { conditions: { type: string; status: string }[] }).conditions;
    await setStatus(CV, { conditions: conditions.map((c) => (c.type === 'Progressing' ? { ...c, status: 'True', message: 'Working towards 4.19.12' } : c)) });
    await sandbox.kube.patch({ apiVersion: OLM, kind: 'Subscription', namespace: 'redhat-ods-operator', name: 'rhods-operator' }, 'merge', { spec: { installPlanApproval: 'Automatic' } });

    const blocked = await run('before/prerequisites.yaml');
    expect(blocked.code, why(blocked)).toBe(3);
    expect(finding(blocked, 'openshift-update-complete')?.severity).toBe('prohibited');
    const cos = finding(blocked, 'openshift-clusteroperators');
    expect(cos?.severity).toBe('prohibited');
    expect(cos?.message).toContain('ingress (Degraded=True: OSSM 2 subscription conflicts)');
    expect(cos?.message).not.toContain('dns');
    // A blocking finding stops the run before the approval is changed.
    const before = (await sandbox.kube.get({ apiVersion: OLM, kind: 'Subscription', namespace: 'redhat-ods-operator', name: 'rhods-operator' }))!;
    expect((before.spec as { installPlanApproval: string }).installPlanApproval).toBe('Automatic');

    await setStatus(CV, { conditions });
    await setStatus({ ...CO, name: 'ingress' }, { conditions: [{ type: 'Available', status: 'True', lastTransitionTime: '2026-01-02T00:00:00Z' }, { type: 'Degraded', status: 'False', lastTransitionTime: '2026-01-02T00:00:00Z' }] });
    const passed = await run('before/prerequisites.yaml');
    expect(passed.code, why(passed)).toBe(0);
    expect(finding(passed, 'openshift-update-complete')).toBeUndefined();
    expect(finding(passed, 'openshift-clusteroperators')).toBeUndefined();
    expect(finding(passed, 'dsc-ready-condition')).toBeUndefined();
    const after = (await sandbox.kube.get({ apiVersion: OLM, kind: 'Subscription', namespace: 'redhat-ods-operator', name: 'rhods-operator' }))!;
    expect((after.spec as { installPlanApproval: string }).installPlanApproval).toBe('Manual');
  });

  it('cert-manager running in another namespace is not installed a second time', { timeout: 300_000 }, async () => {
    const r = await run('before/cert-manager.yaml');
    expect(r.code, why(r)).toBe(0);
    expect(finding(r, 'cert-manager-present')?.message).toContain('site-cert-manager/openshift-cert-manager-operator');
    const subs = (await sandbox.kube.list({ apiVersion: OLM, kind: 'Subscription' }, { allNamespaces: true })).items;
    expect(subs.filter((s) => (s.spec as { name: string }).name === 'openshift-cert-manager-operator').map((s) => s.metadata.namespace)).toEqual(['site-cert-manager']);
    expect(await sandbox.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'cert-manager-operator' })).toBeNull();
  });
});

describe('guide 000 component checks', () => {
  it('Guardrails: missing config fields and the gateway ConfigMap are found by structure; completed, they pass', { timeout: 300_000 }, async () => {
    const r = await run('before/guardrails.yaml');
    expect(r.code, why(r)).toBe(3);
    const config = finding(r, 'guardrails-config');
    expect(config?.severity).toBe('critical');
    // port and chunker_id appear in the text, but not where the orchestrator reads them.
    expect(config?.message).toContain('chat_generation.service.port, detectors.hap.chunker_id');
    expect(finding(r, 'guardrails-gateway-config')?.message).toContain('"orch-gateway"');
    expect(finding(r, 'guardrails-llm')?.severity).toBe('warning');
    expect(finding(r, 'guardrails-recommended')).toBeUndefined();

    await sandbox.kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'guard-team', name: 'orch-config' }, 'merge', {
      data: {
        'config.yaml': [
          'chat_generation:',
          '  service:',
          '    hostname: llm-predictor.guard-team.svc.cluster.local',
          '    port: 8032',
          'detectors:',
          '  hap:',
          '    type: text_contents',
          '    service: { hostname: hap.guard-team.svc, port: 8000 }',
          '    chunker_id: whole_doc_chunker',
          '    default_threshold: 0.5',
          '',
        ].join('\n'),
      },
    });
    await sandbox.kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'orch-gateway', namespace: 'guard-team' }, data: { 'config.yaml': 'orchestrator:\n  host: localhost\n' } });
    const fixed = await run('before/guardrails.yaml');
    expect(fixed.code, why(fixed)).toBe(0);
    expect(finding(fixed, 'guardrails-config')).toBeUndefined();
    expect(finding(fixed, 'guardrails-gateway-config')).toBeUndefined();
  });

  it('LLMInferenceService scheduler overrides in the 2.x form are refused after the upgrade; rewritten, they pass', { timeout: 300_000 }, async () => {
    const r = await run('after/llm-scheduler.yaml');
    expect(r.code, why(r)).toBe(3);
    const args = finding(r, 'llm-scheduler-args');
    expect(args?.severity).toBe('critical');
    expect(args?.message).toContain('llm-team/granite (camel-case flag --poolName, camel-case flag --certPath, no --cert-path, the old certificate path /etc/ssl/certs, no volume mounted at /var/run/kserve/tls)');

    await sandbox.kube.patch({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'LLMInferenceService', namespace: 'llm-team', name: 'granite' }, 'merge', {
      spec: { router: { scheduler: { template: { containers: [{ name: 'main', args: ['--pool-name', 'granite-pool', '--cert-path', '/var/run/kserve/tls'], volumeMounts: [{ name: 'tls-certs', mountPath: '/var/run/kserve/tls', readOnly: true }] }] } } } },
    });
    const fixed = await run('after/llm-scheduler.yaml');
    expect(fixed.code, why(fixed)).toBe(0);
    expect(finding(fixed, 'llm-scheduler-args')).toBeUndefined();
  });

  it('custom pipeline Roles and ClusterRoles get the api rule with their own verbs and DSPA names; a re-run writes nothing', { timeout: 300_000 }, async () => {
    const r = await run('before/ai-pipelines.yaml');
    expect(r.code, why(r)).toBe(0);
    const role = (await sandbox.kube.get({ ...ROLE, namespace: 'pipes-team', name: 'pipeline-readers' }))!;
    expect(role.rules).toContainEqual({ apiGroups: [API_GROUP], resources: ['datasciencepipelinesapplications/api'], resourceNames: ['pipes'], verbs: ['get'] });
    const clusterRole = (await sandbox.kube.get({ ...CLUSTER_ROLE, name: 'team-pipeline-access' }))!;
    expect(clusterRole.rules).toContainEqual({ apiGroups: [API_GROUP], resources: ['datasciencepipelinesapplications/api'], resourceNames: ['other'], verbs: ['get', 'list'] });
    // No rule grants a verb the route rule did not.
    for (const o of [role, clusterRole] as KubeObject[]) {
      const api = (o.rules as { resources: string[]; verbs: string[] }[]).filter((x) => x.resources.includes('datasciencepipelinesapplications/api'));
      expect(api).toHaveLength(1);
      expect(api[0]!.verbs).not.toContain('create');
    }
    expect(finding(r, 'aipipelines-custom-roles')?.message).toContain('ClusterRole team-pipeline-access (other: get, list)');

    const again = await run('before/ai-pipelines.yaml');
    expect(again.code, why(again)).toBe(0);
    expect(changedSteps(again).filter((s) => s.includes('update-roles'))).toEqual([]);
  });

  it('Code Server workbenches on 2025.1 move to 2025.2, once', { timeout: 300_000 }, async () => {
    const r = await run('after/workbench-images.yaml');
    expect(r.code, why(r)).toBe(0);
    const nb = (await sandbox.kube.get({ apiVersion: 'kubeflow.org/v1', kind: 'Notebook', namespace: 'data-science', name: 'carol-code' }))!;
    expect(nb.metadata.annotations?.['notebooks.opendatahub.io/last-image-selection']).toBe('code-server-notebook:2025.2');
    const containers = (nb.spec as { template: { spec: { containers: { name: string; image: string }[] } } }).template.spec.containers;
    expect(containers.map((c) => c.image)).toEqual(['image-registry.openshift-image-registry.svc:5000/redhat-ods-applications/code-server-notebook:2025.2']);
    const again = await run('after/workbench-images.yaml');
    expect(again.code, why(again)).toBe(0);
    expect(again.summary?.apiCalls?.writes).toBe(0);
  });
});

describe('guide 000 verification', () => {
  const ONLY = ['verify/names', 'verify/controller-pods', 'verify/model-registries', 'verify/feature-store-cronjobs-read', 'verify/feature-store-cronjobs-found', 'verify/feature-store-cronjobs-sorted', 'verify/feature-store-cronjobs', 'verify/feature-store-cronjobs-exist', 'verify/llama-stack-read', 'verify/llama-stack-endpoint', 'verify/llama-stack-probed'].flatMap((s) => ['--only', s]);

  it('controller pods, model registries, feature store CronJobs and the Llama Stack completion fire; fixed, they pass', { timeout: 300_000 }, async () => {
    const kube = sandbox.kube;
    // A component controller pod that is not ready, in the applications namespace, owned by its
    // ReplicaSet. The sandbox's controller manager runs no ReplicaSet controller and no scheduler
    // runs, so the status written here stays.
    const labels = { app: 'odh-model-controller' };
    const rs = await kube.create({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'odh-model-controller-5d9f', namespace: 'redhat-ods-applications' }, spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'manager', image: 'odh-model-controller:3.3' }] } } } });
    const pod = await kube.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'odh-model-controller-5d9f-x2', namespace: 'redhat-ods-applications', labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name!, uid: rs.metadata.uid!, controller: true }] }, spec: { containers: [{ name: 'manager', image: 'odh-model-controller:3.3' }] } });
    await setStatus({ apiVersion: 'v1', kind: 'Pod', namespace: 'redhat-ods-applications', name: pod.metadata.name! }, { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] });
    await setStatus({ apiVersion: 'modelregistry.opendatahub.io/v1beta1', kind: 'ModelRegistry', namespace: 'redhat-ods-applications', name: 'registry' }, { conditions: [{ type: 'Available', status: 'False', reason: 'DeploymentUnavailable', message: 'waiting', lastTransitionTime: '2026-01-01T00:00:00Z' }] });
    await setStatus({ apiVersion: 'batch/v1', kind: 'CronJob', namespace: 'feast-team', name: 'feast-credit' }, { lastScheduleTime: '2026-01-02T00:00:00Z', lastSuccessfulTime: '2026-01-01T00:00:00Z' });

    // The Llama Stack server, as the sandbox's HTTP endpoints play it: broken first.
    let healthy = false;
    const calls: { method: string; json: unknown }[] = [];
    const remove = sandbox.simulator.endpoints.register({
      host: 'llama.guide-000.example.com',
      handle: (req) => {
        if (req.path !== '/v1/inference/completion') return undefined;
        calls.push({ method: req.method, json: req.json });
        return healthy ? { status: 200, json: { content: ' bright.', metrics: [] } } : { status: 400, json: { detail: 'model not found' } };
      },
    });
    const http = ['--connect-to', sandbox.http.connectTo, '--cacert', sandbox.http.caFile, '--var', 'llamaStackEndpoint=https://llama.guide-000.example.com', '--var', 'llamaStackModelId=vllm-inference/granite'];
    try {
      const r = await run('verify/verify.yaml', [...ONLY, ...http]);
      expect(finding(r, 'verify-controller-pods')?.objects, why(r)).toEqual(['Pod redhat-ods-applications/odh-model-controller-5d9f-x2']);
      expect(finding(r, 'verify-model-registries')?.severity, why(r)).toBe('critical');
      expect(finding(r, 'verify-feature-store-cronjob')?.objects, why(r)).toEqual(['FeatureStore feast-team/credit']);
      const failed = r.events.find((e) => e.type === 'node:end' && (e.node as { id: string }).id === 'verify/llama-stack-endpoint');
      expect((failed?.result as { status: string }).status).toBe('failed');
      expect(calls[0]).toEqual({ method: 'POST', json: { model_id: 'vllm-inference/granite', content: expect.any(String), max_tokens: 50 } });

      await setStatus({ apiVersion: 'v1', kind: 'Pod', namespace: 'redhat-ods-applications', name: pod.metadata.name! }, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] });
      await setStatus({ apiVersion: 'modelregistry.opendatahub.io/v1beta1', kind: 'ModelRegistry', namespace: 'redhat-ods-applications', name: 'registry' }, { conditions: [{ type: 'Available', status: 'True', reason: 'DeploymentAvailable', message: 'ready', lastTransitionTime: '2026-01-02T00:00:00Z' }] });
      await setStatus({ apiVersion: 'batch/v1', kind: 'CronJob', namespace: 'feast-team', name: 'feast-credit' }, { lastSuccessfulTime: '2026-01-02T00:05:00Z' });
      healthy = true;
      const fixed = await run('verify/verify.yaml', [...ONLY, ...http]);
      expect(fixed.code, why(fixed)).toBe(0);
      for (const check of ['verify-controller-pods', 'verify-model-registries', 'verify-feature-store-cronjob', 'verify-llama-stack-completion']) expect(finding(fixed, check), check).toBeUndefined();
    } finally {
      remove();
    }
  });
});
