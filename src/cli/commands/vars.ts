// `runbook vars FILE`: every var a user can set on a runbook, its type, default, description and
// the file that declares it; `-o example` writes a vars file to start from.
import { dirname, relative, resolve } from 'node:path';
import { InputError } from '../../contract/errors.js';
import type { StepRegistry } from '../../contract/registry.js';
import { loadRunbook } from '../../runbook/loader.js';
import { listVars, varsExample, varsTable } from '../../runbook/vars-listing.js';
import { EXIT } from '../exit-codes.js';

export async function varsCommand(file: string, flags: { output: string }, registry: StepRegistry): Promise<number> {
  const formats = ['table', 'json', 'example'];
  if (!formats.includes(flags.output)) throw new InputError([{ message: `-o ${flags.output}: unknown format`, hint: `one of ${formats.join(', ')}` }]);
  const path = resolve(file);
  // Required vars need no values to be listed: every name is marked given.
  const loaded = await loadRunbook(path, { registry, provided: new Proxy({}, { get: () => true }) });
  if (!loaded.plan) throw new InputError(loaded.problems);
  const vars = listVars(loaded.plan, dirname(path));
  if (flags.output === 'json') process.stdout.write(JSON.stringify(vars, null, 2) + '\n');
  else if (flags.output === 'example') process.stdout.write(varsExample(vars, relative(process.cwd(), path) || file));
  else process.stdout.write(varsTable(vars));
  return EXIT.ok;
}
