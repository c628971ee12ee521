// Parses YAML while keeping where every value was written, so any problem found later (schema,
// templates, expressions) can point at file:line:column. A well-formed file is read as plain data
// first (plain-yaml.ts), or taken from what the build saved of it (shipped-forms.ts); where its
// values were written is parsed only once a position is read.
import { isUtf8 } from 'node:buffer';
import { debuglog } from 'node:util';
import { LineCounter, Scalar, isMap, isSeq, isScalar, parseDocument, visit, type Document, type Node, type YAMLMap } from 'yaml';
import type { Problem, SourcePosition } from '../contract/errors.js';
import { readInput } from './input-log.js';
import { readPlainYaml } from './plain-yaml.js';
import { shippedFileRead } from './shipped-expressions.js';
import { shippedForm } from './shipped-forms.js';
import { syntaxProblems, templateKeyProblem } from './yaml-problems.js';

export type YamlPath = readonly (string | number)[];

const log = debuglog('runbook');

export interface SourceFile {
  file: string;
  text: string;
  /** The parsed document, with every node's place in the text; parsed on first use. */
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
  /** The document as plain data. */
  value: unknown;
}

export function parseSource(file: string, text: string): { source?: SourceFile; problems: Problem[] } {
  const saved = shippedForm(text);
  if (saved) {
    log('%s: its data is the form the build saved', file);
    shippedFileRead();
    return { source: lazilyParsed(file, text, saved.value), problems: [] };
  }
  return parseYamlSource(file, text);
}

/** parseSource from the YAML text alone, never from a saved form: what the build saves. */
export function parseYamlSource(file: string, text: string): { source?: SourceFile; problems: Problem[] } {
  const plain = readPlainYaml(text);
  if (plain) return { source: lazilyParsed(file, text, plain.value), problems: [] };
  const lines = new LineCounter();
  const doc = parseFully(text, lines);
  const problems = syntaxProblems(file, text, lines, doc.errors);
  if (problems.length > 0) return { problems };
  // Before toJS: a mistaken flow mapping would otherwise become a key "[object Object]".
  problems.push(...findUnquotedTemplates(file, text, lines, doc));
  // An alias to no anchor makes toJS throw; it is the author's mistake, with a place in the file.
  const unresolved = unresolvedAliases(file, lines, doc);
  if (unresolved.length) return { problems: [...problems, ...unresolved] };
  const source: SourceFile = { file, text, doc, lines, value: doc.toJS({ maxAliasCount: 1000 }) };
  return { source, problems };
}

function parseFully(text: string, lines: LineCounter): Document.Parsed {
  return parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
}

/** A file the fast reading took: its nodes and line starts are parsed when a position is first asked for. */
function lazilyParsed(file: string, text: string, value: unknown): SourceFile {
  let parsed: { doc: Document.Parsed; lines: LineCounter } | undefined;
  const full = () => {
    if (!parsed) {
      const lines = new LineCounter();
      parsed = { doc: parseFully(text, lines), lines };
    }
    return parsed;
  };
  return {
    file,
    text,
    value,
    get doc() {
      return full().doc;
    },
    get lines() {
      return full().lines;
    },
  };
}

/** Aliases (`*name`) with no anchor (`&name`) before them. */
function unresolvedAliases(file: string, lines: LineCounter, doc: Document.Parsed): Problem[] {
  const problems: Problem[] = [];
  visit(doc, {
    Alias(_key, node) {
      if (node.resolve(doc) !== undefined) return;
      const pos = lines.linePos(node.range?.[0] ?? 0);
      problems.push({
        message: `YAML: the alias *${node.source} refers to no anchor: no value above it is marked &${node.source}`,
        hint: `mark the value to repeat with &${node.source} before this line, or write the value out here`,
        at: { file, line: pos.line, column: pos.col },
      });
    },
  });
  return problems;
}

/**
 * Where the first byte that is not UTF-8 sits, or undefined when all of it is. YAML files are
 * UTF-8; decoding them anyway would turn the bad bytes into U+FFFD in a name or a value, silently.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number | undefined {
  // Node's own check first: this loop, run over every byte of every file, cost more than it.
  if (isUtf8(bytes)) return undefined;
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    // Overlongs and surrogates: the second byte's range is narrower after E0, ED, F0 and F4.
    const second = bytes[i + 1] ?? 0;
    if ((b === 0xe0 && second < 0xa0) || (b === 0xed && second > 0x9f) || (b === 0xf0 && second < 0x90) || (b === 0xf4 && second > 0x8f)) return i;
    i += need + 1;
  }
  return undefined;
}

function invalidUtf8Problem(file: string, bytes: Uint8Array, offset: number): Problem {
  const before = Buffer.from(bytes.subarray(0, offset)).toString('utf8');
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  const shown = [...bytes.subarray(offset, offset + 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return {
    message: `the file is not UTF-8: byte ${shown.split(' ')[0]} (bytes ${shown}) cannot start or continue a character`,
    hint: 'save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8), or remove the character',
    at: { file, line, column },
  };
}

export async function readSource(file: string): Promise<{ source?: SourceFile; problems: Problem[] }> {
  let text: string;
  try {
    const bytes = await readInput(file);
    const bad = firstInvalidUtf8(bytes);
    if (bad !== undefined) return { problems: [invalidUtf8Problem(file, bytes, bad)] };
    text = bytes.toString('utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      problems: [
        {
          // No position: there is no line to point at. An importer adds the import's position.
          message: code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file}: ${(err as Error).message}`,
        },
      ],
    };
  }
  return parseSource(file, text);
}

/** The node at `path` (its key instead, when asked), or the nearest existing ancestor. */
function nodeAt(source: SourceFile, path: YamlPath, keyInstead = false): { node: Node | undefined; exact: boolean } {
  let node: unknown = source.doc.contents;
  let best: Node | undefined = node as Node | undefined;
  for (let i = 0; i < path.length; i++) {
    const part = path[i]!;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
      if (!pair) return { node: best, exact: false };
      const last = i === path.length - 1;
      node = pair.value;
      best = (last && keyInstead ? (pair.key as Node) : (pair.value as Node | null)) ?? (pair.key as Node);
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
      if (!node) return { node: best, exact: false };
      best = node as Node;
    } else {
      return { node: best, exact: false };
    }
  }
  return { node: best, exact: true };
}

function positionAtOffset(source: SourceFile, offset: number): SourcePosition {
  const pos = source.lines.linePos(offset);
  return { file: source.file, line: pos.line, column: pos.col };
}

/**
 * The position of the node at `path`, or of its nearest existing ancestor. Its line and column are
 * found when first read: most positions are kept only in case something goes wrong, and finding
 * one may mean parsing the file fully.
 */
export function positionOf(source: SourceFile, path: YamlPath, keyInstead = false): SourcePosition {
  const at = [...path];
  let found: SourcePosition | undefined;
  const resolve = () => (found ??= positionAtOffset(source, nodeAt(source, at, keyInstead).node?.range?.[0] ?? 0));
  return {
    file: source.file,
    get line() {
      return resolve().line;
    },
    get column() {
      return resolve().column;
    },
  };
}

/**
 * The position of character `offset` inside the string at `path`, so an error in a template or an
 * expression points at the very spot. Only when the text maps one to one onto the file: a plain or
 * quoted scalar without escapes, or a literal block; otherwise the start of the value.
 */
export function positionWithin(source: SourceFile, path: YamlPath, offset: number): SourcePosition {
  const { node, exact } = nodeAt(source, path);
  if (!exact || !isScalar(node) || typeof node.value !== 'string' || !node.range) return positionOf(source, path);
  const value = node.value;
  const start = node.range[0];
  const raw = source.text.slice(start, node.range[1]);
  const clamped = Math.max(0, Math.min(offset, value.length));
  switch (node.type) {
    case 'PLAIN':
      if (raw === value) return positionAtOffset(source, start + clamped);
      break;
    case 'QUOTE_DOUBLE':
    case 'QUOTE_SINGLE':
      if (raw.slice(1, -1) === value) return positionAtOffset(source, start + 1 + clamped);
      break;
    case 'BLOCK_LITERAL': {
      const mapped = withinLiteralBlock(source, start, value, clamped);
      if (mapped) return mapped;
      break;
    }
  }
  return positionOf(source, path);
}

/** A literal block keeps its lines as written, each behind the block's indentation. */
function withinLiteralBlock(source: SourceFile, start: number, value: string, offset: number): SourcePosition | undefined {
  const valueLines = value.split('\n');
  const before = value.slice(0, offset).split('\n');
  const lineIndex = before.length - 1;
  const column = before[lineIndex]!.length;
  const headerLine = source.lines.linePos(start).line;
  const fileLines = source.text.split('\n');
  const fileLine = fileLines[headerLine + lineIndex];
  const valueLine = valueLines[lineIndex] ?? '';
  if (fileLine === undefined || !fileLine.endsWith(valueLine)) return undefined;
  const indent = fileLine.length - valueLine.length;
  return { file: source.file, line: headerLine + 1 + lineIndex, column: indent + column + 1 };
}

/**
 * `key: {{ var }}` is the classic mistake: YAML reads an unquoted value that starts with `{` as a
 * flow mapping, so the template silently becomes `{ {var: null}: null }`. Find those and say so.
 */
function findUnquotedTemplates(file: string, text: string, lines: LineCounter, doc: Document.Parsed): Problem[] {
  const problems: Problem[] = [];
  // Reports the mistake and puts the template text back as a string, so the rest of the file is
  // checked as the author meant it (its variables included).
  const check = (node: unknown): unknown => {
    if (!looksLikeTemplate(node) || !node.range) return node;
    const pos = lines.linePos(node.range[0]);
    problems.push({
      message: 'a value starting with "{{" must be quoted: YAML read it as a mapping, not a template',
      hint: `write it in quotes, e.g. key: "{{ name }}"`,
      at: { file, line: pos.line, column: pos.col },
    });
    return new Scalar(text.slice(node.range[0], node.range[1]));
  };
  const visit = (node: unknown): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        // The first key of a block mapping parses without error as a flow mapping key.
        if (looksLikeTemplate(pair.key) && pair.key.range) {
          problems.push(templateKeyProblem(file, lines, pair.key.range[0]));
          pair.key = new Scalar(text.slice(pair.key.range[0], pair.key.range[1]));
        }
        pair.value = check(pair.value) as typeof pair.value;
        visit(pair.value);
      }
    } else if (isSeq(node)) {
      node.items = node.items.map(check);
      node.items.forEach(visit);
    }
  };
  doc.contents = check(doc.contents) as typeof doc.contents;
  visit(doc.contents);
  return problems;
}

function looksLikeTemplate(node: unknown): node is YAMLMap {
  if (!isMap(node) || !node.flow || node.items.length !== 1) return false;
  const pair = node.items[0]!;
  return isMap(pair.key) && (pair.value === null || (isScalar(pair.value) && pair.value.value === null));
}
