// A sandbox: the real control plane, the sandbox CRDs, a scenario, and the simulator playing the
// operators. Used by `runbook sandbox up` (through the daemon) and `runbook sandbox run`.
import { join } from 'node:path';
import { KubeClient } from '../kube/client.js';
import { loadKubeConfig } from '../kube/config.js';
import { ensureControlPlaneBinaries } from './controlplane/build.js';
import { startControlPlane, type ControlPlane } from './controlplane/launcher.js';
import { installCrds } from './crds/index.js';
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
  stop(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const log = options.log ?? (() => undefined);
  // Read the scenario first: a bad file is reported before minutes of building and starting.
  const scenario = await loadScenario(options.scenario ?? 'full');
  const { binDir } = await ensureControlPlaneBinaries({ onProgress: log });
  log('starting the control plane (etcd, kube-apiserver, kube-controller-manager)');
  const controlPlane = await startControlPlane({ binDir });
  let simulator: Simulator | undefined;
  let faultProxy: FaultProxy | undefined;
  try {
    log(`control plane ${controlPlane.version} ready at ${controlPlane.server}`);
    options.onControlPlane?.(controlPlane);
    await installCrds(controlPlane.kubeconfigPath);
    log('installed the OpenShift, OLM and OpenShift AI CRDs');
    const kube = KubeClient.fromConfig(loadKubeConfig({ kubeconfig: controlPlane.kubeconfigPath }));
    await applyScenario(kube, scenario, log);
    simulator = await startSimulator(kube, { speed: options.speed ?? 0, faults: scenario.faults ?? {}, log: (m) => log(`simulator: ${m}`) });
    await simulator.settled();
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
    return {
      controlPlane,
      kube,
      simulator: sim,
      scenario: scenario.name,
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
