// The simulator: small controllers that watch the real API server and write status the way OLM,
// the RHOAI operator and the workload controllers do. Load a scenario first, then start it (so it
// finds the installed operators as installed); stop it before the control plane.
import { setMaxListeners } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient } from '../../kube/client.js';
import { SandboxEndpoints } from '../endpoints/server.js';
import { Kubelet } from '../kubelet/index.js';
import { ModelInferenceEndpoints } from './guide-001-inference.js';
import { InferenceGatewayController } from './inference-gateway.js';
import { Notebooks3x } from './notebooks-3x.js';
import { OlmController } from './olm.js';
import { PodControllers } from './pods.js';
import { RagStackControllers } from './rag-stack.js';
import { RhoaiOperator } from './rhoai-operator.js';
import { type SimOptions, SimRuntime } from './runtime.js';
import { WorkloadControllers } from './workloads.js';

export type { Faults, SimOptions } from './runtime.js';

/** How often every object is looked at again, whatever the watches said. */
const RESYNC_MS = 30_000;

export interface Simulator {
  /** Resolves when every controller has nothing queued or scheduled (instant mode: settled). */
  settled(): Promise<void>;
  rhoaiVersion(): string | undefined;
  /** The loopback HTTP(S) server that answers for the workloads' hosts (Routes, models, Gateways). */
  endpoints: SandboxEndpoints;
  /** The Gateway controller: what a Gateway address answers (also served by the endpoint server). */
  inferenceGateway: InferenceGatewayController;
  stop(): Promise<void>;
}

/**
 * `podsDir`: where the simulated kubelet keeps the pods' filesystems (best inside the sandbox's
 * folder); without it a temporary folder, removed on stop.
 */
export async function startSimulator(kube: KubeClient, options: SimOptions & { podsDir?: string }): Promise<Simulator> {
  const ownPodsDir = options.podsDir ? undefined : await mkdtemp(join(tmpdir(), 'runbook-sandbox-pods-'));
  const kubelet = await Kubelet.start(kube, { podsDir: options.podsDir ?? ownPodsDir!, log: (m) => options.log?.(m) });
  const controller = new AbortController();
  // Every informer's watch listens on this one signal.
  setMaxListeners(0, controller.signal);
  const endpoints = new SandboxEndpoints();
  await endpoints.start();
  const rt = new SimRuntime(kube, options, controller.signal, endpoints);
  let rhoai: RhoaiOperator | undefined;
  let workloads: WorkloadControllers | undefined;
  let notebooks: Notebooks3x | undefined;
  const olm = new OlmController(
    rt,
    () => {
      rhoai?.poke();
      workloads?.pokeAll();
      notebooks?.poke();
    },
    async (csv, pkg, version) => {
      if (pkg === 'rhods-operator') await rhoai?.installBundle(csv, version);
    },
  );
  rhoai = new RhoaiOperator(rt, olm, () => {
    workloads?.pokeAll();
    notebooks?.poke();
  });
  const r = rhoai;
  workloads = new WorkloadControllers(rt, {
    rhoaiVersion: () => r.version(),
    dscComponents: () => r.dscComponents(),
    installed: () => r.installed(),
  });
  notebooks = new Notebooks3x(rt, { rhoaiVersion: () => r.version(), dscComponents: () => r.dscComponents() });
  const nb = notebooks;
  const pods = new PodControllers(rt, kubelet, () => r.version());
  const gateways = new InferenceGatewayController(rt);
  const rag = new RagStackControllers(rt, kubelet);
  // The models' v2 inference endpoints (real inference requests of the conversions and the checks).
  new ModelInferenceEndpoints(rt).register(endpoints);
  await rag.admission.start();
  const informers = [...olm.informers(), ...rhoai.informers(), ...workloads.all(), ...pods.all(), ...gateways.all(), ...rag.all()];
  // Resync, as controllers do: a lost watch event or an abandoned reconcile is repaired within
  // seconds rather than never.
  const w0 = workloads;
  const resync = setInterval(() => {
    rhoai?.poke();
    w0.pokeAll();
    pods.pokeAll();
    nb.poke();
    gateways.poke();
    rag.pokeAll();
  }, RESYNC_MS);
  resync.unref();
  const running = informers.map((i) => i.run());
  await Promise.all(informers.map((i) => i.ready));
  rhoai.poke();
  nb.poke();
  const w = workloads;
  return {
    async settled() {
      // Queues feed each other; settled means all idle twice in a row.
      for (let quiet = 0; quiet < 2; ) {
        await Promise.all([olm.idle(), r.idle(), w.idle(), nb.idle(), pods.idle(), kubelet.idle(), gateways.idle(), rag.idle()]);
        await new Promise((res) => setTimeout(res, 50));
        const again = await Promise.race([Promise.all([olm.idle(), r.idle(), w.idle(), nb.idle(), pods.idle(), kubelet.idle(), gateways.idle(), rag.idle()]).then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), 10))]);
        quiet = again ? quiet + 1 : 0;
      }
    },
    rhoaiVersion: () => r.version(),
    endpoints,
    inferenceGateway: gateways,
    async stop() {
      clearInterval(resync);
      controller.abort();
      olm.stop();
      r.stop();
      w.stop();
      nb.stop();
      pods.stop();
      gateways.stop();
      rag.stop();
      await Promise.allSettled(running);
      await kubelet.stop();
      await endpoints.stop();
      if (ownPodsDir) await rm(ownPodsDir, { recursive: true, force: true });
    },
  };
}
