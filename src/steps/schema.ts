// Step inputs as typed data. A step declares its input schema `as const`: validation, the editor
// JSON Schema and docs/steps read the schema, and the step's input type is derived from the same
// declaration (json-schema-to-ts, at compile time only), so schema and type cannot drift. Defaults
// are declared in the schema (`default:`) and read from there; validation does not fill them in,
// so a defaulted field stays optional in the input type and the step reads `?? DEFAULTS.field`.
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { DURATION as DURATION_DATA } from '../runbook/format.js';

/**
 * The runbook format's duration (a string such as 5m, or a number of seconds), with the shape the
 * derived input types need: format.ts declares it as plain JsonSchema data.
 */
export const DURATION = DURATION_DATA as { readonly description: string; readonly anyOf: readonly [{ readonly type: 'string' }, { readonly type: 'number' }] };

/** The input a step receives for a schema (after templating), defaulted fields left optional. */
export type InputOf<S extends JSONSchema> = FromSchema<S, { keepDefaultedPropertiesOptional: true }>;

/** The `default` of each property of an object schema that declares one. */
export type Defaults<S> = S extends { readonly properties: infer P }
  ? { readonly [K in keyof P as P[K] extends { readonly default: unknown } ? K : never]: P[K] extends { readonly default: infer D } ? D : never }
  : never;

/** The declared defaults of an object schema's properties, for a step to read them from one place. */
export function defaultsOf<const S extends { readonly properties: Readonly<Record<string, object>> }>(schema: S): Defaults<S> {
  return Object.fromEntries(Object.entries(schema.properties).flatMap(([key, field]) => ('default' in field ? [[key, field.default]] : []))) as Defaults<S>;
}

/** An object schema made of these properties, at the type level: for fragments shared by steps. */
export type ObjectOf<P, R extends readonly string[] = readonly []> = { readonly type: 'object'; readonly additionalProperties: false; readonly required: R; readonly properties: P };

// Compile-time checks for a type json-schema-to-ts cannot derive exactly, so it stays written out:
// `type _Check = Holds<Same<Written, InputOf<typeof SCHEMA>>>` fails to compile when they drift.
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type Fits<A, B> = [A] extends [B] ? true : false;
export type Holds<T extends true> = T;
