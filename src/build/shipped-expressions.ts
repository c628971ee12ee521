// Build step: loads every shipped runbook, which parses every expression it holds, and saves what
// parsing found of each one that parses (its names and calls) in dist/runbook/shipped-expressions.json,
// where the checks take it instead of parsing again (src/runbook/shipped-expressions.ts). Run by
// `npm run build` after the shipped forms. The table is removed first: this run parses everything.
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packageRoot } from '../package-root.js';
import { parsedExpressions } from '../runbook/expression-names.js';
import { loadRunbook } from '../runbook/loader.js';
import { SAVED_EXPRESSIONS, type Uses } from '../runbook/shipped-expressions.js';
import { builtinRegistry } from '../steps/index.js';
import { asciiJson } from './ascii-json.js';
import { yamlFiles } from './shipped-forms.js';

/** The table's text: each expression with what parsing found. */
export function savedText(entries: Iterable<[string, Uses]>): string {
  return asciiJson(Object.fromEntries(entries));
}

/**
 * Every expression the runbooks under `dir` hold that parses, with what parsing found. Each file
 * is loaded as a root: one that is only ever imported misses its importer's values and reports
 * problems, but every expression in it is parsed all the same.
 */
export async function parseExpressionsUnder(dir: string): Promise<[string, Uses][]> {
  const registry = builtinRegistry();
  for (const file of yamlFiles(dir)) await loadRunbook(file, { registry });
  return parsedExpressions().sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'runbook', SAVED_EXPRESSIONS);
  rmSync(target, { force: true });
  const entries = await parseExpressionsUnder(join(packageRoot(), 'runbooks'));
  writeFileSync(target, savedText(entries));
  process.stdout.write(`shipped-expressions: ${entries.length} expressions saved\n`);
}
