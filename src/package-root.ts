// The folder of the runbook package. Code runs from src/ (tests, through vitest) and from dist/
// (the CLI after tsc), so data shipped beside the code (tools/controlplane, the CRDs, templates/)
// is found from the package root, never from the working directory or this file's depth.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readPackageName(manifest) === 'runbook') return (cached = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the runbook package root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

function readPackageName(manifest: string): string | undefined {
  try {
    const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
    return typeof parsed.name === 'string' ? parsed.name : undefined;
  } catch {
    return undefined;
  }
}
