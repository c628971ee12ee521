// Step input schemas as typed data: the defaults a step applies are the ones its schema declares,
// and every declared default is also said in the field's description, which the reference pages
// in docs/steps print, so the schema, the code and the docs agree.
import { describe, expect, it } from 'vitest';
import type { JsonSchema } from '../../../src/contract/step-type.js';
import { parseDuration } from '../../../src/runbook/format.js';
import { DEFAULT_WAIT_MS, TIMEOUT } from '../../../src/steps/kube/fragments.js';
import { BUILTIN_STEPS } from '../../../src/steps/index.js';
import { defaultsOf } from '../../../src/steps/schema.js';

/** Every field of a schema that declares a default, with its path. */
function defaulted(schema: JsonSchema, path = ''): { path: string; field: JsonSchema }[] {
  const out: { path: string; field: JsonSchema }[] = [];
  for (const [key, field] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
    const at = `${path}${key}`;
    if ('default' in field) out.push({ path: at, field });
    out.push(...defaulted(field, `${at}.`));
    if (field.items && typeof field.items === 'object') out.push(...defaulted(field.items as JsonSchema, `${at}[].`));
  }
  return out;
}

describe('defaultsOf', () => {
  it('gives the default of each property that declares one, and no other', () => {
    const schema = {
      type: 'object',
      properties: { wait: { type: 'boolean', default: true }, mode: { enum: ['a', 'b'], default: 'a' }, name: { type: 'string' } },
    } as const;
    expect(defaultsOf(schema)).toEqual({ wait: true, mode: 'a' });
  });

  it('a schema without defaults has none', () => {
    expect(defaultsOf({ properties: { name: { type: 'string' } } })).toEqual({});
  });
});

describe('the built-in step types', () => {
  const cases = BUILTIN_STEPS.flatMap((type) => defaulted(type.input).map(({ path, field }) => ({ type: type.name, path, field })));

  it('declare the defaults they apply', () => {
    const names = new Set(cases.map((c) => `${c.type}.${c.path}`));
    for (const expected of ['delete.wait', 'patch.type', 'patch.mustExist', 'apply.mode', 'http.method', 'http.expectStatus', 'http.timeout', 'exec.successCodes', 'podExec.successCodes', 'writeFile.mode', 'backup.keepStatus', 'assert.severity', 'wait.for.condition.status', 'installOperator.approval']) {
      expect(names, expected).toContain(expected);
    }
  });

  it.each(cases)('$type $path: the description says the default', ({ field }) => {
    const value = typeof field.default === 'string' ? field.default : JSON.stringify(field.default);
    expect(String(field.description)).toMatch(/default/i);
    expect(String(field.description)).toContain(value);
  });

  it('the wait of a step without a timeout is the timeout field default', () => {
    expect(DEFAULT_WAIT_MS).toBe(parseDuration(TIMEOUT.default));
    expect(DEFAULT_WAIT_MS).toBe(10 * 60_000);
  });
});
