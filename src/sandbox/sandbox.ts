// A sandbox: the real control plane, the sandbox CRDs, a scenario, and the simulator playing the
// operators. Used by `runbook sandbox up` (through the daemon) and `runbook sandbox run`.
import { KubeClient } from '../kube/client.js';
import { loadKubeConfig } from '../kube/config.js';
import { ensureControlPlaneBinaries } from './controlplane/build.js';
import { startControlPlane, type ControlPlane } from './controlplane/launcher.js';
import { installCrds } from './crds/index.js';
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
  kube: KubeClient;
  simulator: Simulator;
  scenario: string;
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
    const sim = simulator;
    return {
      controlPlane,
      kube,
      simulator: sim,
      scenario: scenario.name,
      async stop() {
        await sim.stop();
        await controlPlane.stop();
      },
    };
  } catch (err) {
    await simulator?.stop();
    await controlPlane.stop();
    throw err;
  }
}
