// `runbook coverage FILE`: which guide items the runbook answers, with which steps, follow-ups and
// sign-offs, and which it does not.
import { dirname, resolve } from 'node:path';
import { InputError } from '../../contract/errors.js';
import type { StepRegistry } from '../../contract/registry.js';
import { coverageOf, coverageText, missingRows } from '../../runbook/coverage.js';
import { loadGuides } from '../../runbook/guide-items.js';
import { loadRunbook } from '../../runbook/loader.js';
import { EXIT } from '../exit-codes.js';

export interface CoverageFlags {
  output: string;
  guide?: string[];
  missing?: boolean;
}

export async function coverageCommand(file: string, flags: CoverageFlags, registry: StepRegistry): Promise<number> {
  const formats = ['text', 'json'];
  if (!formats.includes(flags.output)) throw new InputError([{ message: `-o ${flags.output}: unknown format`, hint: `one of ${formats.join(', ')}` }]);
  const path = resolve(file);
  const loaded = await loadRunbook(path, { registry, provided: new Proxy({}, { get: () => true }) });
  if (!loaded.plan) throw new InputError(loaded.problems);
  const { guides, problems } = await loadGuides();
  if (problems.length) throw new InputError(problems);
  const only = flags.guide?.flatMap((g) => g.split(',')).map((g) => g.trim()).filter(Boolean);
  const unknownGuide = only?.filter((g) => !guides.some((x) => x.name === g)) ?? [];
  if (unknownGuide.length) {
    throw new InputError([{ message: `--guide ${unknownGuide.join(', ')}: no such guide`, hint: `the guides: ${guides.map((g) => g.name).join(', ')}` }]);
  }
  const coverage = coverageOf(loaded.plan, guides, only);
  const shown = flags.missing ? { ...coverage, rows: missingRows(coverage) } : coverage;
  if (flags.output === 'json') process.stdout.write(JSON.stringify(shown, null, 2) + '\n');
  else process.stdout.write(coverageText(shown, dirname(path)));
  return EXIT.ok;
}
