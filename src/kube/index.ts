// The Kubernetes layer's public surface, for steps and the CLI.
export * from './types.js';
export * from './config.js';
export * from './errors.js';
export { KubeClient, FIELD_MANAGER } from './client.js';
export type { KubeClientOptions, CallOptions, WriteOptions, GetOptions, ListOptions, PatchOptions, DeleteOptions, WatchOptions } from './client.js';
export type { CallStats } from './transport.js';
export type { WatchEvent, WatchEventType } from './watch-stream.js';
export * from './readiness.js';
export * from './wait.js';
export * from './diff.js';
export * from './access.js';
