// Moved to src/contract/findings.ts: the shared contracts every room imports. Kept while callers move.
export * from '../contract/findings.js';
