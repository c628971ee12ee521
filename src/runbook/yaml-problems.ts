// What the YAML parser's errors become for the person who wrote the file: the first error of a
// cascade, every duplicate key, and for the usual mistakes (an unquoted template, a quote or a
// bracket never closed, a tab) where the mistake is and how to fix it.
import type { LineCounter, YAMLError } from 'yaml';
import type { Problem } from '../contract/errors.js';

/**
 * One syntax error usually sets off several more (a tab, then "implicit keys", then "map
 * values"): report the first, plus every duplicate key, which never cascade.
 */
export function syntaxProblems(file: string, text: string, lines: LineCounter, errors: readonly YAMLError[]): Problem[] {
  const problems: Problem[] = [];
  let reportedOther = false;
  for (const err of errors) {
    if (err.code !== 'DUPLICATE_KEY') {
      if (reportedOther) continue;
      reportedOther = true;
      // `{{ name }}: value` sets the parser off ("Map comment with trailing content"): the
      // unquoted template key is the news, and whatever the parser said after it is not.
      const keys = templateKeysUpTo(text, err.pos[0]);
      if (keys.length) {
        for (const offset of keys) problems.push(templateKeyProblem(file, lines, offset));
        continue;
      }
    }
    let offset = err.pos[0];
    let message = `YAML syntax: ${firstLine(err.message)}`;
    let hint = yamlHint(err.code, lineAt(text, offset));
    if (err.code === 'MULTIPLE_DOCS') {
      message = 'YAML syntax: a runbook file holds one YAML document, but "---" starts another';
      hint = 'remove the "---" line, or put the second document in a file of its own and import it';
    } else if (err.code === 'DUPLICATE_KEY') {
      const key = /^("[^"]*"|'[^']*'|[^:\n]*[^:\s])\s*:/.exec(text.slice(offset))?.[1];
      if (key) message = `YAML syntax: duplicate key ${/^["']/.test(key) ? key : `"${key}"`}`;
    } else if (/^Missing closing ["']quote/.test(err.message)) {
      // The parser stops at the end of the file; the quote that was never closed is the news.
      const quote = err.message.includes('"quote') ? '"' : "'";
      const open = text.lastIndexOf(quote, offset - 1);
      if (open >= 0) offset = open;
      message = `YAML syntax: the quote ${quote} opened here is never closed`;
      hint = `close it at the end of the value, e.g. name: ${quote}assess${quote}`;
    } else if (/end with an? ([}\]])/.test(err.message)) {
      // A flow mapping or list never closed: the parser notices lines later; where it opened is the news.
      const close = /end with an? ([}\]])/.exec(err.message)![1]!;
      const open = openingOf(text, offset, close === '}' ? '{' : '[', close);
      if (open !== undefined) {
        offset = open;
        message = `YAML syntax: the ${close === '}' ? 'mapping {' : 'list ['} opened here is never closed`;
        hint = `close it with ${close} on the same line (or indent its continuation lines under it)`;
      }
    } else {
      // Point at the first character of a mis-indented line, not at its leading spaces.
      while (text[offset] === ' ') offset++;
    }
    const pos = lines.linePos(offset);
    problems.push({ message, hint, at: { file, line: pos.line, column: pos.col } });
  }
  return problems;
}

// A block mapping key that is a template: indentation, maybe a list dash, then {{ ... }}:
const TEMPLATE_KEY = /^([ \t]*(?:-[ \t]+)?)\{\{[^\n]*?\}\}[ \t]*:(?:[ \t]|$)/gm;

/** Where the template keys of the lines up to the one holding `offset` start; none: another error. */
function templateKeysUpTo(text: string, offset: number): number[] {
  const lineEnd = text.indexOf('\n', offset);
  const upTo = text.slice(0, lineEnd < 0 ? undefined : lineEnd);
  return [...upTo.matchAll(TEMPLATE_KEY)].map((m) => m.index + m[1]!.length);
}

export function templateKeyProblem(file: string, lines: LineCounter, offset: number): Problem {
  const pos = lines.linePos(offset);
  return {
    message: 'a mapping key starting with "{{" must be quoted: YAML reads an unquoted {{ as the start of a mapping, not a template',
    hint: 'write the key in quotes, e.g. "{{ name }}": value',
    at: { file, line: pos.line, column: pos.col },
  };
}

/** The unmatched opening bracket before `offset` (quotes are skipped), if any. */
function openingOf(text: string, offset: number, open: string, close: string): number | undefined {
  let depth = 0;
  for (let i = Math.min(offset, text.length) - 1; i >= 0; i--) {
    const c = text[i];
    if (c === '"' || c === "'") {
      // Skip back over a quoted string on the same line.
      const start = text.lastIndexOf(c, i - 1);
      if (start >= 0 && !text.slice(start, i).includes('\n')) i = start;
      continue;
    }
    if (c === close) depth++;
    else if (c === open) {
      if (depth === 0) return i;
      depth--;
    }
  }
  return undefined;
}

function lineAt(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', offset);
  return text.slice(start, end < 0 ? undefined : end);
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function yamlHint(code: string, line: string): string | undefined {
  if (/(^|[:-]\s+)\{\{/.test(line) && !/["']\{\{/.test(line)) {
    return 'a value with "{{" must be quoted as a whole, e.g. key: "{{ name }}-suffix"';
  }
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'each key may appear once in a mapping; remove or rename the repeated one';
    case 'TAB_AS_INDENT':
      return 'YAML indentation uses spaces, not tabs';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
    case 'UNEXPECTED_TOKEN':
      return 'check the indentation of this line against the lines above it';
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return 'a value that contains ": " or starts with a special character must be quoted; or check the indentation of the next line';
    default:
      return undefined;
  }
}
