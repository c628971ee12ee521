// The shipped runbooks, already read. The build parses every YAML file under runbooks/ and saves
// its data as JSON, named by the SHA-256 of its text (src/build/shipped-forms.ts). A file read at
// run time whose text has that digest is, byte for byte, a file the build read and found free of
// problems: its data is the saved JSON, which JSON.parse reads about ten times sooner than YAML is
// parsed (the shipped upgrade's 40 files: 6 to 9 ms against 45 to 55 ms, and less garbage). A site
// runbook imports ours, so every site's load gains too. Python's compiled .pyc files beside the
// standard library are the same idea.
//
// Only the conversion from YAML to data is taken from the build: every check of the data still
// runs, and where a position is wanted the file is parsed then, as for any other file
// (source.ts). A file whose text differs in one byte has another digest and is parsed as usual.
import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The folder beside this module that the build fills, one `<digest>.json` per shipped file. */
export const FORMS_DIR = 'shipped-forms';

const DEFAULT_DIR = new URL(`./${FORMS_DIR}/`, import.meta.url);

/** The name a file's saved form has: the SHA-256 of its text (as read: UTF-8). */
export function formName(text: string): string {
  return `${hash('sha256', text, 'hex')}.json`;
}

/**
 * The data of `text` when the build saved it in `dir` (a folder's URL, ending in /), else
 * undefined: a file of the site's, an edited file, or no saved forms (tests run from src/, where
 * there are none). The data is new on each call: callers may change it.
 */
export function shippedForm(text: string, dir: URL = DEFAULT_DIR): { value: unknown } | undefined {
  let json: string;
  try {
    // The build writes ASCII (JSON escapes the rest), which reads as Latin-1 sooner than UTF-8.
    json = readFileSync(new URL(formName(text), dir), 'latin1');
  } catch {
    return undefined;
  }
  try {
    return { value: JSON.parse(json) };
  } catch {
    // A damaged form is only a lost shortcut: the file is parsed as any other.
    return undefined;
  }
}
