// Source modules stay small enough to read in one sitting: every .ts file under src/ has at most
// 400 lines, or says at its top why it is longer. The reason goes in the module's first comment
// block (the `//` lines or the `/* */` block it opens with), on a line that starts with
// "Longer than 400 lines:", e.g. "// Longer than 400 lines: one state machine, whose states read
// best side by side". A file split by job has no need of one.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAX_LINES = 400;
const LONGER_BECAUSE = 'Longer than 400 lines:';

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The lines of the comment a module opens with, without their comment markers. */
function leadingComment(text: string): string[] {
  const lines = text.split('\n');
  let i = 0;
  if (lines[0]?.startsWith('#!')) i++;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  const out: string[] = [];
  if (lines[i]?.trim().startsWith('/*')) {
    for (; i < lines.length; i++) {
      const line = lines[i]!;
      out.push(line.replace(/^\s*\/\*+\s?|\s*\*+\/\s*$|^\s*\*\s?/g, ''));
      if (line.includes('*/')) break;
    }
    return out;
  }
  for (; i < lines.length && lines[i]!.trim().startsWith('//'); i++) out.push(lines[i]!.trim().replace(/^\/\/\s?/, ''));
  return out;
}

/** The line count as an editor shows it (a final newline does not start another line). */
function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** Why a module of more than MAX_LINES lines is longer, or undefined when it does not say. */
function longerBecause(text: string): string | undefined {
  const line = leadingComment(text).find((l) => l.trim().startsWith(LONGER_BECAUSE));
  const why = line?.trim().slice(LONGER_BECAUSE.length).trim();
  return why ? why : undefined;
}

describe('source size', () => {
  it(`every module under src/ has at most ${MAX_LINES} lines, or says at its top why it is longer`, () => {
    const offenders = tsFiles('src').flatMap((file) => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const lines = lineCount(text);
      return lines > MAX_LINES && longerBecause(text) === undefined ? [`${file}: ${lines} lines`] : [];
    });
    expect(offenders, `split these by job, or add a line "${LONGER_BECAUSE} <why>" to the comment at their top`).toEqual([]);
  });

  it('reads the reason from the comment a module opens with, and only there', () => {
    const long = (head: string): string => `${head}\nconst x = 1;\n`;
    expect(longerBecause(long('// The executor.\n//\n// Longer than 400 lines: one state machine.'))).toBe('one state machine.');
    expect(longerBecause(long('/**\n * The executor.\n * Longer than 400 lines: one state machine.\n */'))).toBe('one state machine.');
    expect(longerBecause(long('// The executor.\n// Longer than 400 lines:'))).toBeUndefined();
    expect(longerBecause(long("import x from 'y';\n// Longer than 400 lines: too late, not at the top."))).toBeUndefined();
    expect(longerBecause(long('// The executor.'))).toBeUndefined();
    expect(lineCount('a\nb\n')).toBe(2);
    expect(lineCount('a\nb')).toBe(2);
  });
});
