// `writeFile`: write values as YAML, JSON or text files, e.g. exported and transformed objects for
// review or manual apply. A file that already holds exactly the text to write is left alone, so a
// re-run writes nothing and a resume does not touch what an earlier run wrote.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { stringify } from 'yaml';
import { StepFailure } from '../contract/errors.js';
import type { JsonSchema, StepType } from '../contract/step-type.js';
import { defaultsOf, type InputOf } from './schema.js';


interface PlannedFile {
  path: string;
  absolute: string;
  text: string;
  same: boolean;
}

const FORMAT = {
  enum: ['yaml', 'json', 'text'],
  description: 'yaml, json or text (default: from the extension: .json is json, .yaml and .yml yaml; else text for a string, yaml for anything else).',
} as const satisfies JsonSchema;

type Format = InputOf<typeof FORMAT>;

/** Format text writes a string as it is: any other content needs yaml or json. */
const TEXT_NEEDS_STRING = {
  if: { properties: { format: { const: 'text' } }, required: ['format'] },
  then: { properties: { content: { type: 'string', description: 'With format text: a string (an object or list is written with format yaml or json).' } } },
} as const satisfies JsonSchema;

const FILE = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'content'],
  ...TEXT_NEEDS_STRING,
  properties: {
    path: { type: 'string', minLength: 1, description: 'The file, relative to the directory runbook was started in.' },
    content: { description: 'The value to write.' },
    format: FORMAT,
  },
} as const satisfies JsonSchema;

type FileSpec = InputOf<typeof FILE>;

const INPUT = {
  type: 'object',
  additionalProperties: false,
  anyOf: [{ required: ['path', 'content'] }, { required: ['files'] }],
  ...TEXT_NEEDS_STRING,
  properties: {
    path: { type: 'string', minLength: 1, description: 'The file, relative to the directory runbook was started in (templates allowed).' },
    content: { description: 'The value to write (a whole "{{ name }}" keeps its type: an object is written as YAML).' },
    format: FORMAT,
    files: { type: 'array', items: FILE, description: 'Several files at once, each with its path and content.' },
    mode: { type: 'string', pattern: '^0?[0-7]{3}$', default: '0600', description: 'File permissions in octal, e.g. "0644" (default "0600").' },
  },
} as const satisfies JsonSchema;

type WriteFileInput = InputOf<typeof INPUT>;
const DEFAULTS = defaultsOf(INPUT);

/** What `check` planned (the files and their texts) is what `apply` writes. */
export const writeFileStep: StepType<WriteFileInput, PlannedFile[]> = {
  name: 'writeFile',
  summary: 'Write values as YAML, JSON or text files; skipped when every file already holds exactly that text.',
  description: [
    'One file (`path` and `content`) or several (`files`, a list of `{path, content, format}`, which',
    'may be a value built by an earlier step: `files: "{{ exportFiles }}"`). Objects are written as',
    'YAML (keys in the order given, long strings never folded) or JSON; a string with format text is',
    'written as it is. Paths are relative to the directory runbook was started in; missing folders',
    'are created. Files are private to their owner by default (exports may hold Secret objects):',
    'mode 0600, folders 0700. Only files whose text differs are written (atomically); when none',
    'differs the step is skipped. Files are written in dry runs too: they change nothing on the',
    'cluster, and writing what would be applied is what a dry run is for.',
  ].join(' '),
  input: INPUT,
  examples: [
    `- name: Export the original InferenceService
  writeFile:
    path: "{{ outputDir }}/{{ isvc.metadata.name }}/original/{{ isvc.metadata.name }}-isvc.yaml"
    content: "{{ isvc }}"`,
    `- name: Write the converted objects for review
  writeFile:
    files: "{{ convertedFiles }}"`,
    `- name: Write the migration summary
  writeFile:
    path: migration/README.txt
    format: text
    content: "Converted {{ count }} InferenceServices on {{ run.now }}\\n"
    mode: "0644"`,
  ],
  dryRun: 'native',
  async check(_ctx, input) {
    const files = await plan(input);
    if (files.every((f) => f.same)) {
      return { holds: true, reason: files.length === 1 ? `${files[0]!.path} already holds this content` : `all ${files.length} files already hold this content`, output: outputOf(files) };
    }
    return { holds: false, prepared: files };
  },
  async apply(_ctx, input, planned) {
    const files = planned ?? (await plan(input));
    const mode = parseInt(input.mode ?? DEFAULTS.mode, 8);
    const written: string[] = [];
    for (const f of files) {
      if (f.same) continue;
      await mkdir(dirname(f.absolute), { recursive: true, mode: 0o700 });
      await writeFileAtomic(f.absolute, f.text, { mode });
      written.push(f.path);
    }
    const unchanged = files.length - written.length;
    const summary = written.length === 1 && unchanged === 0 ? `wrote ${written[0]}` : `wrote ${written.length} file${written.length === 1 ? '' : 's'}${unchanged ? `, ${unchanged} unchanged` : ''}`;
    return { changed: written.length > 0, summary, output: outputOf(files) };
  },
};

function outputOf(files: readonly PlannedFile[]): { written: string[]; unchanged: string[]; files: string[] } {
  return { written: files.filter((f) => !f.same).map((f) => f.path), unchanged: files.filter((f) => f.same).map((f) => f.path), files: files.map((f) => f.path) };
}

async function plan(input: WriteFileInput): Promise<PlannedFile[]> {
  const specs = specsOf(input);
  const out: PlannedFile[] = [];
  const seen = new Map<string, string>();
  for (const spec of specs) {
    const absolute = resolve(spec.path);
    const text = render(spec);
    const earlier = seen.get(absolute);
    if (earlier !== undefined && earlier !== text) {
      throw new StepFailure(`writeFile: ${spec.path} is listed twice with different contents`, { hint: 'give each file its own path' });
    }
    seen.set(absolute, text);
    out.push({ path: spec.path, absolute, text, same: (await readExisting(absolute)) === text });
  }
  return out;
}

function specsOf(input: WriteFileInput): FileSpec[] {
  const specs: FileSpec[] = [];
  if (input.path !== undefined) specs.push({ path: input.path, content: input.content, ...(input.format ? { format: input.format } : {}) });
  if (input.files !== undefined) {
    if (!Array.isArray(input.files)) throw new StepFailure(`writeFile: files must be a list of {path, content}, got ${typeof input.files}`);
    for (const [i, f] of input.files.entries()) {
      if (!f || typeof f !== 'object' || typeof f.path !== 'string' || f.path === '' || !('content' in f)) {
        throw new StepFailure(`writeFile: files[${i}] needs a path and a content`, { hint: 'each file is {path: "dir/name.yaml", content: <value>}' });
      }
      specs.push(f);
    }
  }
  return specs;
}

function render(spec: FileSpec): string {
  const format = spec.format ?? defaultFormat(spec.path, spec.content);
  switch (format) {
    case 'json':
      return `${JSON.stringify(spec.content ?? null, null, 2)}\n`;
    case 'text':
      if (typeof spec.content !== 'string') throw new StepFailure(`writeFile: ${spec.path}: format text needs a string, got ${spec.content === null ? 'null' : typeof spec.content}`);
      return spec.content;
    default:
      return stringify(spec.content ?? null, { lineWidth: 0, sortMapEntries: false });
  }
}

function defaultFormat(path: string, content: unknown): Format {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return typeof content === 'string' ? 'text' : 'yaml';
}

async function readExisting(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
