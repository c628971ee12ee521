// The templates and expressions of a step's input, found in one walk of it. A step type declares
// which fields hold CEL (`expressionFields`, e.g. `for.expression`, `failWhen[].expression`, a
// list element being `[]`) and which top-level fields are left as written (`rawFields`); every
// other string with `{{` is a template. The loader checks what this finds, and the flow check
// reads the names in it.
//
// The walk meets every value of every input (the shipped upgrade: tens of thousands): it keeps
// one stack of keys for the path, copied only for what it finds, and spells out a field's name
// only where an expression field can lie below it.
import { isTemplate } from './template.js';

export interface InputFinds {
  /** A template, at `at` (below the input; the array is reused: copy it to keep it). */
  template(text: string, at: readonly (string | number)[]): void;
  /** The value of expression field `field` (a string, or a list of them). */
  expression(value: unknown, at: readonly (string | number)[], field: string): void;
}

const NONE: readonly string[] = [];
const fieldSets = new WeakMap<readonly string[], { exact: ReadonlySet<string>; prefixes: ReadonlySet<string> }>();

/**
 * The declared fields, and '' with every name that starts one (`failWhen`, `failWhen[]` and
 * `failWhen[].expression`): below any other, no expression field lies.
 */
function fieldSetsOf(fields: readonly string[]): { exact: ReadonlySet<string>; prefixes: ReadonlySet<string> } {
  let sets = fieldSets.get(fields);
  if (!sets) {
    const prefixes = new Set(['']);
    for (const f of fields) {
      for (const m of f.matchAll(/\[\]|\./g)) prefixes.add(f.slice(0, m.index)).add(f.slice(0, m.index + (m[0] === '[]' ? 2 : 0)));
      prefixes.add(f);
    }
    fieldSets.set(fields, (sets = { exact: new Set(fields), prefixes }));
  }
  return sets;
}

/** What a step type says of its input's fields (contract/step-type.ts); none: every field is plain. */
export interface InputFields {
  expressionFields?: readonly string[];
  rawFields?: readonly string[];
}

export function walkInput(input: unknown, fields: InputFields, finds: InputFinds): void {
  const { exact, prefixes } = fieldSetsOf(fields.expressionFields ?? NONE);
  const rawFields = fields.rawFields ?? NONE;
  const at: (string | number)[] = [];
  // `field` is the value's name as expressionFields spell it, or undefined where none can match.
  const visit = (v: unknown, field: string | undefined): void => {
    if (field && exact.has(field)) {
      finds.expression(v, at, field);
      return;
    }
    if (typeof v === 'string') {
      if (isTemplate(v)) finds.template(v, at);
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    const deeper = field !== undefined && prefixes.has(field);
    if (Array.isArray(v)) {
      const itemField = deeper ? `${field}[]` : undefined;
      for (let i = 0; i < v.length; i++) {
        at.push(i);
        visit(v[i], itemField);
        at.pop();
      }
      return;
    }
    for (const k of Object.keys(v)) {
      if (field === '' && rawFields.includes(k)) continue;
      at.push(k);
      visit((v as Record<string, unknown>)[k], deeper ? (field ? `${field}.${k}` : k) : undefined);
      at.pop();
    }
  };
  visit(input, '');
}
