// The services steps may use, made from the CLI flags. The Kubernetes client is created on first
// use, so runbooks without Kubernetes steps never need a kubeconfig.
import { readFile } from 'node:fs/promises';
import { InputError } from '../contract/errors.js';
import type { StepServices } from '../contract/step-type.js';
import { connectRules, type HttpRouting } from '../steps/http-routing.js';
import type { KubeClient } from '../kube/client.js';
import type { ResendListener } from '../kube/transport.js';
import type { LoadedKubeConfig } from '../kube/config.js';
import type { ClusterState } from './cluster-state.js';
import type { KubeFlags, RunFlags } from './global-options.js';

export interface ApiCalls {
  reads: number;
  writes: number;
  watches: number;
}

export interface Services {
  services: Partial<StepServices>;
  /** Which cluster the run talked to, for the report (once the client was made). */
  readonly cluster: { server?: string; context?: string; user?: string } | undefined;
  /** API calls the run made, once the client was made: what "a re-run writes nothing" is measured by. */
  readonly calls: ApiCalls | undefined;
  close(): Promise<void>;
}

export interface ServiceHooks {
  /** Told of every API request the client sends again after a transient failure. */
  onResend?: ResendListener;
}

export async function createServices(flags: KubeFlags & Pick<RunFlags, 'dryRun' | 'connectTo' | 'cacert'>, hooks: ServiceHooks = {}): Promise<Services> {
  let client: KubeClient | undefined;
  let loaded: LoadedKubeConfig | undefined;
  const { KubeClient: Client, loadKubeConfig } = await import('../kube/index.js');
  const services: Partial<StepServices> = { http: await httpRouting(flags) };
  Object.defineProperty(services, 'kube', {
    enumerable: true,
    get(): KubeClient {
      if (!client) {
        loaded = loadKubeConfig({ kubeconfig: flags.kubeconfig, context: flags.context, namespace: flags.namespace });
        client = Client.fromConfig(loaded, { dryRun: flags.dryRun ?? 'none' });
        if (hooks.onResend) client.onResend(hooks.onResend);
      }
      return client;
    },
  });
  return {
    services,
    get cluster() {
      return loaded ? { server: loaded.server, context: loaded.contextName, user: loaded.userName } : undefined;
    },
    get calls() {
      if (!client) return undefined;
      const { reads, writes, watches } = client.stats;
      return { reads, writes, watches };
    },
    async close() {},
  };
}

/** Which cluster the flags point at (its API server URL), read from the kubeconfig without a request. */
export async function clusterServer(flags: KubeFlags): Promise<string> {
  const { loadKubeConfig } = await import('../kube/config.js');
  return loadKubeConfig({ kubeconfig: flags.kubeconfig, context: flags.context, namespace: flags.namespace }).server;
}

/** The http steps' connect-to rules and extra CAs, checked before anything runs. */
async function httpRouting(flags: Pick<RunFlags, 'connectTo' | 'cacert'>): Promise<HttpRouting> {
  const connectTo = connectRules(flags.connectTo ?? []);
  const extraCa: string[] = [];
  for (const file of flags.cacert ?? []) {
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new InputError([{ message: `--cacert ${file}: cannot read it (${err.code ?? err.message})`, hint: 'give a PEM file of CA certificates' }]);
    });
    if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new InputError([{ message: `--cacert ${file}: no PEM certificate in it`, hint: 'give a PEM file of CA certificates' }]);
    extraCa.push(text);
  }
  return { connectTo, extraCa };
}

/** Opens the cluster-held state named by --state kubernetes[:NAMESPACE] and pulls its runs into the local cache. */
export async function openClusterState(flags: KubeFlags, namespace?: string): Promise<ClusterState> {
  const { KubeClient: Client, loadKubeConfig } = await import('../kube/index.js');
  const { ClusterState: State } = await import('./cluster-state.js');
  const loaded = loadKubeConfig({ kubeconfig: flags.kubeconfig, context: flags.context, namespace: flags.namespace });
  const cluster = await State.open(Client.fromConfig(loaded), loaded.server, namespace);
  for (const note of await cluster.pullAll()) process.stderr.write(`note: ${note}\n`);
  return cluster;
}
