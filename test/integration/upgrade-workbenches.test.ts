// The workbench parts of the 2.25 → 3.3 runbook on the `full` sandbox, through the built CLI, with
// the 3.3 notebook webhooks the sandbox serves as the real ones (the notebook controller's
// kube-rbac-proxy injection, the operator's Kueue label validation):
// - the workbench of a Kueue-managed namespace gets its queue before the operator upgrade, and the
//   3.3 webhook then refuses any write of a workbench there without one;
// - every workbench ends on kube-rbac-proxy, NOTEBOOK_ARGS cleaned in whichever container has it
//   (quotes, blanks and line layout kept), one patched by hand before the upgrade included;
// - what oauth-proxy left (Route, Service, Secrets, OAuthClient) goes only once a workbench passed
//   the check that the new proxy is in; one that fails keeps it, is reported, and is cleaned up by a
//   later run once it passes;
// - a second run writes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { KUEUE_LABEL_MISSING, KUEUE_VALIDATOR, MUTATING_CONFIG } from '../../src/sandbox/simulator/notebooks-3x.js';
import { changedSteps, failureOf, runCli, type CliRun } from './support/cli-run.js';
import { eventually } from './support/cluster.js';
import { scratchDir } from './support/processes.js';
import { DSC_V2, startTestSandbox } from './support/sandbox.js';

const NOTEBOOK = { apiVersion: 'kubeflow.org/v1', kind: 'Notebook' } as const;
const QUEUE_LABEL = 'kueue.x-k8s.io/queue-name';
const UPGRADE = 'runbooks/upgrade-2.25-to-3.3.yaml';
const AFTER = 'runbooks/rhoai-2.25-to-3.3/after/workbenches.yaml';

type Container = { name: string; env?: { name: string; value?: string }[] };
const containersOf = (nb: KubeObject): Container[] => (nb.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers;
const volumesOf = (nb: KubeObject): string[] => ((nb.spec as { template: { spec: { volumes?: { name: string }[] } } }).template.spec.volumes ?? []).map((v) => v.name);
const argsOf = (nb: KubeObject, container: string): string | undefined => containersOf(nb).find((c) => c.name === container)?.env?.find((e) => e.name === 'NOTEBOOK_ARGS')?.value;

/** The six objects a 2.25 workbench with oauth-proxy has, and whether each is still there. */
async function leftovers(kube: KubeClient, ns: string, name: string): Promise<Record<string, boolean>> {
  const refs = {
    route: { apiVersion: 'route.openshift.io/v1', kind: 'Route', namespace: ns, name },
    service: { apiVersion: 'v1', kind: 'Service', namespace: ns, name: `${name}-tls` },
    oauthClientSecret: { apiVersion: 'v1', kind: 'Secret', namespace: ns, name: `${name}-oauth-client` },
    oauthConfigSecret: { apiVersion: 'v1', kind: 'Secret', namespace: ns, name: `${name}-oauth-config` },
    tlsSecret: { apiVersion: 'v1', kind: 'Secret', namespace: ns, name: `${name}-tls` },
    oauthClient: { apiVersion: 'oauth.openshift.io/v1', kind: 'OAuthClient', name: `${name}-${ns}-oauth-client` },
  };
  return Object.fromEntries(await Promise.all(Object.entries(refs).map(async ([k, ref]) => [k, (await kube.get(ref)) !== null])));
}
const ALL_THERE = { route: true, service: true, oauthClientSecret: true, oauthConfigSecret: true, tlsSecret: true, oauthClient: true };
const ALL_GONE = { route: false, service: false, oauthClientSecret: false, oauthConfigSecret: false, tlsSecret: false, oauthClient: false };

/** The node:end events of steps whose id starts with `prefix`, in order. */
const ended = (run: CliRun, prefix: string) =>
  run.events.filter((e) => e.type === 'node:end' && (e.node as { id: string }).id.startsWith(prefix)).map((e) => ({ id: (e.node as { id: string }).id, status: (e.result as { status: string }).status }));

describe('workbenches through the upgrade (full scenario)', () => {
  let sandbox: Sandbox;
  let kube: KubeClient;
  let stateDir: string;
  // The whole runbook with the sandbox's vars (restartWorkbenches among them); a section file alone
  // with its own defaults.
  const cli = (file: string, extra: string[] = []) =>
    runCli([
      'run', file,
      '--kubeconfig', sandbox.controlPlane.kubeconfigPath,
      ...(file === UPGRADE ? ['--vars-file', 'runbooks/upgrade-2.25-to-3.3.sandbox-vars.yaml', '--var', `backupDir=${stateDir}/backup`] : []),
      '--state-dir', stateDir, '--yes', '-o', 'json', ...extra,
    ]);
  const get = async (ns: string, name: string): Promise<KubeObject> => (await kube.get({ ...NOTEBOOK, namespace: ns, name }))!;
  /** Whether the notebook webhook puts the proxy into a workbench switched to inject-auth (a server-side dry run). */
  const injectsProxy = async (ns: string, name: string): Promise<boolean> => {
    const probe = await kube.withDryRun('server').patch({ ...NOTEBOOK, namespace: ns, name }, 'merge', { metadata: { annotations: { 'notebooks.opendatahub.io/inject-auth': 'true' } } });
    return containersOf(probe).some((c) => c.name === 'kube-rbac-proxy');
  };

  beforeAll(async () => {
    sandbox = await startTestSandbox({ scenario: 'full', speed: 0 });
    kube = sandbox.kube;
  }, 600_000);
  afterAll(() => sandbox?.stop());

  it('assess names the workbench of a Kueue-managed namespace without a queue', { timeout: 300_000 }, async () => {
    stateDir = scratchDir('runbook-upgrade-workbenches');
    const run = await cli(UPGRADE, ['--only', 'assess/workbenches']);
    expect(run.code, failureOf(run)).toBe(0);
    const finding = run.findings.find((f) => f.check === 'workbench-kueue-queue');
    expect(finding?.severity).toBe('warning');
    expect(finding?.objects).toEqual(['Notebook team-kueue/dana-wb']);
  });

  it('before the operator upgrade, the workbench of the Kueue-managed namespace gets its queue, and only it', { timeout: 300_000 }, async () => {
    const run = await cli(UPGRADE, ['--only', 'before/workbenches']);
    expect(run.code, failureOf(run)).toBe(0);
    expect(changedSteps(run)).toContain('before/workbenches/queue-label');
    // Still 2.25: the label went on before the operator upgrade.
    expect(sandbox.simulator.rhoaiVersion()).toBe('2.25.4');
    const dana = await get('team-kueue', 'dana-wb');
    // The DSC's defaultLocalQueueName, the LocalQueue the 3.3 operator makes in the namespace.
    expect(dana.metadata.labels?.[QUEUE_LABEL]).toBe('default');
    expect(dana.metadata.annotations).toMatchObject({ 'runbook.dev/was-running': 'true' });
    expect(dana.metadata.annotations?.['kubeflow-resource-stopped']).toBeDefined();
    for (const name of ['alice-wb', 'bob-custom', 'carol-wb', 'erin-wb']) expect((await get('data-science', name)).metadata.labels?.[QUEUE_LABEL], name).toBeUndefined();
  });

  it('the whole upgrade migrates every workbench, NOTEBOOK_ARGS cleaned wherever they are, and cleans up after oauth-proxy', { timeout: 900_000 }, async () => {
    const before = await get('team-kueue', 'dana-wb');
    const run = await cli(UPGRADE);
    expect(run.code, failureOf(run)).toBe(0);
    expect(run.findings.filter((f) => f.severity === 'prohibited' || f.severity === 'critical')).toEqual([]);
    expect(run.findings.map((f) => f.check)).not.toContain('workbench-auth-not-injected');
    expect(run.findings.map((f) => f.check)).not.toContain('workbench-queue-missing');
    expect(sandbox.simulator.rhoaiVersion()).toBe('3.3.2');

    const dana = await get('team-kueue', 'dana-wb');
    // kube-rbac-proxy put in by the 3.3 notebook webhook; oauth-proxy and its pieces gone.
    expect(containersOf(dana).map((c) => c.name)).toEqual(['jupyter', 'kube-rbac-proxy']);
    expect(volumesOf(dana)).toEqual(['dana-wb', 'kube-rbac-proxy-config', 'kube-rbac-proxy-tls-certificates']);
    expect(dana.metadata.finalizers ?? []).toEqual([]);
    expect(dana.metadata.annotations?.['notebooks.opendatahub.io/inject-auth']).toBe('true');
    expect(dana.metadata.annotations).not.toHaveProperty('notebooks.opendatahub.io/inject-oauth');
    expect(dana.metadata.annotations).not.toHaveProperty('notebooks.opendatahub.io/oauth-logout-url');
    expect(dana.metadata.labels?.[QUEUE_LABEL]).toBe('default');
    // Restarted (restartWorkbenches), which the Kueue webhook accepts now that it has its queue.
    expect(dana.metadata.annotations).not.toHaveProperty('kubeflow-resource-stopped');
    expect(dana.metadata.annotations).not.toHaveProperty('runbook.dev/was-running');
    // NOTEBOOK_ARGS of the jupyter container: only the quoted tornado settings (blanks inside) went;
    // the argument after them on the same line stays, and every other byte.
    expect(argsOf(before, 'jupyter')).toContain(`--ServerApp.tornado_settings='{"user": "dana", `);
    expect(argsOf(dana, 'jupyter')).toBe(
      "--ServerApp.port=8888\n--ServerApp.token='' --ServerApp.password=''\n--ServerApp.base_url=/notebook/team-kueue/dana-wb --ServerApp.quit_button=False",
    );
    // The dashboard layout (one argument per line) of alice-wb keeps its other lines as they were.
    expect(argsOf(await get('data-science', 'alice-wb'), 'alice-wb')).toBe(
      "--ServerApp.port=8888\n                  --ServerApp.token=''\n                  --ServerApp.password=''\n                  --ServerApp.base_url=/notebook/data-science/alice-wb\n                  --ServerApp.quit_button=False",
    );

    // The workbench patched by hand under 2.25 got its proxy from the runbook's write while stopped.
    const erin = await get('data-science', 'erin-wb');
    expect(containersOf(erin).map((c) => c.name)).toEqual(['erin-wb', 'kube-rbac-proxy']);
    expect(erin.metadata.annotations?.['kubeflow-resource-stopped']).toBe('2026-01-12T17:30:00Z');

    // Each passed the check, and only then lost what oauth-proxy left.
    for (const [ns, name] of [['team-kueue', 'dana-wb'], ['data-science', 'alice-wb'], ['data-science', 'bob-custom'], ['data-science', 'carol-wb'], ['data-science', 'erin-wb']] as const) {
      expect(await leftovers(kube, ns, name), `${ns}/${name}`).toEqual(ALL_GONE);
    }
    const order = ended(run, 'after/workbenches/');
    const checkAt = order.findIndex((e) => e.id === 'after/workbenches/check');
    const firstDelete = order.findIndex((e) => e.id.startsWith('after/workbenches/cleanup/') && e.status === 'changed');
    expect(checkAt).toBeGreaterThanOrEqual(0);
    expect(firstDelete).toBeGreaterThan(checkAt);
  });

  it('under 3.3 the Kueue webhook refuses a workbench of a Kueue-managed namespace without its queue', { timeout: 60_000 }, async () => {
    const ref = { ...NOTEBOOK, namespace: 'team-kueue', name: 'dana-wb' };
    await expect(kube.patch(ref, 'json', [{ op: 'remove', path: `/metadata/labels/${QUEUE_LABEL.replace('/', '~1')}` }])).rejects.toThrow(
      `admission webhook "${KUEUE_VALIDATOR}" denied the request: ${KUEUE_LABEL_MISSING}`,
    );
    await expect(
      kube.create({ ...NOTEBOOK, metadata: { name: 'no-queue', namespace: 'team-kueue' }, spec: { template: { spec: { containers: [{ name: 'no-queue', image: 'quay.io/example/nb:1' }] } } } }),
    ).rejects.toThrow(KUEUE_LABEL_MISSING);
    expect((await get('team-kueue', 'dana-wb')).metadata.labels?.[QUEUE_LABEL]).toBe('default');
  });

  it('a second run writes nothing', { timeout: 600_000 }, async () => {
    const again = await cli(UPGRADE, ['--fresh']);
    expect(again.code, failureOf(again)).toBe(0);
    expect(again.summary?.apiCalls?.writes).toBe(0);
  });

  it('a workbench the notebook webhook does not reach keeps its OAuth objects, is reported, and is cleaned up once it has the proxy', { timeout: 600_000 }, async () => {
    // A 2.x workbench with everything oauth-proxy made for it, in a namespace of its own.
    const ns = 'late-team';
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await kube.create({
      ...NOTEBOOK,
      metadata: {
        name: 'frank-wb',
        namespace: ns,
        annotations: { 'notebooks.opendatahub.io/inject-oauth': 'true', 'kubeflow-resource-stopped': '2026-01-20T08:00:00Z' },
        finalizers: ['notebook-oauth-client-finalizer.opendatahub.io'],
      },
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'frank-wb', image: 'quay.io/example/nb:1', env: [{ name: 'NOTEBOOK_ARGS', value: '--ServerApp.port=8888\n--ServerApp.tornado_settings={"user":"frank"}' }] },
              { name: 'oauth-proxy', image: 'registry.redhat.io/openshift4/ose-oauth-proxy:v4.19' },
            ],
            volumes: [{ name: 'oauth-config', secret: { secretName: 'frank-wb-oauth-config' } }],
          },
        },
      },
    });
    const labels = { 'notebook-name': 'frank-wb' };
    await kube.create({ apiVersion: 'route.openshift.io/v1', kind: 'Route', metadata: { name: 'frank-wb', namespace: ns, labels }, spec: { to: { kind: 'Service', name: 'frank-wb-tls' } } });
    await kube.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'frank-wb-tls', namespace: ns, labels }, spec: { ports: [{ name: 'oauth-proxy', port: 443 }] } });
    for (const s of ['oauth-client', 'oauth-config', 'tls']) await kube.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `frank-wb-${s}`, namespace: ns, labels }, stringData: { k: 'v' } });
    await kube.create({ apiVersion: 'oauth.openshift.io/v1', kind: 'OAuthClient', metadata: { name: `frank-wb-${ns}-oauth-client`, labels: { 'notebook-owner': 'frank-wb' } }, secret: 's', redirectURIs: ['https://frank'], grantMethod: 'auto' });

    // The workbenches component Removed: no notebook controller, so no webhook puts the proxy in.
    await kube.patch(DSC_V2, 'merge', { spec: { components: { workbenches: { managementState: 'Removed' } } } });
    await eventually('the notebook webhook withdrawn', async () => ((await kube.get({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', name: MUTATING_CONFIG })) === null ? true : undefined), { timeoutMs: 30_000, intervalMs: 100 });
    // And no longer called: a dry run of the switch's annotation gets no proxy put in.
    await eventually('the notebook webhook out of effect', () => injectsProxy(ns, 'frank-wb').then((yes) => (yes ? undefined : true)), { timeoutMs: 30_000, intervalMs: 100 });

    const first = await cli(AFTER, ['--fresh']);
    expect(first.code, failureOf(first)).toBe(0);
    let frank = await get(ns, 'frank-wb');
    // Switched (oauth-proxy out, inject-auth in, NOTEBOOK_ARGS cleaned) but without the new proxy.
    expect(containersOf(frank).map((c) => c.name)).toEqual(['frank-wb']);
    expect(frank.metadata.annotations?.['notebooks.opendatahub.io/inject-auth']).toBe('true');
    expect(argsOf(frank, 'frank-wb')).toBe('--ServerApp.port=8888');
    const finding = first.findings.find((f) => f.check === 'workbench-auth-not-injected');
    expect(finding?.severity).toBe('warning');
    expect(finding?.objects).toEqual([`Notebook ${ns}/frank-wb`]);
    expect(await leftovers(kube, ns, 'frank-wb')).toEqual(ALL_THERE);
    expect(changedSteps(first).filter((id) => id.startsWith('after/workbenches/cleanup'))).toEqual([]);

    // The controller back: the next run has the webhook put the proxy in, and only then cleans up.
    await kube.patch(DSC_V2, 'merge', { spec: { components: { workbenches: { managementState: 'Managed' } } } });
    // Registered is not yet in effect: the API server learns of a new webhook configuration a
    // moment later, and a write before that gets no proxy.
    await eventually('the notebook webhook in effect', () => injectsProxy(ns, 'frank-wb').then((yes) => (yes ? true : undefined)), { timeoutMs: 30_000, intervalMs: 100 });
    const second = await cli(AFTER, ['--fresh']);
    expect(second.code, failureOf(second)).toBe(0);
    expect(second.findings.map((f) => f.check)).not.toContain('workbench-auth-not-injected');
    frank = await get(ns, 'frank-wb');
    expect(containersOf(frank).map((c) => c.name)).toEqual(['frank-wb', 'kube-rbac-proxy']);
    expect(await leftovers(kube, ns, 'frank-wb')).toEqual(ALL_GONE);

    const third = await cli(AFTER, ['--fresh']);
    expect(third.code, failureOf(third)).toBe(0);
    expect(third.summary?.apiCalls?.writes).toBe(0);
  });
});
