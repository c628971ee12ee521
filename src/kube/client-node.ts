// The parts of @kubernetes/client-node the kube layer uses, from one module. The package's index
// loads some 2,800 modules (every generated model and API) and takes about a second to import;
// the build bundles this file into one module holding only what it names (tools/bundle-kube-client.mjs),
// so a run starts in a fraction of that. Under vitest the file is used as written.
export { createConfiguration, Exec, HttpMethod, KubeConfig, ServerConfiguration, Watch } from '@kubernetes/client-node';
export type { Configuration } from '@kubernetes/client-node';
export { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
