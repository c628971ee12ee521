// Validators compiled to code at build time stand in for ajv at run time, so they must report
// exactly what ajv compiling the same schema reports: the problems a user reads are made from
// those errors. And the build must have made one for every schema of ours.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { ownSchemas } from '../../../src/build/schema-catalog.js';
import { validatorsModule } from '../../../src/build/schema-validators.js';
import type { JsonSchema } from '../../../src/contract/step-type.js';
import { GENERATED_FILE, newAjv, schemaKey } from '../../../src/runbook/schema-compile.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
// Inside the package, so the generated code's require() of ajv's runtime helpers finds them.
const work = mkdtempSync(join(root, 'node_modules', '.cache', 'runbook-schema-validators-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Values each schema should refuse in several ways: nothing, an unknown field, every field of a wrong type. */
function wrongInputs(schema: JsonSchema): unknown[] {
  const fields = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
  return [
    {},
    { notAField: true },
    Object.fromEntries(fields.map((f) => [f, 42])),
    Object.fromEntries(fields.map((f) => [f, ['a', { b: 1 }]])),
    Object.fromEntries(fields.map((f) => [f, '>=3.3.2 <<3.4'])),
    'not a mapping',
  ];
}

describe('validators compiled to code', () => {
  it('report the same errors as ajv compiling the same schema', async () => {
    const schemas = Object.values(ownSchemas());
    // The generated code imports the formats as built (npm run build), as it does in dist/.
    expect(existsSync(join(root, 'dist/runbook/schema-formats.js')), 'runbook is built (npm run build)').toBe(true);
    const file = join(work, 'validators.mjs');
    writeFileSync(file, validatorsModule(schemas, pathToFileURL(join(root, 'dist/runbook/schema-formats.js')).href));
    const generated = (await import(pathToFileURL(file).href)) as Record<string, ValidateFunction>;
    const ajv = newAjv();
    let compared = 0;
    for (const schema of schemas) {
      const fromCode = generated[schemaKey(schema)]!;
      const compiled = ajv.compile(schema);
      for (const input of wrongInputs(schema)) {
        expect(fromCode(input)).toBe(compiled(input));
        expect(fromCode.errors ?? null).toEqual(compiled.errors ?? null);
        if (compiled.errors?.length) compared++;
      }
    }
    expect(compared).toBeGreaterThan(schemas.length * 3);
  }, 60_000);

  it('are built for every schema of ours (npm run build)', async () => {
    const built = join(root, 'dist/runbook', GENERATED_FILE);
    expect(existsSync(built), `${built} is built (npm run build)`).toBe(true);
    const generated = (await import(pathToFileURL(built).href)) as Record<string, unknown>;
    const missing = Object.entries(ownSchemas()).filter(([, s]) => typeof generated[schemaKey(s)] !== 'function');
    expect(missing.map(([name]) => name)).toEqual([]);
  });
});
