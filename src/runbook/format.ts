// The runbook format (v1) declared once, as JSON Schema data. The loader validates against these
// declarations, `runbook schema` prints them combined with every step type's input schema, and
// the format reference in docs/ is generated from them.
import type { JsonSchema } from '../contract/step-type.js';
import { API_VERSION } from './types.js';

export const DURATION: JsonSchema = {
  description: 'A duration such as 30s, 5m, 1h30m or 500ms; a bare number is seconds.',
  // The branches describe themselves: a field that reuses DURATION replaces the outer description,
  // and a value of the wrong form is explained by the branch it failed.
  anyOf: [
    { type: 'string', pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h))+$', description: 'A duration such as 30s, 5m, 1h30m or 500ms.' },
    { type: 'number', minimum: 0, description: 'A number of seconds, 0 or more.' },
  ],
};

export const EXPRESSION: JsonSchema = {
  type: 'string',
  description: 'A CEL expression over vars, registered outputs and, in loops, the current item.',
};

/** Fields any step, group or loop may carry besides its type key. */
/** A guide item id: the guide's number, a dot, a kebab-case slug (runbooks/guide-items/). */
export const GUIDE_ITEM_REF: JsonSchema = {
  type: 'string',
  pattern: '^[a-z0-9]+\\.[a-z0-9][a-z0-9-]*$',
  description: 'A guide item id: the guide, a dot and a kebab-case slug, e.g. 000.ocp-stable.',
};

const SOURCE_FIELD: JsonSchema = {
  anyOf: [GUIDE_ITEM_REF, { type: 'array', minItems: 1, items: GUIDE_ITEM_REF }],
  description: 'The guide item(s) this implements, by id (e.g. 000.ocp-stable).',
};

/** A note for the report: a sentence, or a sentence with the guide items it answers. */
const NOTE_SPEC: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['text'],
  properties: {
    text: { type: 'string', minLength: 1 },
    source: SOURCE_FIELD,
  },
};

export const COMMON_STEP_FIELDS: Record<string, JsonSchema> = {
  name: { type: 'string', minLength: 1, description: 'What the step does, in words an admin reads in the progress output.' },
  id: {
    type: 'string',
    pattern: '^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?$',
    description:
      'A stable id for resume, --from, --only and site overlays: lower-case letters, digits, ".", "_", "/" and "-", starting and ending with a letter or digit. Derived from the section, groups and name when absent.',
  },
  description: { type: 'string', description: 'Why the step exists: the guide reasoning behind it.' },
  when: { ...EXPRESSION, description: 'Run the step only when this CEL expression is true.' },
  until: {
    ...EXPRESSION,
    description: 'Repeat the step (with the retry backoff) until this CEL expression over its output (`result`) is true.',
  },
  retries: { type: 'integer', minimum: 0, maximum: 100, description: 'How many times a transient failure is retried.' },
  backoff: {
    type: 'object',
    additionalProperties: false,
    description: 'Delay between retries: the first delay, then multiplied by factor up to max.',
    properties: { delay: DURATION, factor: { type: 'number', minimum: 1 }, max: DURATION },
  },
  timeout: { ...DURATION, description: 'Longest time one attempt may take; the attempt is aborted after it.' },
  register: {
    type: 'string',
    pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
    description:
      'Save the step output under this name for later steps (templates and expressions): letters, digits and _, not starting with a digit, e.g. ocVersion. Inside a forEach the value belongs to the current item.',
  },
  tags: { type: 'array', items: { type: 'string' }, description: 'Labels for --only and --skip.' },
  source: {
    anyOf: [GUIDE_ITEM_REF, { type: 'array', minItems: 1, items: GUIDE_ITEM_REF }],
    description: 'The guide item(s) this step implements, by id (e.g. 000.ocp-stable): `runbook coverage` lists them.',
  },
  continueOnError: { type: 'boolean', description: 'A failure of this step is recorded but does not stop the run.' },
  confirm: {
    type: 'string',
    description:
      'A manual gate before the step runs: the question shown. Passed by --yes, --approve ID (ID[ITEM-KEY] or ID[*] inside a loop) or an answer on a terminal.',
  },
};

/** Keys that make a node a group, a loop or an inline import rather than a step of some type. */
export const STRUCTURE_FIELDS: Record<string, JsonSchema> = {
  steps: { type: 'array', description: 'Nested steps: a group, or the body of a forEach.' },
  forEach: {
    type: 'object',
    additionalProperties: false,
    required: ['items'],
    description: 'Run the nested steps once per item, with per-item checkpoints.',
    properties: {
      items: { description: 'A CEL expression, a template, or a literal list.' },
      as: {
        type: 'string',
        pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
        description: 'Name of the loop variable (default item): letters, digits and _, not starting with a digit.',
      },
      key: { ...EXPRESSION, description: 'Expression giving each item a stable key (default: its name or index).' },
      concurrency: { type: 'integer', minimum: 1, maximum: 64, description: 'How many items run at once (default 1).' },
    },
  },
  import: { type: 'string', description: 'Run another runbook file here, as a group (path relative to this file, or runbook:NAME for a shipped runbook).' },
  vars: { type: 'object', description: 'With import: values for the imported runbook vars (templates allowed).' },
};

export const VAR_SPEC: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'A var is a mapping of type, default, description, required and secret, e.g. dscName: { default: default-dsc }.',
  properties: {
    type: {
      enum: ['string', 'number', 'boolean', 'list', 'object'],
      description: 'The type of the value: string (the default), number (integers too), boolean, list or object.',
    },
    default: { description: 'The value used when none is given.' },
    description: { type: 'string' },
    required: { type: 'boolean', description: 'A value must be given (with --var, --vars-file or an import).' },
    secret: {
      type: 'boolean',
      description: 'Holds a credential: redacted from logs, state files and reports; never stored, so a resume asks again.',
    },
  },
};

export const IMPORT_SPEC: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['file'],
  properties: {
    file: { type: 'string', description: 'A runbook file, relative to this one, or runbook:NAME for a runbook shipped with runbook (runbook:upgrade-2.25-to-3.3.yaml).' },
    vars: { type: 'object', description: 'Values for its vars (templates over this runbook vars allowed).' },
  },
};

export const SECTION_SPEC: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9-]*$',
      description: 'Lower-case letters, digits and "-", e.g. assess, before, during, after, verify.',
    },
    description: { type: 'string' },
    source: SOURCE_FIELD,
    steps: { type: 'array' },
  },
};

/**
 * A site's change to the steps of the runbooks it imports, by step id: add steps before or after
 * one, replace one, or skip one. Exactly one of before, after, replace and skip.
 */
export const OVERLAY_SPEC: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Add steps before or after a step id, replace a step, or skip one: exactly one of before, after, replace and skip.',
  oneOf: [{ required: ['before', 'steps'] }, { required: ['after', 'steps'] }, { required: ['replace', 'steps'] }, { required: ['skip'] }],
  properties: {
    before: { type: 'string', minLength: 1, description: 'Insert `steps` before the step with this id.' },
    after: { type: 'string', minLength: 1, description: 'Insert `steps` after the step with this id.' },
    replace: { type: 'string', minLength: 1, description: 'Put `steps` in place of the step with this id.' },
    skip: { type: 'string', minLength: 1, description: 'Never run the step with this id (or the group and everything in it).' },
    reason: { type: 'string', description: 'Why: shown in the plan and the report.' },
    steps: { type: 'array', minItems: 1, description: 'The site steps, written as in a section; their vars are this runbook vars.' },
  },
};

export const RUNBOOK_SPEC: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata'],
  properties: {
    apiVersion: { const: API_VERSION, description: `The format version: ${API_VERSION}.` },
    kind: { const: 'Runbook', description: 'Always Runbook.' },
    metadata: {
      type: 'object',
      description: 'The runbook name (required), a description and labels.',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: {
          type: 'string',
          pattern: '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$',
          description:
            'The runbook name, part of every run id: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit, e.g. upgrade-2-25-to-3-3.',
        },
        description: { type: 'string' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    vars: {
      type: 'object',
      propertyNames: {
        pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
        description:
          'Var names are letters, digits and _, not starting with a digit, so templates and expressions can use them: e.g. dscName, not dsc-name.',
      },
      additionalProperties: VAR_SPEC,
    },
    imports: { type: 'array', items: IMPORT_SPEC },
    sections: { type: 'array', items: SECTION_SPEC },
    overlays: {
      type: 'array',
      items: OVERLAY_SPEC,
      description: 'Changes to the steps of the imported runbooks by step id, applied in order: before, after, replace, skip.',
    },
    guides: {
      type: 'array',
      items: { type: 'string', pattern: '^[a-z0-9]+$' },
      description: 'The guides this runbook implements (runbooks/guide-items/): runbook coverage lists their items. Default: every guide its steps name in source.',
    },
    followUps: {
      type: 'array',
      items: { anyOf: [{ type: 'string', minLength: 1 }, NOTE_SPEC] },
      description: 'What no runbook can do for the admin: listed at the end of the run report (a sentence, or { text, source }).',
    },
    signOffs: {
      type: 'array',
      items: NOTE_SPEC,
      description: 'What only a person can confirm (no cluster can answer it): a checklist in the run report, each with the guide items it answers.',
    },
  },
};

export const DEFAULT_BACKOFF = { delayMs: 1000, factor: 2, maxDelayMs: 30_000 };

export function parseDuration(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const m of String(value).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * units[m[2]!]!;
  return total;
}
