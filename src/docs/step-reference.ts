// The step reference in docs/steps is generated from the step type declarations themselves —
// summary, description, input schema and examples — so the docs cannot drift from the code.
// `npm run docs` writes the pages; a unit test fails when the committed pages differ.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnyStepType, JsonSchema } from '../contract/step-type.js';
import { deepEqual } from '../kube/json.js';
import { DURATION } from '../runbook/format.js';
import { BUILTIN_STEPS } from '../steps/index.js';

const NOTICE = '<!-- Generated from the step type declarations by `npm run docs` (src/docs/step-reference.ts). Edit src/steps, not this file. -->';

export interface FieldRow {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

/** The pages, by file name relative to docs/steps: one per step type and README.md as the index. */
export function renderStepDocs(types: readonly AnyStepType[] = BUILTIN_STEPS): Map<string, string> {
  const sorted = [...types].sort((a, b) => a.name.localeCompare(b.name));
  const pages = new Map<string, string>();
  for (const type of sorted) pages.set(`${type.name}.md`, renderStepPage(type));
  pages.set('README.md', renderIndex(sorted));
  return pages;
}

export function renderIndex(types: readonly AnyStepType[]): string {
  const rows = types.map((t) => `| [\`${t.name}\`](${t.name}.md) | ${cell(t.summary)} |`);
  return [
    NOTICE,
    '# Step types',
    '',
    'Every step of a runbook has a name and exactly one step type key, whose value is the input described on the type\'s page. Fields any step may carry (`when`, `retries`, `timeout`, `register`, `confirm`…) are described with the runbook format.',
    '',
    '| Type | What it does |',
    '| --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

export function renderStepPage(type: AnyStepType): string {
  const out = [NOTICE, `# \`${type.name}\``, '', type.summary, ''];
  if (type.description) out.push(type.description, '');
  out.push(`**Dry run:** ${dryRunText(type)}`, '');
  if (type.readOnly) out.push('**Read-only:** it changes nothing, so it still runs after a blocking finding, and every check of a section is reported together.', '');

  out.push('## Input', '');
  const oneOf = requiredAlternatives(type.input);
  if (oneOf) out.push(`Give at least one of ${oneOf}.`, '');
  const rows = fieldRows(type.input);
  if (rows.length === 0) out.push('This step takes no fields.', '');
  else {
    out.push('| Field | Type | Required | Description |', '| --- | --- | --- | --- |');
    for (const r of rows) out.push(`| \`${r.name}\` | ${cell(r.type)} | ${r.required ? 'yes' : ''} | ${cell(r.description)} |`);
    out.push('');
  }

  out.push(type.examples.length === 1 ? '## Example' : '## Examples', '');
  for (const example of type.examples) out.push('```yaml', example.trimEnd(), '```', '');
  return out.join('\n');
}

/**
 * The input fields as rows: nested objects flattened with dotted names (`for.condition.type`),
 * list items with `[]` (`objects[].name`). A schema met a second time (failWhen items are the
 * same as `for`) is referred to rather than listed again.
 */
export function fieldRows(schema: JsonSchema): FieldRow[] {
  const rows: FieldRow[] = [];
  const expanded = new Map<JsonSchema, string>();
  const walk = (s: JsonSchema, prefix: string): void => {
    const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((s.required as string[] | undefined) ?? []);
    for (const [key, field] of Object.entries(properties)) {
      const name = `${prefix}${key}`;
      const nested = objectWithFields(field);
      const items = field.items as JsonSchema | undefined;
      const nestedItems = field.type === 'array' && items ? objectWithFields(items) : undefined;
      const seenAs = (nested && expanded.get(nested)) ?? (nestedItems && expanded.get(nestedItems));
      const description = [text(field.description ?? (nestedItems ? items!.description : undefined)), seenAs ? `${nestedItems ? 'Each item has' : 'It has'} the fields of \`${seenAs}\`.` : '']
        .filter(Boolean)
        .join(' ');
      rows.push({ name, type: typeText(field), required: required.has(key), description });
      if (seenAs) continue;
      if (nested) {
        expanded.set(nested, name);
        walk(nested, `${name}.`);
      } else if (nestedItems) {
        expanded.set(nestedItems, name);
        walk(nestedItems, `${name}[].`);
      }
    }
  };
  walk(schema, '');
  return rows;
}

function objectWithFields(s: JsonSchema): JsonSchema | undefined {
  return s.properties && typeof s.properties === 'object' && Object.keys(s.properties).length > 0 ? s : undefined;
}

/** A short type for the table: string, integer ≥ 0, `"a"` or `"b"`, list of object, duration… */
export function typeText(s: JsonSchema): string {
  if (s.anyOf && deepEqual(s.anyOf, DURATION.anyOf)) return 'duration (e.g. 30s, 5m, 1h30m)';
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' or ');
  if (Array.isArray(s.anyOf)) {
    const parts = [...new Set((s.anyOf as JsonSchema[]).map(typeText))];
    return parts.join(' or ');
  }
  switch (s.type) {
    case 'array': {
      const items = s.items as JsonSchema | undefined;
      return items ? `list of ${typeText(items)}` : 'list';
    }
    case 'object': {
      const values = s.additionalProperties;
      if (values && typeof values === 'object' && !s.properties) return `map of ${typeText(values as JsonSchema)}`;
      return 'object';
    }
    case 'integer':
    case 'number': {
      const bounds = [s.minimum !== undefined ? `≥ ${String(s.minimum)}` : '', s.maximum !== undefined ? `≤ ${String(s.maximum)}` : ''].filter(Boolean).join(', ');
      return `${String(s.type)}${bounds ? ` (${bounds})` : ''}`;
    }
    case undefined:
      return 'any';
    default:
      return String(s.type);
  }
}

/** `anyOf: [{required: [a]}, {required: [b]}]` at the top: at least one of these fields. */
function requiredAlternatives(s: JsonSchema): string | undefined {
  const alternatives = s.anyOf as JsonSchema[] | undefined;
  if (!Array.isArray(alternatives) || !alternatives.every((a) => Array.isArray(a.required) && Object.keys(a).length === 1)) return undefined;
  const names = alternatives.flatMap((a) => a.required as string[]);
  return names.map((n) => `\`${n}\``).join(', ').replace(/, ([^,]*)$/, ' or $1');
}

function dryRunText(type: AnyStepType): string {
  if (type.dryRun === 'skip') return 'not run; reported as skipped.';
  if (type.readOnly) return 'runs as usual: it changes nothing in the cluster.';
  return 'runs, and changes nothing: with `--dry-run client` no write is sent (the result is computed locally); with `--dry-run server` writes are sent with `dryRun=All`, so the API server validates them and stores nothing. The diff of what would change is reported either way.';
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A table cell: one line, pipes escaped. */
function cell(value: string): string {
  return value.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

/** Writes the pages into `dir`, removing pages of step types that no longer exist. */
export function writeStepDocs(dir: string, pages: Map<string, string> = renderStepDocs()): string[] {
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(dir)) if (file.endsWith('.md') && !pages.has(file)) rmSync(join(dir, file));
  for (const [file, content] of pages) writeFileSync(join(dir, file), content);
  return [...pages.keys()];
}

/** docs/steps of the package (this file is src/docs or dist/docs). */
export function stepDocsDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'steps');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dir = stepDocsDir();
  const files = writeStepDocs(dir);
  console.log(`wrote ${files.length} pages to ${dir}`);
}
