// Moved to src/contract/errors.ts: the shared contracts every room imports. Kept while callers move.
export * from '../contract/errors.js';
