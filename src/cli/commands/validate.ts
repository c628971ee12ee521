// `runbook validate FILE…`: load, resolve imports and vars, check every step; all problems at once.
// A runbook found valid before, with nothing it read changed since, is answered from the cache
// (../validate-cache.ts) without loading the step types or the runbook.
import { resolve } from 'node:path';
import { InputError, type Problem } from '../../contract/errors.js';
import type { StepRegistry } from '../../contract/registry.js';
import type { Section } from '../../runbook/types.js';
import { varsFromEnv } from '../../runbook/env-vars.js';
import { EXIT } from '../exit-codes.js';
import type { LoadFlags } from '../global-options.js';
import type { ValidateCache } from '../validate-cache.js';

export type ValidateFlags = LoadFlags & { quiet?: boolean; listSteps?: boolean };

export async function validateCommand(
  files: string[],
  flags: ValidateFlags,
  registry: () => Promise<StepRegistry>,
  cache?: ValidateCache,
): Promise<number> {
  const entry = cache?.entryName({ cwd: process.cwd(), files, flags, env: runbookEnv() });
  const known = entry === undefined ? undefined : await cache!.lookup(entry);
  if (known) {
    process.stdout.write(known.stdout);
    process.stderr.write(known.stderr);
    return EXIT.ok;
  }
  const { recordInputs, takeInputs } = await import('../../runbook/input-log.js');
  if (cache) recordInputs(cache.key);
  const out = { stdout: '', stderr: '' };
  const problems = await validateFiles(files, flags, await registry(), out);
  const reads = takeInputs();
  if (problems.length) throw new InputError(problems);
  if (cache && entry) await cache.store(entry, { ...out, reads });
  return EXIT.ok;
}

async function validateFiles(files: string[], flags: ValidateFlags, registry: StepRegistry, out: { stdout: string; stderr: string }): Promise<Problem[]> {
  const { prepare } = await import('../prepare.js');
  const { allIds } = await import('../../engine/selection.js');
  const print = (text: string): void => {
    out.stdout += text;
    process.stdout.write(text);
  };
  const warn = (text: string): void => {
    out.stderr += text;
    process.stderr.write(text);
  };
  const problems: Problem[] = [];
  for (const file of files) {
    try {
      const { plan } = await prepare(resolve(file), flags, registry, {}, warn);
      if (flags.listSteps) print(await stepTree(plan.sections));
      else if (!flags.quiet) print(`${file}: valid (${plan.sections.length} sections, ${allIds(plan.sections).length} steps and groups)\n`);
    } catch (err) {
      if (err instanceof InputError) problems.push(...err.problems);
      else throw err;
    }
  }
  return problems;
}

/** RUNBOOK_VAR_* set in the environment, in order: they set vars, so they are part of what was validated. */
function runbookEnv(): Record<string, unknown> {
  return Object.fromEntries(Object.entries(varsFromEnv()).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Every step id, indented by nesting, with its name: what overlays, --only, --skip and --from take. */
async function stepTree(sections: readonly Section[]): Promise<string> {
  const { walkNodes } = await import('../../runbook/plan-walk.js');
  const lines: string[] = [];
  for (const s of sections) {
    lines.push(`${s.name}:`);
    for (const { node: n, parents } of walkNodes(s.nodes)) lines.push(`${'  '.repeat(parents.length + 1)}${n.id}  ${n.name}${n.kind === 'forEach' ? ' (for each)' : ''}`);
  }
  return lines.join('\n') + '\n';
}
