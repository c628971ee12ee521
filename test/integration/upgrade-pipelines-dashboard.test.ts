// The AI pipelines, dashboard and Training Operator parts of the 2.25 → 3.3 runbook, through the
// built CLI, on a control plane of this file's own (it swaps the DSPA CRD, as OLM does at the
// operator upgrade):
// - AI pipelines before the upgrade: DSPAs stored as v1alpha1 are rewritten and v1alpha1 leaves the
//   CRD's stored versions, without which the API server refuses the 3.3 CRD; custom roles reaching a
//   pipeline server through its Route get the datasciencepipelinesapplications/api rule scoped to that
//   DSPA, the operator's own roles and the others are left alone; pipeline server health is recorded;
//   a re-run writes nothing.
// - AI pipelines after the upgrade: a pod group healthy before and not after is a regression (after
//   the wait), one that recovers within the wait passes, unhealthy-before groups are only reported.
// - Dashboard: the redirect manifests of the old Route, to the URL found in the right place, written
//   (and applied when asked), never over a Route that is not the redirect, never to the old URL.
// - Training Operator smoke test: accepted but never scheduled in a cluster without the operator
//   (fails, and cleans up), passes when a controller schedules the master pod, leaves a namespace
//   it did not create alone.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { startControlPlane, type ControlPlane } from '../../src/sandbox/controlplane/launcher.js';
import { installCrds, loadCrds } from '../../src/sandbox/crds/index.js';
import { REPO, changedSteps, runCli, type CliRun } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';

const RUNBOOKS = join(REPO, 'runbooks/rhoai-2.25-to-3.3');
const DSPA = { apiVersion: 'datasciencepipelinesapplications.opendatahub.io/v1', kind: 'DataSciencePipelinesApplication' } as const;
const DSPA_CRD = 'datasciencepipelinesapplications.datasciencepipelinesapplications.opendatahub.io';
const ROLE = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' } as const;
const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
const RECORD = 'upgrade.runbook.dev/pipeline-pods-before-upgrade';
const API_RULE = (dspas: string[], verbs = ['get', 'create', 'update', 'patch', 'delete']) => ({
  apiGroups: ['datasciencepipelinesapplications.opendatahub.io'],
  resources: ['datasciencepipelinesapplications/api'],
  resourceNames: dspas,
  verbs,
});

let controlPlane: ControlPlane;
let kube: KubeClient;
let crd33: V1CustomResourceDefinition;

beforeAll(async () => {
  controlPlane = await startControlPlane();
  await installCrds(controlPlane.kubeconfigPath);
  kube = KubeClient.load({ kubeconfig: controlPlane.kubeconfigPath, env: {} });
  crd33 = (await loadCrds()).find((c) => c.metadata?.name === DSPA_CRD)!;
}, 600_000);

afterAll(async () => {
  await controlPlane?.stop();
});

/** `runbook run <file>` in a folder of its own (state, backups), JSON output, gates passed. */
function run(file: string, dir: string, extra: string[] = []): Promise<CliRun> {
  return runCli(['run', join(RUNBOOKS, file), '--kubeconfig', controlPlane.kubeconfigPath, '--state-dir', scratchDir('runbook-state'), '--yes', '-o', 'json', ...extra], { cwd: dir });
}

/** What a failed run says: stderr, the failed steps and the findings. */
function why(r: CliRun): string {
  const failed = r.events.filter((e) => e.type === 'node:end' && (e.result as { status: string }).status === 'failed').map((e) => JSON.stringify(e.result));
  return [r.stderr, ...failed, ...r.findings.map((f) => JSON.stringify(f))].join('\n');
}

const finding = (r: CliRun, check: string) => r.findings.find((f) => f.check === check);

async function namespace(name: string, labels?: Record<string, string>): Promise<void> {
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } });
}

const get = async (ref: { apiVersion: string; kind: string }, namespace: string | undefined, name: string): Promise<KubeObject | null> =>
  kube.get({ ...ref, ...(namespace ? { namespace } : {}), name });

const rulesOf = async (ns: string, name: string) => ((await get(ROLE, ns, name))!.rules ?? []) as unknown[];

/** A pod as the data-science-pipelines-operator labels it, with the status a kubelet would write. */
async function pod(ns: string, dspa: string, app: string, suffix: string, healthy: boolean): Promise<string> {
  const name = `${app}-${suffix}`;
  await kube.create({ ...POD, metadata: { name, namespace: ns, labels: { app, component: 'data-science-pipelines', dspa } }, spec: { containers: [{ name: 'main', image: 'example.com/main:1' }] } });
  await setHealth(ns, name, healthy);
  return name;
}

async function setHealth(ns: string, name: string, healthy: boolean): Promise<void> {
  await kube.patch({ ...POD, namespace: ns, name }, 'merge', {
    status: {
      phase: healthy ? 'Running' : 'Pending',
      conditions: [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: healthy ? 'True' : 'False' },
      ],
    },
  }, { subresource: 'status' });
}

describe('AI pipelines', () => {
  let dir: string;
  let apiPod: string;
  let devApiPod: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'runbook-pipelines-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('before the upgrade: DSPAs stored as v1alpha1 are stored as v1 and the 3.3 CRD installs', { timeout: 240_000 }, async () => {
    // How a cluster that had DSPAs before v1 became the storage version looks: the CRD as 2.25
    // ships it (v1 stored, v1alpha1 served and deprecated), with v1alpha1 still in storedVersions.
    const version = (name: string, storage: boolean) => ({ ...structuredClone(crd33.spec.versions[0]!), name, served: true, storage });
    const early = structuredClone(crd33);
    early.spec.versions = [version('v1', false), { ...version('v1alpha1', true), deprecated: true }];
    await installCrds(controlPlane.kubeconfigPath, { crds: [early] });
    await namespace('team-a');
    for (const name of ['old-one', 'old-two']) {
      await kube.create({ apiVersion: 'datasciencepipelinesapplications.opendatahub.io/v1alpha1', kind: 'DataSciencePipelinesApplication', metadata: { name, namespace: 'team-a' }, spec: { dspVersion: 'v2' } });
    }
    const crd225 = structuredClone(crd33);
    crd225.spec.versions = [version('v1', true), { ...version('v1alpha1', false), deprecated: true }];
    await installCrds(controlPlane.kubeconfigPath, { crds: [crd225] });
    const storedVersions = async () => ((await get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, undefined, DSPA_CRD))!.status as { storedVersions: string[] }).storedVersions;
    expect(await storedVersions()).toEqual(expect.arrayContaining(['v1', 'v1alpha1']));
    // The API server hands the objects out as v1, whatever they are stored as.
    expect((await kube.list({ ...DSPA, namespace: 'team-a' })).items.map((d) => d.apiVersion)).toEqual([DSPA.apiVersion, DSPA.apiVersion]);
    // What the operator upgrade would do now: the 3.3 CRD (v1 only) is refused.
    await expect(installCrds(controlPlane.kubeconfigPath, { crds: [crd33] })).rejects.toThrow(/storedVersions/);

    const first = await run('before/ai-pipelines.yaml', dir);
    expect(first.code, why(first)).toBe(0);
    expect(changedSteps(first)).toEqual(expect.arrayContaining(['before/ai-pipelines/rewrite-dspas', 'before/ai-pipelines/drop-v1alpha1']));
    expect(await storedVersions()).toEqual(['v1']);
    for (const d of (await kube.list({ ...DSPA, namespace: 'team-a' })).items) expect(d.metadata.annotations?.['upgrade.runbook.dev/stored-version']).toBe('v1');
    expect(readdirSync(join(dir, 'rhoai-upgrade-backup/ai-pipelines/dspas')).filter((f) => f.endsWith('.yaml')).sort()).toHaveLength(2);

    // The operator upgrade now gets through, and every DSPA is still readable.
    await installCrds(controlPlane.kubeconfigPath, { crds: [crd33] });
    expect((await kube.list({ ...DSPA, namespace: 'team-a' })).items.map((d) => d.metadata.name)).toEqual(['old-one', 'old-two']);
  });

  it('before the upgrade: custom route roles get the api rule for their DSPA, the others stay; health is recorded; a re-run writes nothing', { timeout: 240_000 }, async () => {
    const ns = 'team-b';
    await namespace(ns);
    for (const name of ['pipes', 'pipes-dev']) await kube.create({ ...DSPA, metadata: { name, namespace: ns }, spec: { dspVersion: 'v2' } });
    apiPod = await pod(ns, 'pipes', 'ds-pipeline-pipes', '7d9c6b8f4-x2kqp', true);
    await pod(ns, 'pipes', 'mariadb-pipes', '5f7b9c4d6-9wq8z', true);
    // The other DSPA's API server is not ready and it has no database pod. Its pod name starts with
    // ds-pipeline-pipes too: it must not count against "pipes".
    devApiPod = await pod(ns, 'pipes-dev', 'ds-pipeline-pipes-dev', '6b5d8c7f9-k3j2h', false);

    const role = (name: string, rules: unknown[], labels?: Record<string, string>, namespaceName = ns) =>
      kube.create({ ...ROLE, metadata: { name, namespace: namespaceName, ...(labels ? { labels } : {}) }, rules });
    const routeGet = (resourceNames?: string[]) => ({ apiGroups: ['route.openshift.io'], resources: ['routes'], verbs: ['get'], ...(resourceNames ? { resourceNames } : {}) });
    const dspaRead = { apiGroups: ['datasciencepipelinesapplications.opendatahub.io'], resources: ['datasciencepipelinesapplications'], verbs: ['get', 'list'] };
    await role('data-scientists', [routeGet(['ds-pipeline-pipes']), dspaRead]);
    await role('all-pipelines', [routeGet()]);
    await role('route-admin', [{ apiGroups: ['route.openshift.io'], resources: ['routes'], resourceNames: ['my-app'], verbs: ['get', 'update'] }]);
    await role('already-3x', [routeGet(['ds-pipeline-pipes']), API_RULE(['pipes'])]);
    // Access is carried over, never widened: a get-only route rule becomes a get-only api rule.
    // The operator's own roles, by name and by label.
    await role('ds-pipeline-user-access-pipes', [routeGet()], { app: 'ds-pipeline-pipes', component: 'data-science-pipelines' });
    await role('pipeline-runner-pipes', [routeGet()]);
    await role('pipes-ui-access', [routeGet(['ds-pipeline-ui-pipes', 'ds-pipeline-pipes'])], { component: 'data-science-pipelines' });
    // A user namespace whose name contains "default": the script's unanchored pattern skips it.
    await namespace('team-default');
    await kube.create({ ...DSPA, metadata: { name: 'shared', namespace: 'team-default' }, spec: { dspVersion: 'v2' } });
    await role('viewers', [routeGet(['ds-pipeline-shared'])], undefined, 'team-default');
    const untouched = ['route-admin', 'already-3x', 'ds-pipeline-user-access-pipes', 'pipeline-runner-pipes', 'pipes-ui-access'];
    const before = Object.fromEntries(await Promise.all(untouched.map(async (n) => [n, (await get(ROLE, ns, n))!.metadata.resourceVersion])));

    const first = await run('before/ai-pipelines.yaml', dir);
    expect(first.code, why(first)).toBe(0);
    expect(await rulesOf(ns, 'data-scientists')).toEqual([routeGet(['ds-pipeline-pipes']), dspaRead, API_RULE(['pipes'], ['get'])]);
    expect(await rulesOf(ns, 'all-pipelines')).toEqual([routeGet(), API_RULE(['pipes', 'pipes-dev'], ['get'])]);
    expect(await rulesOf('team-default', 'viewers')).toEqual([routeGet(['ds-pipeline-shared']), API_RULE(['shared'], ['get'])]);
    for (const n of untouched) expect((await get(ROLE, ns, n))!.metadata.resourceVersion, n).toBe(before[n]);
    expect(finding(first, 'aipipelines-custom-roles')?.message).toContain('team-b/data-scientists (pipes: get)');
    expect(finding(first, 'aipipelines-custom-roles-unmatched')?.message).toContain('team-b/route-admin');
    expect(finding(first, 'aipipelines-custom-roles-unmatched')?.severity).toBe('warning');
    // The roles as they were, next to the other backups.
    const roleBackups = join(dir, 'rhoai-upgrade-backup/ai-pipelines/roles');
    expect(readdirSync(roleBackups).sort()).toEqual(['team-b-all-pipelines', 'team-b-data-scientists', 'team-default-viewers']);
    expect(parseYaml(readFileSync(join(roleBackups, 'team-b-data-scientists/role-team-b-data-scientists.yaml'), 'utf8')).rules).toHaveLength(2);

    // Health: by the pods' app label, so pipes-dev's unready API server does not count against pipes.
    const annotation = async (n: string, namespaceName = ns) => (await get(DSPA, namespaceName, n))!.metadata.annotations?.[RECORD];
    expect(await annotation('pipes')).toBe('ds-pipeline-pipes=healthy,mariadb-pipes=healthy');
    expect(await annotation('pipes-dev')).toBe('ds-pipeline-pipes-dev=unhealthy,mariadb-pipes-dev=missing');
    expect(await annotation('shared', 'team-default')).toBe('ds-pipeline-shared=missing,mariadb-shared=missing');
    const warning = finding(first, 'aipipelines-pods-before');
    expect(warning?.severity).toBe('warning');
    expect(warning?.message).toContain(`team-b/ds-pipeline-pipes-dev (${devApiPod}: Pending, Ready False)`);
    expect(warning?.message).toContain('team-b/mariadb-pipes-dev (no pods)');
    expect(warning?.message).not.toContain('team-b/ds-pipeline-pipes (');
    const saved = JSON.parse(readFileSync(join(dir, 'rhoai-upgrade-backup/ai-pipelines/pipeline-server-pods-before-upgrade.json'), 'utf8')) as { dspa: string; groups: { prefix: string; state: string }[] }[];
    expect(saved.find((s) => s.dspa === 'pipes')?.groups).toEqual([
      expect.objectContaining({ prefix: 'ds-pipeline-pipes', state: 'healthy' }),
      expect.objectContaining({ prefix: 'mariadb-pipes', state: 'healthy' }),
    ]);

    const again = await run('before/ai-pipelines.yaml', dir);
    expect(again.code, why(again)).toBe(0);
    // Only the DSPA backup changes (it now holds the annotations); the cluster is not written.
    expect(changedSteps(again)).toEqual(['before/ai-pipelines/backup']);
    expect(again.summary?.apiCalls?.writes).toBe(0);
  });

  it('after the upgrade: a regression is reported after the wait, and the record stays', { timeout: 180_000 }, async () => {
    await setHealth('team-b', apiPod, false);
    const r = await run('after/ai-pipelines.yaml', dir, ['--var', 'pipelinePodsTimeout=3s']);
    expect(r.code, why(r)).toBe(3);
    const regressed = finding(r, 'aipipelines-pods-regressed');
    expect(regressed?.severity).toBe('critical');
    expect(regressed?.message).toContain(`team-b/ds-pipeline-pipes (${apiPod}: Pending, Ready False)`);
    expect(regressed?.message).not.toContain('mariadb-pipes');
    expect(finding(r, 'aipipelines-pods-unhealthy')?.message).toContain('team-b/mariadb-pipes-dev (no pods)');
    expect((await get(DSPA, 'team-b', 'pipes'))!.metadata.annotations?.[RECORD]).toBeDefined();
  });

  it('after the upgrade: pods that come back within the wait pass, and the record goes; a re-run writes nothing', { timeout: 180_000 }, async () => {
    // The upgrade rolls the API server: it is back 3 s into the wait. pipes-dev's, unhealthy before, is healthy now.
    await setHealth('team-b', devApiPod, true);
    const recover = setTimeout(() => void setHealth('team-b', apiPod, true), 3_000);
    const r = await run('after/ai-pipelines.yaml', dir, ['--var', 'pipelinePodsTimeout=2m']);
    clearTimeout(recover);
    expect(r.code, why(r)).toBe(0);
    expect(r.findings.filter((f) => f.severity === 'critical')).toEqual([]);
    expect(finding(r, 'aipipelines-pods-improved')?.message).toContain('team-b/ds-pipeline-pipes-dev (Running and Ready)');
    expect(finding(r, 'aipipelines-pods-unhealthy')?.message).toContain('team-b/mariadb-pipes-dev (no pods)');
    for (const d of (await kube.list(DSPA, { allNamespaces: true })).items) expect(d.metadata.annotations?.[RECORD], d.metadata.name).toBeUndefined();
    const compared = JSON.parse(readFileSync(join(dir, 'rhoai-upgrade-backup/ai-pipelines/pipeline-server-pods-after-upgrade.json'), 'utf8')) as { prefix: string; verdict: string }[][];
    expect(compared.flat().find((g) => g.prefix === 'ds-pipeline-pipes')?.verdict).toBe('ok');

    const again = await run('after/ai-pipelines.yaml', dir);
    expect(again.code, why(again)).toBe(0);
    expect(again.summary?.apiCalls?.writes).toBe(0);
  });
});

describe('Dashboard: the old URL redirected to the 3.3 gateway', () => {
  const apps = 'redhat-ods-applications';
  const ROUTE = { apiVersion: 'route.openshift.io/v1', kind: 'Route' } as const;
  const CONSOLE_LINK = { apiVersion: 'console.openshift.io/v1', kind: 'ConsoleLink', name: 'rhodslink' } as const;
  const manifestPath = (dir: string) => join(dir, 'rhoai-upgrade-backup/dashboard/dashboard-redirect.yaml');
  const manifests = (dir: string) => (parseYaml(readFileSync(manifestPath(dir), 'utf8')) as { kind: string; items: KubeObject[] }).items;
  const redirectTo = (objects: KubeObject[]) => (objects.find((o) => o.kind === 'ConfigMap')!.data as Record<string, string>)['redirect.conf'];

  beforeAll(async () => {
    // names.yaml finds the applications namespace in the DSCI.
    for (const n of [apps, 'openshift-ingress']) await namespace(n);
    await kube.create({ apiVersion: 'dscinitialization.opendatahub.io/v1', kind: 'DSCInitialization', metadata: { name: 'default-dsci' }, spec: { applicationsNamespace: apps } });
    await kube.create({ apiVersion: 'datasciencecluster.opendatahub.io/v1', kind: 'DataScienceCluster', metadata: { name: 'default-dsc' }, spec: { components: {} } });
    await kube.create({ apiVersion: 'opendatahub.io/v1alpha', kind: 'OdhDashboardConfig', metadata: { name: 'odh-dashboard-config', namespace: apps, labels: { app: 'rhods-dashboard' } }, spec: {} });
  });

  it('says so when the new URL is nowhere to be found, and writes nothing', { timeout: 120_000 }, async () => {
    const dir = scratchDir('runbook-dashboard');
    // The 2.25 ConsoleLink still points at the old Route: not a target.
    await kube.create({ ...CONSOLE_LINK, metadata: { name: 'rhodslink' }, spec: { text: 'Red Hat OpenShift AI', href: `https://rhods-dashboard-${apps}.apps.example.com`, location: 'ApplicationMenu' } });
    const r = await run('after/dashboard.yaml', dir);
    expect(r.code, why(r)).toBe(0);
    expect(finding(r, 'dashboard-redirect-url')?.severity).toBe('warning');
    expect(existsSync(manifestPath(dir))).toBe(false);
  });

  it('generates the redirect to the data-science-gateway Gateway, or its Route, in openshift-ingress, and applies nothing', { timeout: 120_000 }, async () => {
    const dir = scratchDir('runbook-dashboard');
    // The Gateway alone (ingressMode LoadBalancer has no Route): its listener's hostname.
    await kube.create({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'data-science-gateway', namespace: 'openshift-ingress' },
      spec: { gatewayClassName: 'data-science-gateway-class', listeners: [{ name: 'https', port: 443, protocol: 'HTTPS', hostname: 'data-science-gateway.apps.lb.example.com' }] },
    });
    const fromGateway = await run('after/dashboard.yaml', dir);
    expect(fromGateway.code, why(fromGateway)).toBe(0);
    expect(finding(fromGateway, 'dashboard-redirect-generated')?.message).toContain('Gateway openshift-ingress/data-science-gateway');
    expect(redirectTo(manifests(dir))).toContain('return 301 https://data-science-gateway.apps.lb.example.com$request_uri;');
    // The Route, when there is one, is what the Gateway is reached by.
    await kube.create({ ...ROUTE, metadata: { name: 'data-science-gateway', namespace: 'openshift-ingress' }, spec: { host: 'data-science-gateway.apps.example.com', to: { kind: 'Service', name: 'data-science-gateway-data-science-gateway-class' } } });
    const r = await run('after/dashboard.yaml', dir);
    expect(r.code, why(r)).toBe(0);
    const objects = manifests(dir);
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      `ConfigMap/${apps}/nginx-redirect-config`,
      `Deployment/${apps}/nginx-redirect`,
      `Service/${apps}/nginx-redirect`,
      `Route/${apps}/rhods-dashboard`,
    ]);
    // 301 to the new URL with the path and query the client asked for.
    expect(redirectTo(objects)).toBe('location / {\n    return 301 https://data-science-gateway.apps.example.com$request_uri;\n}\n');
    expect(objects.find((o) => o.kind === 'Route')!.spec).toEqual({
      port: { targetPort: 'http' },
      tls: { termination: 'edge', insecureEdgeTerminationPolicy: 'Redirect' },
      to: { kind: 'Service', name: 'nginx-redirect', weight: 100 },
      wildcardPolicy: 'None',
    });
    expect(finding(r, 'dashboard-redirect-generated')?.message).toContain('Route openshift-ingress/data-science-gateway');
    expect(await get(ROUTE, apps, 'rhods-dashboard')).toBeNull();
    expect(await get({ apiVersion: 'apps/v1', kind: 'Deployment' }, apps, 'nginx-redirect')).toBeNull();
  });

  it('prefers the ConsoleLink once 3.3 points it at the gateway, and a given URL over both', { timeout: 120_000 }, async () => {
    await kube.patch(CONSOLE_LINK, 'merge', { spec: { href: 'https://data-science-gateway.apps.example.com/' } });
    const dir = scratchDir('runbook-dashboard');
    const r = await run('after/dashboard.yaml', dir);
    expect(r.code, why(r)).toBe(0);
    expect(finding(r, 'dashboard-redirect-generated')?.message).toContain('from the ConsoleLink');
    expect(redirectTo(manifests(dir))).toContain('return 301 https://data-science-gateway.apps.example.com$request_uri;');

    const given = await run('after/dashboard.yaml', dir, ['--var', 'dashboardRedirectUrl=https://ai.example.com/', '--var', 'dashboardRedirectHost=ai-old.example.com']);
    expect(given.code, why(given)).toBe(0);
    const objects = manifests(dir);
    expect(redirectTo(objects)).toContain('return 301 https://ai.example.com$request_uri;');
    expect((objects.find((o) => o.kind === 'Route')!.spec as { host?: string }).host).toBe('ai-old.example.com');
  });

  it('applies when asked, never over a Route that is not the redirect; a re-run writes nothing', { timeout: 180_000 }, async () => {
    const dir = scratchDir('runbook-dashboard');
    // The 2.x Route, not removed yet.
    await kube.create({ ...ROUTE, metadata: { name: 'rhods-dashboard', namespace: apps }, spec: { host: `rhods-dashboard-${apps}.apps.example.com`, to: { kind: 'Service', name: 'rhods-dashboard' } } });
    const early = await run('after/dashboard.yaml', dir, ['--var', 'dashboardRedirect=apply']);
    expect(early.code, why(early)).toBe(0);
    expect(finding(early, 'dashboard-redirect-route-taken')?.severity).toBe('warning');
    expect(((await get(ROUTE, apps, 'rhods-dashboard'))!.spec as { to: { name: string } }).to.name).toBe('rhods-dashboard');
    expect(await get({ apiVersion: 'v1', kind: 'ConfigMap' }, apps, 'nginx-redirect-config')).toBeNull();

    await kube.delete({ ...ROUTE, namespace: apps, name: 'rhods-dashboard' });
    const applied = await run('after/dashboard.yaml', dir, ['--var', 'dashboardRedirect=apply']);
    expect(applied.code, why(applied)).toBe(0);
    const route = (await get(ROUTE, apps, 'rhods-dashboard'))!;
    expect(route.metadata.labels?.app).toBe('nginx-redirect');
    expect((route.spec as { to: { name: string } }).to.name).toBe('nginx-redirect');
    const config = (await get({ apiVersion: 'v1', kind: 'ConfigMap' }, apps, 'nginx-redirect-config'))!;
    expect((config.data as Record<string, string>)['redirect.conf']).toContain('return 301 https://data-science-gateway.apps.example.com$request_uri;');
    const deployment = (await get({ apiVersion: 'apps/v1', kind: 'Deployment' }, apps, 'nginx-redirect'))!;
    expect((deployment.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image).toBe('registry.redhat.io/ubi9/nginx-126:latest');
    expect(await get({ apiVersion: 'v1', kind: 'Service' }, apps, 'nginx-redirect')).not.toBeNull();

    const again = await run('after/dashboard.yaml', dir, ['--var', 'dashboardRedirect=apply']);
    expect(again.code, why(again)).toBe(0);
    expect(again.summary?.apiCalls?.writes).toBe(0);
  });
});

describe('Training Operator smoke test', () => {
  const ns = 'test-kfto-upgrade';
  const PYTORCHJOB = { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob' } as const;
  const smoke = (dir: string, extra: string[] = []) =>
    run('verify/verify.yaml', dir, ['--only', 'verify/names', '--only', 'verify/trainer-smoke', '--var', 'trainerSmokeTest=true', ...extra]);
  const setTrainingOperator = (state: string) =>
    kube.patch({ apiVersion: 'datasciencecluster.opendatahub.io/v1', kind: 'DataScienceCluster', name: 'default-dsc' }, 'merge', { spec: { components: { trainingoperator: { managementState: state } } } });
  const gone = async () => {
    const n = await get({ apiVersion: 'v1', kind: 'Namespace' }, undefined, ns);
    return n === null;
  };

  beforeAll(async () => {
    // The dashboard tests created the DSCI and the DSC; this block may run on its own.
    if (!(await get({ apiVersion: 'dscinitialization.opendatahub.io/v1', kind: 'DSCInitialization' }, undefined, 'default-dsci'))) {
      await kube.create({ apiVersion: 'dscinitialization.opendatahub.io/v1', kind: 'DSCInitialization', metadata: { name: 'default-dsci' }, spec: { applicationsNamespace: 'redhat-ods-applications' } });
      await kube.create({ apiVersion: 'datasciencecluster.opendatahub.io/v1', kind: 'DataScienceCluster', metadata: { name: 'default-dsc' }, spec: { components: {} } });
    }
  });

  it('does nothing when the Training Operator is not enabled', { timeout: 120_000 }, async () => {
    await setTrainingOperator('Removed');
    const r = await smoke(scratchDir('runbook-kfto'));
    expect(r.code, why(r)).toBe(0);
    expect(finding(r, 'verify-trainer-smoke-skipped')?.severity).toBe('info');
    expect(r.summary?.apiCalls?.writes).toBe(0);
  });

  it('without an operator the job is accepted but never scheduled: a critical finding, and nothing left behind', { timeout: 180_000 }, async () => {
    await setTrainingOperator('Managed');
    const r = await smoke(scratchDir('runbook-kfto'), ['--var', 'trainerSmokeTestTimeout=3s']);
    expect(r.code, why(r)).toBe(3);
    // The API server took the PyTorchJob (the CRD of the Training Operator is there) ...
    expect(changedSteps(r)).toEqual(expect.arrayContaining(['verify/trainer-smoke/namespace', 'verify/trainer-smoke/job', 'verify/trainer-smoke/delete-job', 'verify/trainer-smoke/delete-namespace']));
    // ... but nothing made its pod.
    const failed = finding(r, 'verify-trainer-smoke');
    expect(failed?.severity).toBe('critical');
    expect(failed?.message).toContain('no pod pytorch-hello-world-master-0 was created');
    expect(await gone()).toBe(true);
  });

  it('passes when the operator creates and schedules the master pod, and cleans up', { timeout: 180_000 }, async () => {
    // This test plays the Training Operator: for the job, the master pod, scheduled.
    let stop = false;
    const operator = (async () => {
      while (!stop) {
        const job = await kube.get({ ...PYTORCHJOB, namespace: ns, name: 'pytorch-hello-world' }).catch(() => null);
        if (job && !(await kube.get({ ...POD, namespace: ns, name: 'pytorch-hello-world-master-0' }).catch(() => null))) {
          await kube.create({ ...POD, metadata: { name: 'pytorch-hello-world-master-0', namespace: ns, labels: { 'training.kubeflow.org/job-name': 'pytorch-hello-world' } }, spec: { containers: [{ name: 'pytorch', image: 'example.com/pytorch:1' }] } }).catch(() => undefined);
          await kube.patch({ ...POD, namespace: ns, name: 'pytorch-hello-world-master-0' }, 'merge', { status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] } }, { subresource: 'status' }).catch(() => undefined);
        }
        await new Promise((res) => setTimeout(res, 200));
      }
    })();
    try {
      const r = await smoke(scratchDir('runbook-kfto'), ['--var', 'trainerSmokeTestTimeout=2m']);
      expect(r.code, why(r)).toBe(0);
      expect(r.findings.filter((f) => f.severity === 'critical')).toEqual([]);
    } finally {
      stop = true;
      await operator;
    }
    expect(await gone()).toBe(true);
  });

  it('leaves a namespace of that name it did not create alone', { timeout: 120_000 }, async () => {
    await namespace(ns);
    const r = await smoke(scratchDir('runbook-kfto'));
    expect(r.code, why(r)).toBe(3);
    expect(finding(r, 'verify-trainer-smoke-namespace')?.severity).toBe('critical');
    expect(await gone()).toBe(false);
    expect(await kube.get({ ...PYTORCHJOB, namespace: ns, name: 'pytorch-hello-world' })).toBeNull();
  });
});
