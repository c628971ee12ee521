// One validator per JSON Schema of ours. The schemas runbook ships are compiled to code when it is
// built (src/build/schema-validators.ts writes schema-validators.generated.cjs beside this file);
// compiling them with ajv at every start cost a run about 0.1 s and a full `validate` 0.4 s.
// A schema without generated code (a build without the step, or tests run from the sources) is
// compiled here, loading ajv only then. Both come from the same ajv and the same options, so they
// report the same errors.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { digest } from './digest.js';
import type { Ajv, Options, ValidateFunction } from 'ajv';
import type { JsonSchema } from '../contract/step-type.js';
import { FORMATS } from './schema-formats.js';

// verbose: errors carry their schema and data, whose descriptions and known fields become hints.
// validateSchema: false: every schema here is runbook's own, and checking each against the JSON
// Schema meta-schema cost every start a compile of the meta-schema; a test checks them all
// against it instead (test/unit/build/schema-catalog.test.ts).
export const AJV_OPTIONS: Options = { allErrors: true, strict: false, allowUnionTypes: true, verbose: true, validateSchema: false };

/** The name a schema's generated validator is exported under: a digest of its content. */
export function schemaKey(schema: JsonSchema): string {
  return `v${digest(schema, 24)}`;
}

export const GENERATED_FILE = 'schema-validators.generated.cjs';

/** What the generated module exports (src/build/schema-validators.ts). */
export type GeneratedValidators = (formats: typeof FORMATS, require: NodeJS.Require) => Record<string, ValidateFunction>;

let generated: Record<string, ValidateFunction | undefined> | undefined;

/**
 * The validators generated at build time, loaded on first use. The module is CommonJS, required
 * synchronously: the command line is one CommonJS bundle (tools/bundle-cli.mjs), where a
 * top-level await cannot be. A module of another shape (an older build) counts as none.
 */
function generatedValidators(): Record<string, ValidateFunction | undefined> {
  if (!generated) {
    const file = fileURLToPath(new URL(`./${GENERATED_FILE}`, import.meta.url));
    const require = createRequire(import.meta.url);
    // tools/bundle-cli.mjs puts the module into the bundle in place of this expression: keep it so.
    const loaded = (existsSync(file) ? require(file) : {}) as { validators?: unknown };
    generated = typeof loaded.validators === 'function' ? (loaded.validators as GeneratedValidators)(FORMATS, require) : {};
  }
  return generated;
}

let ajv: Ajv | undefined;

/** An ajv set up as runbook uses it; `code` options for generating validators. */
export function newAjv(code?: Options['code']): Ajv {
  // ajv is CommonJS: required when first needed, as a generated validator needs none of it.
  const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  const instance = new Ajv({ ...AJV_OPTIONS, ...(code ? { code } : {}) });
  for (const [name, f] of Object.entries(FORMATS)) instance.addFormat(name, { type: f.type, validate: f.validate });
  return instance;
}

/** The schema's validator: generated at build time when there is one, else compiled now. */
export function compileSchema(schema: JsonSchema): ValidateFunction {
  return generatedValidators()[schemaKey(schema)] ?? (ajv ??= newAjv()).compile(schema);
}
