// Validators compiled to code at build time stand in for ajv at run time, so they must report
// exactly what ajv compiling the same schema reports: the problems a user reads are made from
// those errors. And the build must have made one for every schema of ours.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { ownSchemas } from '../../../src/build/schema-catalog.js';
import { validatorsModule } from '../../../src/build/schema-validators.js';
import type { JsonSchema } from '../../../src/contract/step-type.js';
import { GENERATED_FILE, type GeneratedValidators, newAjv, schemaKey } from '../../../src/runbook/schema-compile.js';
import { FORMATS } from '../../../src/runbook/schema-formats.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
// The generated module imports nothing (its formats and require() are handed in): anywhere will do.
const work = mkdtempSync(join(tmpdir(), 'runbook-schema-validators-'));
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
  it('report the same errors as ajv compiling the same schema', () => {
    const schemas = Object.values(ownSchemas());
    const file = join(work, 'validators.cjs');
    writeFileSync(file, validatorsModule(schemas));
    const generated = validatorsIn(file);
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

  it('are built for every schema of ours (npm run build)', () => {
    const built = join(root, 'dist/runbook', GENERATED_FILE);
    expect(existsSync(built), `${built} is built (npm run build)`).toBe(true);
    const generated = validatorsIn(built);
    const missing = Object.entries(ownSchemas()).filter(([, s]) => typeof generated[schemaKey(s)] !== 'function');
    expect(missing.map(([name]) => name)).toEqual([]);
  });
});

/** The validators a generated module makes, given our formats and a require() that finds ajv, as schema-compile.ts does. */
function validatorsIn(file: string): Record<string, ValidateFunction> {
  const require = createRequire(import.meta.url);
  const { validators } = require(file) as { validators: GeneratedValidators };
  return validators(FORMATS, require);
}
