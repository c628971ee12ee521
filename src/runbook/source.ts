// Parses YAML while keeping where every value was written, so any problem found later (schema,
// templates, expressions) can point at file:line:column.
import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, isSeq, isScalar, isPair, parseDocument, type Node, type Document } from 'yaml';
import type { Problem, SourcePosition } from '../engine/errors.js';

export type YamlPath = readonly (string | number)[];

export interface SourceFile {
  file: string;
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** The document as plain data. */
  value: unknown;
}

export function parseSource(file: string, text: string): { source?: SourceFile; problems: Problem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problems: Problem[] = [];
  for (const err of doc.errors) {
    const pos = lines.linePos(err.pos[0]);
    problems.push({
      message: `YAML syntax: ${firstLine(err.message)}`,
      hint: yamlHint(err.code),
      at: { file, line: pos.line, column: pos.col },
    });
  }
  if (problems.length > 0) return { problems };
  const source: SourceFile = { file, text, doc, lines, value: doc.toJS({ maxAliasCount: 1000 }) };
  problems.push(...findUnquotedTemplates(source));
  return { source, problems };
}

export async function readSource(file: string): Promise<{ source?: SourceFile; problems: Problem[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      problems: [
        {
          message: code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file}: ${(err as Error).message}`,
          at: { file, line: 1, column: 1 },
        },
      ],
    };
  }
  return parseSource(file, text);
}

/** The position of the node at `path`, or of its nearest existing ancestor. */
export function positionOf(source: SourceFile, path: YamlPath, keyInstead = false): SourcePosition {
  let node: unknown = source.doc.contents;
  let best: Node | undefined = node as Node | undefined;
  for (let i = 0; i < path.length; i++) {
    const part = path[i]!;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
      if (!pair) break;
      const last = i === path.length - 1;
      node = pair.value;
      best = (last && keyInstead ? (pair.key as Node) : (pair.value as Node | null)) ?? (pair.key as Node);
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
      if (!node) break;
      best = node as Node;
    } else {
      break;
    }
  }
  const offset = best?.range?.[0] ?? 0;
  const pos = source.lines.linePos(offset);
  return { file: source.file, line: pos.line, column: pos.col };
}

/**
 * `key: {{ var }}` is the classic mistake: YAML reads an unquoted value that starts with `{` as a
 * flow mapping, so the template silently becomes `{ {var: null}: null }`. Find those and say so.
 */
function findUnquotedTemplates(source: SourceFile): Problem[] {
  const problems: Problem[] = [];
  const visit = (node: unknown): void => {
    if (isMap(node)) {
      if (node.flow && looksLikeTemplate(node)) {
        const pos = source.lines.linePos(node.range?.[0] ?? 0);
        problems.push({
          message: 'a value starting with "{{" must be quoted: YAML read it as a mapping, not a template',
          hint: `write it in quotes, e.g. key: "{{ name }}"`,
          at: { file: source.file, line: pos.line, column: pos.col },
        });
        return;
      }
      for (const pair of node.items) visit(pair.value);
    } else if (isSeq(node)) {
      for (const item of node.items) visit(item);
    } else if (isPair(node)) {
      visit(node.value);
    }
  };
  visit(source.doc.contents);
  return problems;
}

function looksLikeTemplate(node: unknown): boolean {
  if (!isMap(node) || node.items.length !== 1) return false;
  const pair = node.items[0]!;
  return isMap(pair.key) && (pair.value === null || (isScalar(pair.value) && pair.value.value === null));
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function yamlHint(code: string): string | undefined {
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
      return 'a value that contains ": " or starts with a special character must be quoted';
    default:
      return undefined;
  }
}
