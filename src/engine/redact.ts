// Moved to src/contract/redact.ts: the shared contracts every room imports. Kept while callers move.
export * from '../contract/redact.js';
