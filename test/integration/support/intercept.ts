// A KubeClient with some methods replaced, everything else passed through to the real one: for
// staging what a real cluster does at awkward moments (a write racing ours, a server that ends
// watches early) without faking the API server itself.
import type { KubeClient } from '../../../src/kube/client.js';

export function intercept(kube: KubeClient, overrides: Partial<Pick<KubeClient, 'patch' | 'watch' | 'delete' | 'get'>>): KubeClient {
  return new Proxy(kube, {
    get(target, property) {
      const replaced = (overrides as Record<PropertyKey, unknown>)[property];
      if (replaced) return replaced;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Every watch is opened with a server-side timeout of `seconds`: the server ends it early. */
export function shortWatches(kube: KubeClient, seconds: number): KubeClient {
  return intercept(kube, { watch: (ref, options = {}) => kube.watch(ref, { ...options, timeoutSeconds: seconds }) });
}
