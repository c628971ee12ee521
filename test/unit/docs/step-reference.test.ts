// The generated step reference: every step type shows at least one example, every example is a
// valid step (the loader accepts it inside a minimal runbook declaring the vars its templates
// use), and the committed pages in docs/steps are exactly what the generator writes.
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { formatProblem } from '../../../src/contract/errors.js';
import { fieldRows, renderStepDocs, stepDocsDir, typeText } from '../../../src/docs/step-reference.js';
import type { AnyStepType } from '../../../src/contract/step-type.js';
import { CEL_NAMES, freeNames } from '../../../src/runbook/expression-names.js';
import { loadRunbook } from '../../../src/runbook/loader.js';
import { inspectTemplate } from '../../../src/runbook/template.js';
import { BUILTIN_STEPS, builtinRegistry } from '../../../src/steps/index.js';

/** Names the templates of a value read, each typed object when read through a dotted path. */
function templateVars(value: unknown, found = new Map<string, 'string' | 'object'>()): Map<string, 'string' | 'object'> {
  if (typeof value === 'string' && value.includes('{{')) {
    for (const ref of inspectTemplate(value).refs) {
      if (ref.path.includes('.') || found.get(ref.name) === 'object') found.set(ref.name, 'object');
      else found.set(ref.name, 'string');
    }
  } else if (Array.isArray(value)) value.forEach((v) => templateVars(v, found));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => templateVars(v, found));
  return found;
}

/**
 * Names the expression fields of an example read that the step does not add itself: the reader's
 * registers and loop variables, declared here as vars.
 */
function expressionVars(type: AnyStepType, input: unknown, found: Map<string, 'string' | 'object'>): void {
  const visit = (v: unknown, field: string): void => {
    if (field && type.expressionFields?.includes(field)) {
      for (const e of [v].flat()) {
        if (typeof e !== 'string') continue;
        for (const use of freeNames(e) ?? []) {
          if (use.name !== 'vars' && !CEL_NAMES.has(use.name) && !(type.expressionNames?.[field] ?? []).includes(use.name)) found.set(use.name, 'object');
        }
      }
    } else if (Array.isArray(v)) v.forEach((x) => visit(x, `${field}[]`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) visit(x, field ? `${field}.${k}` : k);
  };
  visit(input, '');
}

describe('step reference', () => {
  it('every step type has at least one example', () => {
    const without = BUILTIN_STEPS.filter((t) => t.examples.length === 0).map((t) => t.name);
    expect(without).toEqual([]);
  });

  describe('every example is a valid step', () => {
    const cases = BUILTIN_STEPS.flatMap((type) => type.examples.map((example, i) => ({ type: type.name, i, example })));
    it.each(cases)('$type example $i', async ({ type, i, example }) => {
      const steps = parse(example) as unknown[];
      expect(Array.isArray(steps), 'an example is a YAML list of steps').toBe(true);
      expect((steps[0] as Record<string, unknown>)[type], `the example uses the ${type} key`).toBeDefined();
      const read = templateVars(steps);
      for (const step of steps) expressionVars(BUILTIN_STEPS.find((t) => t.name === type)!, (step as Record<string, unknown>)[type], read);
      const vars = Object.fromEntries([...read].map(([name, t]) => [name, { type: t }]));
      const dir = await mkdtemp(join(tmpdir(), 'runbook-docs-'));
      const file = join(dir, `${type}-${i}.yaml`);
      // Files an example names (an apply template) are the reader's own: they exist beside it.
      for (const field of BUILTIN_STEPS.find((t) => t.name === type)!.fileFields ?? []) {
        const named = (steps[0] as Record<string, Record<string, unknown>>)[type]![field];
        if (typeof named === 'string') {
          await mkdir(dirname(join(dir, named)), { recursive: true });
          await writeFile(join(dir, named), '');
        }
      }
      await writeFile(
        file,
        stringify({ apiVersion: 'runbook.dev/v1', kind: 'Runbook', metadata: { name: 'example' }, ...(Object.keys(vars).length ? { vars } : {}), sections: [{ name: 'main', steps }] }),
      );
      const loaded = await loadRunbook(file, { registry: builtinRegistry() });
      expect(loaded.problems.map(formatProblem)).toEqual([]);
      expect(loaded.plan).toBeDefined();
    });
  });

  it('the committed pages in docs/steps are what the generator writes (run `npm run docs` after changing a step type)', async () => {
    const pages = renderStepDocs();
    const dir = stepDocsDir();
    const committed = (await readdir(dir)).filter((f) => f.endsWith('.md')).sort();
    expect(committed, 'docs/steps has a page per step type and an index; run `npm run docs`').toEqual([...pages.keys()].sort());
    for (const [file, content] of pages) {
      expect(await readFile(join(dir, file), 'utf8'), `docs/steps/${file} is out of date: run \`npm run docs\``).toBe(content);
    }
  });

  it('flattens nested inputs with dotted names and refers to a repeated schema', () => {
    const wait = BUILTIN_STEPS.find((t) => t.name === 'wait')!;
    const rows = fieldRows(wait.input);
    expect(rows.find((r) => r.name === 'for.condition.type')).toMatchObject({ type: 'string', required: true });
    expect(rows.find((r) => r.name === 'failWhen')?.description).toMatch(/Each item has the fields of `for`/);
    expect(rows.some((r) => r.name.startsWith('failWhen[]'))).toBe(false);
    const backup = BUILTIN_STEPS.find((t) => t.name === 'backup')!;
    expect(fieldRows(backup.input).map((r) => r.name)).toContain('objects[].labelSelector');
  });

  it('names types in words', () => {
    expect(typeText({ enum: ['merge', 'json'] })).toBe('`"merge"` or `"json"`');
    expect(typeText({ type: 'array', items: { type: 'string' } })).toBe('list of string');
    expect(typeText({ anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] })).toBe('string or list of string');
    expect(typeText({ type: 'object', additionalProperties: { type: 'string' } })).toBe('map of string');
    expect(typeText({ type: 'integer', minimum: 1, maximum: 64 })).toBe('integer (≥ 1, ≤ 64)');
    expect(typeText({})).toBe('any');
  });
});
