// The loader no longer checks each schema against the JSON Schema meta-schema as it compiles it
// (src/runbook/schema-compile.ts): every schema of ours is checked here instead. And the catalog
// the build compiles to code must hold every schema that loading the shipped runbooks and
// scenarios meets: one it lacks would be compiled at every start, and never checked here.
import { Ajv } from 'ajv';
import { describe, expect, it, vi } from 'vitest';
import type { JsonSchema } from '../../../src/contract/step-type.js';

const compiledAtLoad: JsonSchema[] = [];
vi.mock('../../../src/runbook/schema-compile.js', async (original) => {
  const real = await original<typeof import('../../../src/runbook/schema-compile.js')>();
  return {
    ...real,
    compileSchema: (schema: JsonSchema) => {
      compiledAtLoad.push(schema);
      return real.compileSchema(schema);
    },
  };
});

const { ownSchemas } = await import('../../../src/build/schema-catalog.js');
const { schemaKey } = await import('../../../src/runbook/schema-compile.js');
const { OWN_FORMATS } = await import('../../../src/runbook/schema-formats.js');
const { BUILTIN_STEPS, builtinRegistry } = await import('../../../src/steps/index.js');

describe('the schemas of runbook', () => {
  it('are all valid JSON Schemas', () => {
    const metaCheck = new Ajv({ strict: false, allowUnionTypes: true, validateFormats: false });
    for (const name of OWN_FORMATS) metaCheck.addFormat(name, true);
    const schemas = Object.entries(ownSchemas());
    expect(schemas.length).toBe(BUILTIN_STEPS.length + 6);
    for (const [name, schema] of schemas) expect(metaCheck.validateSchema(schema), `${name}: ${JSON.stringify(metaCheck.errors)}`).toBe(true);
  });

  it('are all in the catalog the build compiles, for every schema loading the shipped runbooks and scenarios meets', async () => {
    const { loadRunbook } = await import('../../../src/runbook/loader.js');
    const { loadScenario, shippedScenarios } = await import('../../../src/sandbox/scenario/load.js');
    const loaded = await loadRunbook('runbooks/upgrade-2.25-to-3.3.yaml', { registry: builtinRegistry(), provided: {} });
    expect(loaded.problems).toEqual([]);
    for (const name of await shippedScenarios()) await loadScenario(name);
    expect(compiledAtLoad.length).toBeGreaterThan(5);
    const known = new Set(Object.values(ownSchemas()).map(schemaKey));
    expect(compiledAtLoad.filter((s) => !known.has(schemaKey(s))).map((s) => JSON.stringify(s).slice(0, 200))).toEqual([]);
  }, 60_000);
});
