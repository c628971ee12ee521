// `runbook new KIND NAME`: scaffolds a runbook (and, for the kinds that run ours, a vars file)
// from the handlebars templates in templates/new/, then loads what it wrote, so a scaffold that
// does not validate is never left behind silently.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import Handlebars from 'handlebars';
import { writeFileAtomic } from '../../atomic-write.js';
import { InputError } from '../../contract/errors.js';
import type { StepRegistry } from '../../contract/registry.js';
import { packageRoot } from '../../package-root.js';
import { loadRunbook } from '../../runbook/loader.js';
import { listVars, varsExample } from '../../runbook/vars-listing.js';
import { EXIT } from '../exit-codes.js';

/** What each kind is, for --help and errors. */
export const NEW_KINDS: Record<string, string> = {
  'site-overlay': 'the shipped 2.25 → 3.3 upgrade with site steps added, replaced or skipped by id (and a vars file)',
  blank: 'a runbook of its own, with one step of each common kind',
  assessment: 'the shipped readiness assessment with site checks after it (and a vars file)',
};

const NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

export async function newCommand(kind: string, name: string, flags: { dir: string; force?: boolean }, registry: StepRegistry): Promise<number> {
  if (!(kind in NEW_KINDS)) {
    throw new InputError([{ message: `runbook new ${kind}: no such kind`, hint: `one of: ${Object.entries(NEW_KINDS).map(([k, d]) => `${k} (${d})`).join('; ')}` }]);
  }
  if (!NAME.test(name)) {
    throw new InputError([{ message: `runbook new ${kind} ${name}: the name must be lower-case letters, digits, "-" and "."`, hint: 'e.g. runbook new site-overlay acme-upgrade' }]);
  }
  const dir = resolve(flags.dir);
  const file = join(dir, `${name}.yaml`);
  const withVars = kind !== 'blank';
  const varsFile = join(dir, `${name}.vars.yaml`);
  for (const f of withVars ? [file, varsFile] : [file]) {
    if (existsSync(f) && !flags.force) throw new InputError([{ message: `${relative(process.cwd(), f) || f} exists`, hint: 'choose another name or folder, or pass --force to overwrite it' }]);
  }
  const shown = (f: string): string => relative(process.cwd(), f) || f;
  const template = Handlebars.compile(await readFile(join(packageRoot(), 'templates', 'new', `${kind}.yaml.hbs`), 'utf8'), { noEscape: true, strict: true });
  const text = template({
    name,
    file: shown(file),
    varsFile: shown(varsFile),
    upgrade: 'runbook:upgrade-2.25-to-3.3.yaml',
    assessment: 'runbook:rhoai-readiness-assessment.yaml',
  });
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(file, text);
  const loaded = await loadRunbook(file, { registry, provided: {} });
  if (!loaded.plan) throw new InputError(loaded.problems);
  const written = [file];
  if (withVars) {
    await writeFileAtomic(varsFile, varsExample(listVars(loaded.plan, dir), shown(file)));
    written.push(varsFile);
  }
  process.stdout.write(`${written.map((f) => `wrote ${shown(f)}`).join('\n')}\nnext: runbook validate ${shown(file)}${withVars ? ` --vars-file ${shown(varsFile)}` : ''}\n`);
  return EXIT.ok;
}
