// Finds and loads the kubeconfig the way kubectl does, so `runbook` talks to the cluster the
// user's kubectl talks to: --kubeconfig, else $KUBECONFIG (merged, first file wins), else
// ~/.kube/config, else the in-cluster service account.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from './client-node.js';
import { InputError } from '../contract/errors.js';

export interface KubeConfigOptions {
  /** An explicit kubeconfig file (`--kubeconfig`); must exist. */
  kubeconfig?: string;
  /** Context to use instead of the file's current-context (`--context`). */
  context?: string;
  /** Namespace to use instead of the context's (`-n`). */
  namespace?: string;
  /** Defaults to process.env; tests pass their own. */
  env?: Record<string, string | undefined>;
  /** Defaults to os.homedir(). */
  homeDir?: string;
}

export interface LoadedKubeConfig {
  kubeConfig: KubeConfig;
  contextName: string;
  /** Namespace for namespaced objects that do not name one. */
  namespace: string;
  /** The kubeconfig user name of the context, for messages. */
  userName: string | undefined;
  server: string;
  /** Where the configuration came from: file paths, or `in-cluster`. */
  sources: string[];
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

function problem(message: string, hint?: string): InputError {
  return new InputError([{ message, ...(hint ? { hint } : {}) }]);
}

function readKubeConfigFile(file: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    // loadFromFile also resolves relative certificate paths against the file's folder.
    kc.loadFromFile(file);
  } catch (err) {
    throw problem(`cannot read kubeconfig ${file}: ${(err as Error).message}`);
  }
  return kc;
}

/** Merge like kubectl: the first file that defines a name wins, and the first current-context wins. */
function mergeFirstWins(files: string[]): KubeConfig {
  const merged = new KubeConfig();
  merged.clusters = [];
  merged.users = [];
  merged.contexts = [];
  merged.currentContext = '';
  for (const file of files) {
    const kc = readKubeConfigFile(file);
    for (const c of kc.clusters) if (!merged.clusters.some((x) => x.name === c.name)) merged.clusters.push(c);
    for (const u of kc.users) if (!merged.users.some((x) => x.name === u.name)) merged.users.push(u);
    for (const c of kc.contexts) if (!merged.contexts.some((x) => x.name === c.name)) merged.contexts.push(c);
    if (!merged.currentContext && kc.currentContext) merged.currentContext = kc.currentContext;
  }
  return merged;
}

function inClusterAvailable(env: Record<string, string | undefined>): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(`${SERVICE_ACCOUNT_DIR}/token`));
}

function inClusterNamespace(): string | undefined {
  try {
    return readFileSync(`${SERVICE_ACCOUNT_DIR}/namespace`, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function availableContexts(kc: KubeConfig): string {
  const names = kc.contexts.map((c) => c.name);
  return names.length ? names.join(', ') : '(none)';
}

/** Load the kubeconfig and pick context and namespace. Throws InputError with a hint when nothing fits. */
export function loadKubeConfig(opts: KubeConfigOptions = {}): LoadedKubeConfig {
  const env = opts.env ?? process.env;
  let kc: KubeConfig;
  let sources: string[];
  let fallbackNamespace: string | undefined;

  if (opts.kubeconfig) {
    const file = path.resolve(opts.kubeconfig);
    if (!existsSync(file)) throw problem(`kubeconfig ${file} does not exist`, 'check the --kubeconfig path');
    kc = mergeFirstWins([file]);
    sources = [file];
  } else if (env.KUBECONFIG) {
    const listed = env.KUBECONFIG.split(path.delimiter).filter(Boolean).map((f) => path.resolve(f));
    const present = listed.filter((f) => existsSync(f));
    if (present.length === 0) {
      throw problem(`none of the files in KUBECONFIG exist: ${listed.join(', ')}`, 'fix KUBECONFIG or pass --kubeconfig');
    }
    kc = mergeFirstWins(present);
    sources = present;
  } else {
    const home = opts.homeDir ?? homedir();
    const file = path.join(home, '.kube', 'config');
    if (existsSync(file)) {
      kc = mergeFirstWins([file]);
      sources = [file];
    } else if (inClusterAvailable(env)) {
      kc = new KubeConfig();
      kc.loadFromCluster();
      sources = ['in-cluster'];
      fallbackNamespace = inClusterNamespace();
    } else {
      throw problem(
        'no Kubernetes configuration found: no --kubeconfig, KUBECONFIG is unset, ' +
          `${file} does not exist, and this is not running inside a cluster`,
        'log in to the cluster (e.g. `oc login`) or pass --kubeconfig <file>',
      );
    }
  }

  const contextName = opts.context ?? kc.currentContext;
  if (!contextName) {
    throw problem(
      `the kubeconfig (${sources.join(', ')}) has no current context; available contexts: ${availableContexts(kc)}`,
      'pass --context <name>',
    );
  }
  const context = kc.getContextObject(contextName);
  if (!context) {
    throw problem(
      `context "${contextName}" not found in ${sources.join(', ')}; available contexts: ${availableContexts(kc)}`,
      opts.context ? 'check the --context value' : 'the current-context names a context that does not exist; pass --context',
    );
  }
  const cluster = kc.getCluster(context.cluster);
  if (!cluster) {
    throw problem(`context "${contextName}" refers to cluster "${context.cluster}", which is not defined in ${sources.join(', ')}`);
  }
  if (context.user && !kc.getUser(context.user)) {
    throw problem(`context "${contextName}" refers to user "${context.user}", which is not defined in ${sources.join(', ')}`);
  }
  kc.setCurrentContext(contextName);
  const namespace = opts.namespace || context.namespace || fallbackNamespace || 'default';
  return { kubeConfig: kc, contextName, namespace, userName: context.user || undefined, server: cluster.server, sources };
}
