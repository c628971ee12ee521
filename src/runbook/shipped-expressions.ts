// The expressions of the shipped runbooks, already parsed. The build loads every shipped runbook,
// which parses each expression it holds, and saves what parsing found of each one that parses:
// the names it reads and the functions it calls (src/build/shipped-expressions.ts). An expression
// with exactly that text parses, and reads and calls exactly that, in every run of the same
// build: the checks take it from here instead of parsing it again. The shipped upgrade holds 613
// distinct expressions, 115 KB of CEL, which cel-js, running cold, parsed in 30 to 60 ms.
//
// Like the shipped runbooks' saved data (shipped-forms.ts), this is a result of the build, not a
// record of runs: every check of what is found still runs, an expression that differs in one
// character is parsed as usual, and one the shipped runbooks do not hold is parsed as usual.
import { readFileSync } from 'node:fs';
import { debuglog } from 'node:util';
import type { Call, NameUse } from './expression-names.js';

/** What parsing an expression found: the names it reads and the functions it calls, in order. */
export interface Uses {
  names: NameUse[];
  calls: Call[];
}

/** The file beside this module the build writes. */
export const SAVED_EXPRESSIONS = 'shipped-expressions.json';

const log = debuglog('runbook');
let saved: Map<string, Uses> | undefined;
let shippedRead = false;

/**
 * Says that a shipped runbook file was read (source.ts, when it takes a file's saved form): only
 * then is the table read, so a load of a runbook of a site's own never pays for it.
 */
export function shippedFileRead(): void {
  shippedRead = true;
}

/** What the build found parsing `expression`, or undefined when it is not an expression it parsed. */
export function savedUses(expression: string): Uses | undefined {
  if (!shippedRead) return undefined;
  saved ??= readSaved(new URL(`./${SAVED_EXPRESSIONS}`, import.meta.url));
  return saved.get(expression);
}

/** The saved expressions of `file`; none when there is no file (tests run from src/) or it is damaged. */
export function readSaved(file: URL): Map<string, Uses> {
  let entries: Record<string, Uses>;
  try {
    entries = JSON.parse(readFileSync(file, 'latin1')) as Record<string, Uses>;
  } catch {
    return new Map();
  }
  const map = new Map<string, Uses>();
  for (const [expression, uses] of Object.entries(entries)) {
    // JSON writes an argument of unknown type (undefined) as null.
    for (const call of uses.calls) call.args = call.args.map((a) => a ?? undefined);
    map.set(expression, uses);
  }
  log('%d expressions parsed by the build', map.size);
  return map;
}
