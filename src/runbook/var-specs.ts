// The vars a runbook file declares, read from its (schema-checked) `vars:` mapping, with the
// problems the schema cannot see: a default of the wrong type, a secret with a default.
import type { Problem, SourcePosition } from '../contract/errors.js';
import { positionOf, type SourceFile, type YamlPath } from './source.js';
import { isTemplate, RESERVED_HELPER_NAMES } from './template.js';
import type { VarSpec, VarType } from './types.js';

const VAR_TYPES: readonly string[] = ['string', 'number', 'boolean', 'list', 'object'];

/** A default that is a template: it may use only the vars declared before it (`known`). */
export interface TemplatedDefault {
  name: string;
  text: string;
  path: YamlPath;
  known: string[];
}

export function readVarSpecs(
  source: SourceFile,
  vars: Record<string, Record<string, unknown> | null | undefined>,
): { specs: VarSpec[]; problems: Problem[]; defaults: TemplatedDefault[] } {
  const specs: VarSpec[] = [];
  const problems: Problem[] = [];
  const defaults: TemplatedDefault[] = [];
  for (const [name, spec] of Object.entries(vars)) {
    const type = (spec?.type as VarType | undefined) ?? 'string';
    const at = positionOf(source, ['vars', name], true);
    const v: VarSpec = {
      name,
      type,
      default: spec?.default,
      description: spec?.description as string | undefined,
      required: spec?.required === true,
      secret: spec?.secret === true,
      at,
    };
    const taken = helperNameProblem(name, 'var', () => at);
    if (taken) problems.push(taken);
    // An unknown type is reported by the schema check; judging the default by it would repeat that.
    const judged = VAR_TYPES.includes(type) && v.default !== undefined && v.default !== null && !isTemplate(v.default);
    if (judged && !matchesType(v.default, type)) {
      problems.push({
        message: `var "${name}": default ${JSON.stringify(v.default)} is not a ${type}`,
        hint: `change the default, or declare the var as type: ${inferType(v.default)}`,
        at: positionOf(source, ['vars', name, 'default']),
      });
    }
    if (v.secret && v.default !== undefined) {
      problems.push({
        message: `var "${name}" is secret but has a default value written in the runbook`,
        hint: `remove the default and pass the value at run time (--var, --vars-file or RUNBOOK_VAR_${name})`,
        at: positionOf(source, ['vars', name, 'default']),
      });
    }
    if (isTemplate(v.default)) {
      defaults.push({ name, text: v.default, path: ['vars', name, 'default'], known: specs.map((s) => s.name) });
    }
    specs.push(v);
  }
  return { specs, problems, defaults };
}

/**
 * A name that templates cannot read because a helper of that name is called instead (`{{ log }}`
 * renders empty): refused wherever a runbook names a value (`what`: var, register, forEach.as).
 * `at` is asked for only when there is a problem: a position costs more than the check.
 */
export function helperNameProblem(name: string, what: string, at: () => SourcePosition): Problem | undefined {
  if (!RESERVED_HELPER_NAMES.has(name)) return undefined;
  return {
    message: `${what} "${name}" has the name of a template helper: "{{ ${name} }}" would call the helper, not read the value`,
    hint: `rename it, e.g. "${name}Value"; these names are taken by helpers: ${[...RESERVED_HELPER_NAMES].join(', ')}`,
    at: at(),
  };
}

function matchesType(value: unknown, type: VarType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'list':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
  }
}

function inferType(value: unknown): VarType {
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'number' || typeof value === 'boolean') return typeof value as VarType;
  if (typeof value === 'object') return 'object';
  return 'string';
}
