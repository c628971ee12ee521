// A sandbox: the real control plane, the sandbox CRDs, a scenario, and the simulator playing the
// operators. Used by `runbook sandbox up` (through the daemon) and `runbook sandbox run`.
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunbookError } from '../contract/errors.js';
import { KubeClient } from '../kube/client.js';
import { loadKubeConfig } from '../kube/config.js';
import { ensureControlPlaneBinaries } from './controlplane/build.js';
import { startControlPlane, type ControlPlane } from './controlplane/launcher.js';
import { installCrds } from './crds/index.js';
import { loadCrds } from './crds/load.js';
import { loadSiteCrds, withSiteCrds } from './crds/site.js';
import { DEFAULT_CATALOG_SOURCE, loadCatalogFile, parseCatalogSpec } from './catalog/load.js';
import { Catalogs, type SiteCatalog } from './simulator/catalog.js';
import { describeUnsettled } from './unsettled.js';
import { type FaultProxy, servingTlsOf, startFaultProxy } from './fault-proxy.js';
import { rulesFor } from './fault-rules.js';
import { applyScenario } from './scenario/apply.js';
import { loadScenario } from './scenario/load.js';
import { startSimulator, type Simulator } from './simulator/index.js';

export interface SandboxOptions {
  /** A shipped scenario name or a path; default `full`. */
  scenario?: string;
  /** 0 = instant (default); 1 = realistic delays. */
  speed?: number;
  log?: (message: string) => void;
  /** Called once the control plane runs, before the CRDs and the scenario are loaded. */
  onControlPlane?: (controlPlane: ControlPlane) => void;
  /** The site's CRDs (a file or folder, as oc get crd -o yaml prints them), replacing the sandbox's of the same name. */
  crds?: string;
  /** The site's rendered catalogs (opm render): `FILE` for every CatalogSource, or `NAME=FILE` for one. */
  catalogs?: readonly string[];
  /** How long the simulated operators may take to settle before the start fails saying why. Default 120 s. */
  settleTimeoutMs?: number;
}

export interface Sandbox {
  controlPlane: ControlPlane;
  /** A direct admin client (no injected faults). */
  kube: KubeClient;
  simulator: Simulator;
  scenario: string;
  /** What users and runbooks connect with: the fault proxy's when the scenario asks for API faults. */
  kubeconfigPath: string;
  viewerKubeconfigPath: string;
  /** Present when the scenario has faults.api. */
  faultProxy?: FaultProxy;
  /**
   * How a client reaches the workloads' HTTP endpoints: the connect-to rule (the CLI's --connect-to)
   * and the CA file to trust (--cacert, or NODE_EXTRA_CA_CERTS).
   */
  http: { connectTo: string; caFile: string };
  stop(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const log = options.log ?? (() => undefined);
  // Read every input first: a bad file is reported before minutes of building and starting.
  const scenario = await loadScenario(options.scenario ?? 'full');
  const crdsPath = options.crds ?? (await exportedCrds(options.scenario));
  const siteCrds = crdsPath ? await loadSiteCrds(crdsPath) : undefined;
  const catalogs = new Catalogs(siteCatalogs(options.catalogs ?? []));
  const { binDir } = await ensureControlPlaneBinaries({ onProgress: log });
  log('starting the control plane (etcd, kube-apiserver, kube-controller-manager)');
  const controlPlane = await startControlPlane({ binDir });
  let simulator: Simulator | undefined;
  let faultProxy: FaultProxy | undefined;
  try {
    log(`control plane ${controlPlane.version} ready at ${controlPlane.server}`);
    options.onControlPlane?.(controlPlane);
    if (siteCrds) {
      const merged = withSiteCrds(await loadCrds(), siteCrds);
      for (const n of merged.notices) log(`note: ${n}`);
      await installCrds(controlPlane.kubeconfigPath, { crds: merged.crds });
    } else {
      await installCrds(controlPlane.kubeconfigPath);
    }
    log('installed the OpenShift, OLM and OpenShift AI CRDs');
    const kube = KubeClient.fromConfig(loadKubeConfig({ kubeconfig: controlPlane.kubeconfigPath }));
    await applyScenario(kube, scenario, log, catalogs);
    for (const note of await catalogNotes(kube, catalogs)) log(`note: ${note}`);
    simulator = await startSimulator(kube, { speed: options.speed ?? 0, faults: scenario.faults ?? {}, catalogs, podsDir: join(controlPlane.dir, 'pods'), log: (m) => log(`simulator: ${m}`) });
    await settleOrSayWhy(simulator, kube, options.settleTimeoutMs ?? 120_000);
    log(`scenario ${scenario.name} loaded: ${scenario.description}`);
    // The simulated operators run in the cluster: only the user's path goes through the proxy.
    const api = scenario.faults?.api;
    if (api) {
      faultProxy = await startFaultProxy({
        kubeconfigPath: controlPlane.kubeconfigPath,
        tls: servingTlsOf(controlPlane.dir),
        kubeconfigOut: join(controlPlane.dir, 'faulty-admin.kubeconfig'),
        seed: api.seed ?? 1,
        rules: rulesFor(api),
      });
      await faultProxy.writeKubeconfig(controlPlane.viewerKubeconfigPath, join(controlPlane.dir, 'faulty-viewer.kubeconfig'));
      log(`API faults through ${faultProxy.server}: ${JSON.stringify(api)}`);
    }
    const sim = simulator;
    const proxy = faultProxy;
    const caFile = join(controlPlane.dir, 'endpoints-ca.pem');
    await writeFile(caFile, sim.endpoints.caPem);
    return {
      controlPlane,
      kube,
      simulator: sim,
      scenario: scenario.name,
      http: { connectTo: sim.endpoints.connectTo, caFile },
      kubeconfigPath: proxy?.kubeconfigPath ?? controlPlane.kubeconfigPath,
      viewerKubeconfigPath: proxy ? join(controlPlane.dir, 'faulty-viewer.kubeconfig') : controlPlane.viewerKubeconfigPath,
      ...(proxy ? { faultProxy: proxy } : {}),
      async stop() {
        await proxy?.stop();
        await sim.stop();
        await controlPlane.stop();
      },
    };
  } catch (err) {
    await faultProxy?.stop();
    await simulator?.stop();
    await controlPlane.stop();
    throw err;
  }
}

/** A scenario folder written by `runbook sandbox export` carries the site's CRDs in crds/. */
async function exportedCrds(scenario: string | undefined): Promise<string | undefined> {
  if (!scenario) return undefined;
  const dir = join(scenario, 'crds');
  return (await stat(dir).catch(() => undefined))?.isDirectory() ? dir : undefined;
}

function siteCatalogs(specs: readonly string[]): SiteCatalog[] {
  return specs.map((spec) => {
    const { source, file } = parseCatalogSpec(spec);
    return { source, catalog: loadCatalogFile(file) };
  });
}

/** Which CatalogSource serves which site catalog, and which packages still come from the built-in data. */
async function catalogNotes(kube: KubeClient, catalogs: Catalogs): Promise<string[]> {
  const subs = (await kube.list({ apiVersion: 'operators.coreos.com/v1alpha1', kind: 'Subscription' }, { allNamespaces: true })).items;
  const notes = new Set<string>();
  for (const sub of subs) {
    const spec = (sub.spec ?? {}) as { name?: string; source?: string; sourceNamespace?: string };
    if (!spec.source || !spec.sourceNamespace || !spec.name) continue;
    const builtIn = spec.sourceNamespace === DEFAULT_CATALOG_SOURCE.namespace && spec.source === DEFAULT_CATALOG_SOURCE.name;
    if (!builtIn && !catalogs.givenFor(spec.source)) {
      notes.add(`no catalog was given for CatalogSource ${spec.sourceNamespace}/${spec.source} (--catalog ${spec.source}=FILE): it serves the built-in catalog`);
    }
    if (catalogs.fallbacks(spec.sourceNamespace, spec.source).includes(spec.name)) {
      notes.add(`the catalog given for CatalogSource ${spec.sourceNamespace}/${spec.source} has no package ${spec.name}: it comes from the built-in catalog`);
    }
  }
  return [...notes];
}

/** The simulated operators settle, or the start fails within the bound, naming what has not. */
async function settleOrSayWhy(simulator: Simulator, kube: KubeClient, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
  try {
    if ((await Promise.race([simulator.settled().then(() => 'settled' as const), late])) === 'settled') return;
  } finally {
    clearTimeout(timer);
  }
  const waiting = await describeUnsettled(kube);
  throw new SandboxUnsettled(
    `the sandbox did not settle within ${Math.round(timeoutMs / 1000)} s; still waiting for:\n${waiting.map((w) => `  - ${w}`).join('\n') || '  - the simulated operators, which keep reconciling (two objects that fight over one thing?)'}`,
    { hint: 'fix what is listed in the scenario (or give the CRDs and catalog it needs with --crds and --catalog), then start again' },
  );
}

/** The simulated cluster never came to rest: the scenario asks for something that cannot settle. */
export class SandboxUnsettled extends RunbookError {}

