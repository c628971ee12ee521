// The tar library, loaded when a step first packs or unpacks an archive: loading it cost every
// start of runbook (a validate, a run that copies nothing) about 40 ms.
import { createRequire } from 'node:module';

let loaded: typeof import('tar') | undefined;

export function tarModule(): typeof import('tar') {
  return (loaded ??= createRequire(import.meta.url)('tar') as typeof import('tar'));
}
