// Build step: saves the data of every shipped runbook file (runbooks/**/*.yaml) as JSON, named by
// the digest of its text, in dist/runbook/shipped-forms/, where the loader takes it instead of
// parsing the file again (src/runbook/shipped-forms.ts). Run by `npm run build` after the bundle.
//
// A form is saved only when it stands for the file exactly: the file parses with no problem, and
// its data comes back from JSON unchanged (JSON has no NaN, no infinity and no -0, which YAML
// has). The folder is emptied first, so no form outlives the parser or the file it came from.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { packageRoot } from '../package-root.js';
import { FORMS_DIR, formName } from '../runbook/shipped-forms.js';
import { parseYamlSource } from '../runbook/source.js';
import { asciiJson } from './ascii-json.js';

export interface SavedForm {
  name: string;
  json: string;
}

/** The form to save for a file's text, or why there is none. */
export function formOf(file: string, text: string): SavedForm | { skipped: string } {
  const { source, problems } = parseYamlSource(file, text);
  if (!source || problems.length > 0) return { skipped: `it has problems (${problems[0]?.message ?? 'unreadable'})` };
  const json = asciiJson(source.value);
  if (!isDeepStrictEqual(JSON.parse(json), source.value)) return { skipped: 'its data does not survive JSON (NaN, an infinity or -0)' };
  return { name: formName(text), json };
}

/** Every YAML file under `dir`, sorted. */
export function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Writes the forms of the YAML files under `runbooksDir` into `target`, emptied first; says which were skipped. */
export function saveForms(runbooksDir: string, target: string): { saved: number; skipped: string[] } {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  let saved = 0;
  const skipped: string[] = [];
  for (const file of yamlFiles(runbooksDir)) {
    // Decoded as the loader decodes it (source.ts readSource), so the digests agree.
    const form = formOf(file, readFileSync(file).toString('utf8'));
    if ('skipped' in form) {
      skipped.push(`${relative(runbooksDir, file)}: ${form.skipped}`);
      continue;
    }
    writeFileSync(join(target, form.name), form.json);
    saved++;
  }
  return { saved, skipped };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'runbook', FORMS_DIR);
  const { saved, skipped } = saveForms(join(packageRoot(), 'runbooks'), target);
  // A shipped file with a problem is caught by the tests; here it only goes without a form.
  for (const s of skipped) process.stderr.write(`shipped-forms: no form for ${s}\n`);
  process.stdout.write(`shipped-forms: ${saved} files saved\n`);
}
