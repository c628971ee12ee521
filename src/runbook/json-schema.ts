// The JSON Schema of the whole format, for editors (yaml-language-server and the like): the
// format declarations plus every step type's declared input, composed here and nowhere else.
import type { StepRegistry } from '../contract/registry.js';
import type { JsonSchema } from '../contract/step-type.js';
import { COMMON_STEP_FIELDS, RUNBOOK_SPEC, SECTION_SPEC, STRUCTURE_FIELDS } from './format.js';
import { OWN_FORMATS } from './schema-formats.js';

/**
 * A step schema without the formats only runbook checks (a semver range): an editor's validator
 * would refuse an unknown format, and the field's description says what it takes.
 */
function withoutOwnFormats(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutOwnFormats);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k, v]) => !(k === 'format' && typeof v === 'string' && OWN_FORMATS.has(v)))
      .map(([k, v]) => [k, withoutOwnFormats(v)]),
  );
}

export function runbookJsonSchema(registry: StepRegistry): JsonSchema {
  const stepRef = { $ref: '#/definitions/step' };
  const variants: JsonSchema[] = registry.all().map((t) => ({
    title: t.name,
    description: t.summary,
    type: 'object',
    additionalProperties: false,
    required: ['name', t.name],
    properties: { ...COMMON_STEP_FIELDS, [t.name]: { description: t.summary, ...(withoutOwnFormats(t.input) as JsonSchema) } },
  }));
  variants.push(
    {
      title: 'group',
      type: 'object',
      additionalProperties: false,
      required: ['name', 'steps'],
      properties: { ...COMMON_STEP_FIELDS, steps: { ...STRUCTURE_FIELDS.steps, items: stepRef } },
    },
    {
      title: 'forEach',
      type: 'object',
      additionalProperties: false,
      required: ['name', 'forEach', 'steps'],
      properties: { ...COMMON_STEP_FIELDS, forEach: STRUCTURE_FIELDS.forEach, steps: { ...STRUCTURE_FIELDS.steps, items: stepRef } },
    },
    {
      title: 'import',
      type: 'object',
      additionalProperties: false,
      required: ['name', 'import'],
      properties: { ...COMMON_STEP_FIELDS, import: STRUCTURE_FIELDS.import, vars: STRUCTURE_FIELDS.vars },
    },
  );
  const properties = RUNBOOK_SPEC.properties as Record<string, JsonSchema>;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://runbook.dev/schema/runbook-v1.json',
    title: 'Runbook',
    ...RUNBOOK_SPEC,
    properties: {
      ...properties,
      sections: {
        type: 'array',
        items: { ...SECTION_SPEC, properties: { ...(SECTION_SPEC.properties as object), steps: { type: 'array', items: stepRef } } },
      },
    },
    definitions: { step: { anyOf: variants } },
  };
}
