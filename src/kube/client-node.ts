// The parts of @kubernetes/client-node the kube layer uses, from one module, each from the file
// that defines it. The package's index loads some 2,800 modules (every generated model and API)
// and takes about a second to import; the build bundles this file into one module holding only
// what it names (tools/bundle-kube-client.mjs), so a run starts in a fraction of that. Under
// vitest the file is used as written.
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export { Watch } from '@kubernetes/client-node/dist/watch.js';
export { Exec } from '@kubernetes/client-node/dist/exec.js';
export { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
export { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';
export { HttpMethod } from '@kubernetes/client-node/dist/gen/http/http.js';
