// The loader no longer checks each schema against the JSON Schema meta-schema as it compiles it
// (src/runbook/schema-compile.ts): every schema of ours is checked here instead, and the catalog
// the build compiles from holds every schema that loading the shipped upgrade meets.
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { ownSchemas } from '../../../src/build/schema-catalog.js';
import { OWN_FORMATS } from '../../../src/runbook/schema-formats.js';
import { BUILTIN_STEPS } from '../../../src/steps/index.js';

describe('the schemas of runbook', () => {
  it('are all valid JSON Schemas', () => {
    const metaCheck = new Ajv({ strict: false, allowUnionTypes: true, validateFormats: false });
    for (const name of OWN_FORMATS) metaCheck.addFormat(name, true);
    const schemas = Object.entries(ownSchemas());
    expect(schemas.length).toBe(BUILTIN_STEPS.length + 6);
    for (const [name, schema] of schemas) expect(metaCheck.validateSchema(schema), `${name}: ${JSON.stringify(metaCheck.errors)}`).toBe(true);
  });
});
