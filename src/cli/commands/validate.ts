// `runbook validate FILE…`: load, resolve imports and vars, check every step; all problems at once.
import { resolve } from 'node:path';
import { InputError, type Problem } from '../../contract/errors.js';
import type { StepRegistry } from '../../contract/registry.js';
import { allIds } from '../../engine/selection.js';
import { EXIT } from '../exit-codes.js';
import type { LoadFlags } from '../global-options.js';
import { prepare } from '../prepare.js';
import { walkNodes } from '../../runbook/plan-walk.js';
import type { Section } from '../../runbook/types.js';

export async function validateCommand(files: string[], flags: LoadFlags & { quiet?: boolean; listSteps?: boolean }, registry: StepRegistry): Promise<number> {
  const problems: Problem[] = [];
  for (const file of files) {
    try {
      const { plan } = await prepare(resolve(file), flags, registry);
      if (flags.listSteps) process.stdout.write(stepTree(plan.sections));
      else if (!flags.quiet) {
        const steps = allIds(plan.sections).length;
        process.stdout.write(`${file}: valid (${plan.sections.length} sections, ${steps} steps and groups)\n`);
      }
    } catch (err) {
      if (err instanceof InputError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length) throw new InputError(problems);
  return EXIT.ok;
}

/** Every step id, indented by nesting, with its name: what overlays, --only, --skip and --from take. */
function stepTree(sections: readonly Section[]): string {
  const lines: string[] = [];
  for (const s of sections) {
    lines.push(`${s.name}:`);
    for (const { node: n, parents } of walkNodes(s.nodes)) lines.push(`${'  '.repeat(parents.length + 1)}${n.id}  ${n.name}${n.kind === 'forEach' ? ' (for each)' : ''}`);
  }
  return lines.join('\n') + '\n';
}
