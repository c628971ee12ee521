// Moved to src/contract/registry.ts: the shared contracts every room imports. Kept while callers move.
export * from '../contract/registry.js';
