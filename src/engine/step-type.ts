// Moved to src/contract/step-type.ts: the shared contracts every room imports. Kept while callers move.
export * from '../contract/step-type.js';
