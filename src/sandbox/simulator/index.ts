// The simulator: small controllers that watch the real API server and write status the way OLM,
// the RHOAI operator and the workload controllers do. Load a scenario first, then start it (so it
// finds the installed operators as installed); stop it before the control plane.
import { setMaxListeners } from 'node:events';
import type { KubeClient } from '../../kube/client.js';
import { OlmController } from './olm.js';
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
  stop(): Promise<void>;
}

export async function startSimulator(kube: KubeClient, options: SimOptions): Promise<Simulator> {
  const controller = new AbortController();
  // Every informer's watch listens on this one signal.
  setMaxListeners(0, controller.signal);
  const rt = new SimRuntime(kube, options, controller.signal);
  let rhoai: RhoaiOperator | undefined;
  let workloads: WorkloadControllers | undefined;
  const olm = new OlmController(
    rt,
    () => {
      rhoai?.poke();
      workloads?.pokeAll();
    },
    async (csv, pkg, version) => {
      if (pkg === 'rhods-operator') await rhoai?.installBundle(csv, version);
    },
  );
  rhoai = new RhoaiOperator(rt, olm, () => workloads?.pokeAll());
  const r = rhoai;
  workloads = new WorkloadControllers(rt, {
    rhoaiVersion: () => r.version(),
    dscComponents: () => r.dscComponents(),
    installed: () => r.installed(),
  });
  const informers = [...olm.informers(), ...rhoai.informers(), ...workloads.all()];
  // Resync, as controllers do: a lost watch event or an abandoned reconcile is repaired within
  // seconds rather than never.
  const w0 = workloads;
  const resync = setInterval(() => {
    rhoai?.poke();
    w0.pokeAll();
  }, RESYNC_MS);
  resync.unref();
  const running = informers.map((i) => i.run());
  await Promise.all(informers.map((i) => i.ready));
  rhoai.poke();
  const w = workloads;
  return {
    async settled() {
      // Queues feed each other; settled means all idle twice in a row.
      for (let quiet = 0; quiet < 2; ) {
        await Promise.all([olm.idle(), r.idle(), w.idle()]);
        await new Promise((res) => setTimeout(res, 50));
        const again = await Promise.race([Promise.all([olm.idle(), r.idle(), w.idle()]).then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), 10))]);
        quiet = again ? quiet + 1 : 0;
      }
    },
    rhoaiVersion: () => r.version(),
    async stop() {
      clearInterval(resync);
      controller.abort();
      olm.stop();
      r.stop();
      w.stop();
      await Promise.allSettled(running);
    },
  };
}
