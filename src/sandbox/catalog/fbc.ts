// Reads an operator catalog in the file-based catalog (FBC) format: the `olm.package`,
// `olm.channel` and `olm.bundle` documents that `opm render` prints (a stream of JSON objects) or
// that a catalog repository keeps as YAML (documents separated by `---`). The sandbox's own
// catalog and a site's rendered catalog go through this one reader, so a site file that loads here
// is one the simulated OLM resolves exactly as it resolves ours.
//
// The format follows operator-framework/operator-registry `alpha/declcfg` (schemas olm.package,
// olm.channel with entries {name, replaces, skips, skipRange}, olm.bundle with `olm.package`
// {packageName, version} and `olm.gvk` properties). Other schemas (olm.deprecations, templates)
// are valid FBC and are skipped.
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import semver from 'semver';
import type { Problem, SourcePosition } from '../../contract/errors.js';

export interface ChannelEntry {
  name: string;
  replaces?: string;
  skips?: string[];
  skipRange?: string;
}

export interface CatalogChannel {
  name: string;
  entries: ChannelEntry[];
  at: SourcePosition;
}

export interface CatalogBundle {
  name: string;
  version: string;
  /** Display name from the `olm.csv.metadata` property, when the catalog carries it. */
  displayName?: string;
  /** Group/version/kind of every API the bundle provides (`olm.gvk`). */
  gvks: { group: string; version: string; kind: string }[];
  at: SourcePosition;
}

export interface CatalogPackage {
  name: string;
  defaultChannel?: string;
  displayName?: string;
  channels: Map<string, CatalogChannel>;
  bundles: Map<string, CatalogBundle>;
  at: SourcePosition;
}

export interface Catalog {
  /** Where it came from, for messages: a file path or "built-in". */
  source: string;
  packages: Map<string, CatalogPackage>;
}

/** One document of the stream with a way to point at any of its fields. */
interface RawDoc {
  value: unknown;
  at(path: readonly (string | number)[]): SourcePosition;
}

/** Parses and checks a catalog; problems carry file:line:column. */
export function parseCatalog(text: string, file: string): { catalog: Catalog; problems: Problem[] } {
  const problems: Problem[] = [];
  const docs = splitDocuments(text, file, problems);
  const catalog: Catalog = { source: file, packages: new Map() };
  const channels: { pkg: string; channel: CatalogChannel; doc: RawDoc }[] = [];
  const bundles: { pkg: string; bundle: CatalogBundle; doc: RawDoc }[] = [];

  for (const doc of docs) {
    const v = doc.value;
    if (v === null || v === undefined) continue;
    if (typeof v !== 'object' || Array.isArray(v)) {
      problems.push({ message: 'a catalog document must be an object with a "schema" field', at: doc.at([]) });
      continue;
    }
    const o = v as Record<string, unknown>;
    const str = (key: string, required: boolean): string | undefined => {
      const s = o[key];
      if (typeof s === 'string' && s !== '') return s;
      if (required || s !== undefined) problems.push({ message: `${String(o.schema)}: "${key}" must be a non-empty string`, at: doc.at(s === undefined ? [] : [key]) });
      return undefined;
    };
    switch (o.schema) {
      case 'olm.package': {
        const name = str('name', true);
        if (!name) break;
        if (catalog.packages.has(name)) {
          problems.push({ message: `olm.package ${name} is declared twice`, at: doc.at(['name']) });
          break;
        }
        const defaultChannel = str('defaultChannel', false);
        catalog.packages.set(name, { name, ...(defaultChannel ? { defaultChannel } : {}), channels: new Map(), bundles: new Map(), at: doc.at([]) });
        break;
      }
      case 'olm.channel': {
        const name = str('name', true);
        const pkg = str('package', true);
        if (!name || !pkg) break;
        const entries = readEntries(o.entries, doc, name, problems);
        channels.push({ pkg, channel: { name, entries, at: doc.at([]) }, doc });
        break;
      }
      case 'olm.bundle': {
        const name = str('name', true);
        const pkg = str('package', true);
        if (!name || !pkg) break;
        const bundle = readBundle(o, name, doc, problems);
        if (bundle) bundles.push({ pkg, bundle, doc });
        break;
      }
      case undefined:
        problems.push({ message: 'a catalog document needs a "schema" field (olm.package, olm.channel or olm.bundle)', at: doc.at([]) });
        break;
      default:
        // olm.deprecations and other schemas: valid FBC the simulated OLM has no use for.
        break;
    }
  }

  for (const { pkg, channel, doc } of channels) {
    const p = catalog.packages.get(pkg);
    if (!p) {
      problems.push({ message: `olm.channel ${channel.name} belongs to package ${pkg}, which has no olm.package document`, at: doc.at(['package']), hint: `keep the olm.package document of ${pkg} when filtering the rendered catalog (e.g. jq 'select(.package=="${pkg}" or .name=="${pkg}")')` });
      continue;
    }
    if (p.channels.has(channel.name)) problems.push({ message: `package ${pkg} declares channel ${channel.name} twice`, at: doc.at(['name']) });
    else p.channels.set(channel.name, channel);
  }
  for (const { pkg, bundle, doc } of bundles) {
    const p = catalog.packages.get(pkg);
    if (!p) {
      problems.push({ message: `olm.bundle ${bundle.name} belongs to package ${pkg}, which has no olm.package document`, at: doc.at(['package']) });
      continue;
    }
    if (p.bundles.has(bundle.name)) problems.push({ message: `package ${pkg} declares bundle ${bundle.name} twice`, at: doc.at(['name']) });
    else p.bundles.set(bundle.name, bundle);
  }
  for (const p of catalog.packages.values()) {
    if (p.defaultChannel && !p.channels.has(p.defaultChannel)) {
      problems.push({ message: `package ${p.name}: default channel ${p.defaultChannel} is not declared`, at: p.at });
    }
    for (const ch of p.channels.values()) {
      for (const e of ch.entries) {
        if (!p.bundles.has(e.name)) problems.push({ message: `channel ${ch.name} of package ${p.name} lists ${e.name}, which has no olm.bundle document`, at: ch.at });
      }
    }
    p.displayName = [...p.bundles.values()].find((b) => b.displayName)?.displayName;
  }
  return { catalog, problems };
}

function readEntries(value: unknown, doc: RawDoc, channel: string, problems: Problem[]): ChannelEntry[] {
  if (!Array.isArray(value)) {
    problems.push({ message: `olm.channel ${channel}: "entries" must be a list`, at: doc.at(value === undefined ? [] : ['entries']) });
    return [];
  }
  const out: ChannelEntry[] = [];
  value.forEach((raw, i) => {
    const e = (raw ?? {}) as Record<string, unknown>;
    const at = doc.at(['entries', i]);
    if (typeof e.name !== 'string' || e.name === '') {
      problems.push({ message: `olm.channel ${channel}: entry ${i + 1} needs a "name"`, at });
      return;
    }
    const entry: ChannelEntry = { name: e.name };
    if (e.replaces !== undefined) {
      if (typeof e.replaces === 'string') entry.replaces = e.replaces;
      else problems.push({ message: `olm.channel ${channel}: ${e.name}: "replaces" must be a string`, at: doc.at(['entries', i, 'replaces']) });
    }
    if (e.skips !== undefined) {
      if (Array.isArray(e.skips) && e.skips.every((s) => typeof s === 'string')) entry.skips = e.skips as string[];
      else problems.push({ message: `olm.channel ${channel}: ${e.name}: "skips" must be a list of bundle names`, at: doc.at(['entries', i, 'skips']) });
    }
    if (e.skipRange !== undefined) {
      if (typeof e.skipRange === 'string' && semver.validRange(e.skipRange) !== null) entry.skipRange = e.skipRange;
      else problems.push({ message: `olm.channel ${channel}: ${e.name}: skipRange ${JSON.stringify(e.skipRange)} is not a semver range`, at: doc.at(['entries', i, 'skipRange']), hint: 'e.g. ">=2.25.4 <2.26.0"' });
    }
    out.push(entry);
  });
  return out;
}

function readBundle(o: Record<string, unknown>, name: string, doc: RawDoc, problems: Problem[]): CatalogBundle | undefined {
  const props = Array.isArray(o.properties) ? (o.properties as { type?: unknown; value?: unknown }[]) : [];
  let version: string | undefined;
  let displayName: string | undefined;
  const gvks: CatalogBundle['gvks'] = [];
  for (const p of props) {
    const value = (p?.value ?? {}) as Record<string, unknown>;
    if (p?.type === 'olm.package' && typeof value.version === 'string') version = value.version;
    else if (p?.type === 'olm.gvk' && typeof value.kind === 'string') gvks.push({ group: String(value.group ?? ''), version: String(value.version ?? ''), kind: value.kind });
    else if (p?.type === 'olm.csv.metadata' && typeof value.displayName === 'string') displayName = value.displayName;
  }
  if (!version) {
    problems.push({ message: `olm.bundle ${name} has no olm.package property with a version`, at: doc.at(o.properties === undefined ? [] : ['properties']) });
    return undefined;
  }
  if (!semver.valid(version)) {
    problems.push({ message: `olm.bundle ${name}: version ${version} is not semver`, at: doc.at(['properties']) });
    return undefined;
  }
  return { name, version, ...(displayName ? { displayName } : {}), gvks, at: doc.at([]) };
}

/**
 * The documents of the stream. A stream that starts with `{` is JSON objects one after another
 * (what `opm render` prints); anything else is YAML documents separated by `---`. Each document is
 * parsed with the yaml library (JSON is YAML) so every field keeps its position in the file.
 */
function splitDocuments(text: string, file: string, problems: Problem[]): RawDoc[] {
  const chunks = /^\s*\{/.test(text) ? jsonChunks(text, file, problems) : yamlChunks(text);
  const docs: RawDoc[] = [];
  for (const chunk of chunks) {
    const lines = new LineCounter();
    const doc = parseDocument(chunk.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const posAt = (offset: number): SourcePosition => {
      const p = lines.linePos(offset);
      return { file, line: chunk.line + p.line - 1, column: p.line === 1 ? chunk.column + p.col - 1 : p.col };
    };
    const err = doc.errors[0];
    if (err) {
      problems.push({ message: `syntax: ${err.message.split('\n')[0]}`, at: posAt(err.pos[0]) });
      continue;
    }
    docs.push({ value: doc.toJS(), at: (path) => posAt(nodeOffset(doc, path)) });
  }
  return docs;
}

function nodeOffset(doc: Document.Parsed, path: readonly (string | number)[]): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (const key of path) {
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && it.key.value === key);
      next = pair?.value ?? pair?.key;
    } else if (isSeq(node) && typeof key === 'number') {
      next = node.items[key];
    }
    const range = (next as Node | undefined)?.range;
    if (!range) break;
    offset = range[0];
    node = next;
  }
  return offset;
}

interface Chunk {
  text: string;
  /** 1-based line and column of the chunk's first character in the file. */
  line: number;
  column: number;
}

function yamlChunks(text: string): Chunk[] {
  const chunks: Chunk[] = [];
  const lines = text.split('\n');
  let start = 0;
  const flush = (end: number): void => {
    const body = lines.slice(start, end).join('\n');
    if (body.trim() !== '') chunks.push({ text: body, line: start + 1, column: 1 });
  };
  lines.forEach((line, i) => {
    if (/^---(\s|$)/.test(line)) {
      flush(i);
      start = i + 1;
    } else if (/^\.\.\.\s*$/.test(line)) {
      flush(i);
      start = i + 1;
    }
  });
  flush(lines.length);
  return chunks;
}

/** Top-level JSON values of a stream, found by tracking strings and nesting. */
function jsonChunks(text: string, file: string, problems: Problem[]): Chunk[] {
  const chunks: Chunk[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  let line = 1;
  let column = 1;
  let startLine = 1;
  let startColumn = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') {
        i++;
        column++;
      } else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) {
        start = i;
        startLine = line;
        startColumn = column;
      }
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) chunks.push({ text: text.slice(start, i + 1), line: startLine, column: startColumn });
      if (depth < 0) {
        problems.push({ message: `syntax: unexpected "${c}"`, at: { file, line, column } });
        return chunks;
      }
    } else if (depth === 0 && !/\s/.test(c)) {
      problems.push({ message: `syntax: expected a JSON object, found "${c}"`, at: { file, line, column } });
      return chunks;
    }
    if (c === '\n') {
      line++;
      column = 1;
    } else column++;
  }
  if (depth > 0) problems.push({ message: 'syntax: the JSON object opened here is never closed', at: { file, line: startLine, column: startColumn } });
  return chunks;
}
