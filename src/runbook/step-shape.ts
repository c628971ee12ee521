// What a step node is (a step of one type, a group, a loop or an import), decided from its keys.
// Every key that fits none is reported as an unknown field or an unknown step type, by which
// it resembles more.
import type { Problem, SourcePosition } from '../contract/errors.js';
import type { StepRegistry } from '../contract/registry.js';
import { COMMON_STEP_FIELDS, STRUCTURE_FIELDS } from './format.js';
import { positionOf, type SourceFile, type YamlPath } from './source.js';
import { didYouMean, suggestion } from './suggest.js';

export type Shape = { kind: 'step'; type: string } | { kind: 'import' } | { kind: 'forEach' } | { kind: 'group' };

/** Decides what a node is, reporting every key that does not fit; no shape when it cannot tell. */
export function classifyStep(
  step: Record<string, unknown>,
  path: YamlPath,
  label: string,
  source: SourceFile,
  registry: StepRegistry,
): { shape?: Shape; problems: Problem[] } {
  const problems: Problem[] = [];
  const keys = Object.keys(step);
  // `confirm` is both a common field (a question, before any step) and a step type (a mapping).
  const typeKeys = keys.filter((k) => registry.has(k) && !(k in COMMON_STEP_FIELDS && typeof step[k] !== 'object'));
  const structure = keys.filter((k) => k in STRUCTURE_FIELDS && !(k in COMMON_STEP_FIELDS));
  const unknown = keys.filter((k) => !(k in COMMON_STEP_FIELDS) && !(k in STRUCTURE_FIELDS) && !typeKeys.includes(k));
  const commonNames = Object.keys(COMMON_STEP_FIELDS);
  let typeGuessed = false;
  let ambiguous = false;
  for (const key of unknown) {
    // Sorted names for suggestions, only once there is something to suggest for.
    const kindNames = [...registry.names(), 'steps', 'forEach', 'import'];
    const typeList = `Step types: ${registry.names().join(', ')}; or "steps" for a group`;
    // Without any type, an unknown key is most likely a misspelt type, unless it looks like a
    // misspelt common field (retires) more than like a type.
    const asType =
      typeKeys.length === 0 && structure.length === 0 && !(didYouMean(key, commonNames) && !didYouMean(key, kindNames));
    typeGuessed ||= asType;
    problems.push({
      message: asType ? `${label}: unknown step type "${key}"` : `${label}: unknown field "${key}"`,
      hint: asType
        ? suggestion(key, kindNames, typeList)
        : suggestion(key, [...commonNames, ...kindNames], `Fields of every step: ${commonNames.join(', ')}`),
      at: positionOf(source, [...path, key], true),
    });
  }
  const kinds = [...typeKeys, ...(structure.includes('import') ? ['import'] : [])];
  if (kinds.length > 1) {
    ambiguous = true;
    problems.push({
      message: `${label}: a step has exactly one type, found ${kinds.map((k) => `"${k}"`).join(' and ')}`,
      hint: 'split it into two steps, or nest them under "steps" as a group',
      at: positionOf(source, [...path, kinds[1]!], true),
    });
  }
  const nested = structure.includes('forEach') ? 'forEach' : structure.includes('steps') ? 'steps' : undefined;
  if (kinds.length > 0 && nested) {
    ambiguous = true;
    problems.push({
      message: `${label}: "${kinds[0]}" cannot be combined with "${nested}"`,
      // `confirm: { message }` is the confirm step type; a question before a group is the string form.
      hint:
        kinds[0] === 'confirm'
          ? `to ask before the ${nested === 'steps' ? 'group' : 'loop'} runs, give the question as a string: confirm: "…"; or put a confirm step inside it under "steps"`
          : 'put the step inside the group or loop under "steps"',
      at: positionOf(source, [...path, kinds[0]!], true),
    });
  }
  if (structure.includes('vars') && !structure.includes('import')) {
    problems.push({
      message: `${label}: "vars" is only allowed together with "import"`,
      hint: 'vars binds the vars of an imported runbook; declare runbook vars at the top level under vars:',
      at: positionOf(source, [...path, 'vars'], true),
    });
  }
  if (structure.includes('forEach') && !structure.includes('steps')) {
    ambiguous = true;
    problems.push({
      message: `${label}: "forEach" needs "steps", the steps to run for each item`,
      hint: 'add steps: with the steps to repeat, indented under the loop',
      at: positionOf(source, [...path, 'forEach'], true),
    });
  }
  if (kinds.length === 0 && nested === undefined && !typeGuessed) {
    problems.push({
      message: `${label}: no step type`,
      hint: `add one of: ${registry.names().join(', ')}; or "steps" for a group`,
      at: positionOf(source, path),
    });
    return { problems };
  }
  if (ambiguous || typeGuessed) return { problems };
  if (typeKeys.length === 1) return { shape: { kind: 'step', type: typeKeys[0]! }, problems };
  if (structure.includes('import')) return { shape: { kind: 'import' }, problems };
  return { shape: { kind: nested === 'forEach' ? 'forEach' : 'group' }, problems };
}

/** What to say about a list item that is not a step mapping at all. */
export function notAMapping(raw: unknown, types: readonly string[], at: SourcePosition): Problem {
  const typeHint = `one step type (${types.join(', ')})`;
  if (typeof raw === 'string') {
    return {
      message: `step "${raw}" is text, but a step is a mapping with a name and one step type`,
      hint: `write - name: ${raw} and add ${typeHint}`,
      at,
    };
  }
  if (raw === null || raw === undefined) {
    return { message: 'empty step', hint: `remove the lone "-", or write a name and ${typeHint} after it`, at };
  }
  return {
    message: `a step must be a mapping with a name and one step type, not ${Array.isArray(raw) ? 'a list' : `a ${typeof raw}`}`,
    hint: Array.isArray(raw) ? 'nested steps go under "steps" of a group that has a name' : `write - name: ... and add ${typeHint}`,
    at,
  };
}
