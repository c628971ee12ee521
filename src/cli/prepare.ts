// Loads a runbook with its var values and checks everything, before anything touches a cluster.
// Precedence of values, lowest first: stored (on resume), --vars-file in order, RUNBOOK_VAR_*, --var.
import { InputError, type Problem } from '../contract/errors.js';
import type { StepRegistry } from '../contract/registry.js';
import { loadRunbook } from '../runbook/loader.js';
import type { Plan } from '../runbook/types.js';
import { parseVarFlags, readVarsFile, resolveVars, type ResolvedVars, type ValueOrigin } from '../runbook/vars.js';
import { varsFromEnv } from '../runbook/env-vars.js';
import type { LoadFlags } from './global-options.js';
import { routeValues, settableNames } from '../runbook/var-addressing.js';
import { didYouMean } from '../runbook/suggest.js';

export interface Prepared {
  plan: Plan;
  vars: ResolvedVars;
  /** Root var values as given (not defaults), to record in the run state. */
  given: Record<string, unknown>;
  /** What was ignored and said as a warning: RUNBOOK_VAR_* naming no var of this runbook. */
  warnings: Problem[];
}

export async function prepare(
  file: string,
  flags: LoadFlags,
  registry: StepRegistry,
  stored: Record<string, unknown> = {},
  warn: (text: string) => void = (text) => process.stderr.write(text),
): Promise<Prepared> {
  const problems: Problem[] = [];
  const fromFiles: Record<string, unknown> = {};
  // Where each value from a vars file is written (the last file that gives it wins).
  const origins: Record<string, ValueOrigin> = {};
  for (const f of flags.varsFile) {
    const r = await readVarsFile(f);
    problems.push(...r.problems);
    Object.assign(fromFiles, r.values);
    Object.assign(origins, r.origins);
  }
  const flagged = parseVarFlags(flags.var);
  problems.push(...flagged.problems);
  if (problems.length) throw new InputError(problems);

  const env = varsFromEnv();
  const loaded = await loadRunbook(file, { registry, provided: { ...stored, ...fromFiles, ...env, ...flagged.values } });
  if (!loaded.plan) throw new InputError(loaded.problems);
  const plan = loaded.plan;

  // RUNBOOK_VAR_* of other runbooks may be set in the environment; only names that set a var of
  // this runbook (or of a file it imports) count.
  const declared = (name: string): boolean => routeValues(plan, { [name]: true }).unknown.length === 0;
  const fromEnv = Object.fromEntries(Object.entries(env).filter(([k]) => declared(k)));
  // Not an error (other tools may set RUNBOOK_VAR_* broadly), but a typo of a var's name would
  // otherwise be silently ignored while --var and --vars-file refuse it.
  const warnings = ignoredEnvVars(Object.keys(env).filter((k) => !declared(k)), settableNames(plan));
  for (const w of warnings) warn(`warning: ${w.message}\n${w.hint ? `  hint: ${w.hint}\n` : ''}`);
  const storedKnown = Object.fromEntries(Object.entries(stored).filter(([k]) => declared(k)));
  const given = { ...storedKnown, ...fromFiles, ...fromEnv, ...flagged.values };
  // A value from the environment or a flag is text as written, and has no line to point at.
  for (const name of [...Object.keys(fromEnv), ...Object.keys(flagged.values)]) delete origins[name];
  const resolved = resolveVars(plan, given, origins);
  if (resolved.problems.length || !resolved.vars) throw new InputError(resolved.problems);
  return { plan, vars: resolved.vars, given, warnings };
}

function ignoredEnvVars(names: readonly string[], settable: readonly string[]): Problem[] {
  return names.map((name) => {
    const guess = didYouMean(name, settable);
    return {
      message: `RUNBOOK_VAR_${name} sets no var of this runbook; it is ignored`,
      hint: guess
        ? `did you mean "${guess}" (RUNBOOK_VAR_${guess})? runbook vars FILE lists every var`
        : 'runbook vars FILE lists every var of this runbook',
    };
  });
}
