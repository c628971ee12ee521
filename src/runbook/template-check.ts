// Templates are checked once the whole runbook is read, when every var, registered output and
// loop variable is known: a syntax error, an unknown helper or an unknown name is reported at the
// spot in the file where it is written, with what the author most likely meant.
import type { Problem } from '../contract/errors.js';
import { positionWithin, type SourceFile, type YamlPath } from './source.js';
import { didYouMean, suggestion } from './suggest.js';
import { HELPER_NAMES, inspectTemplate } from './template.js';

/** Names every template and expression may use besides vars, registers and loop variables. */
export const BUILTIN_NAMES: ReadonlySet<string> = new Set(['vars', 'run']);

export interface PendingTemplate {
  text: string;
  /** The var scope it is rendered in. */
  scope: string;
  loopVars: readonly string[];
  source: SourceFile;
  path: YamlPath;
  /** What holds it, for messages: `step "Run" (exec)`, `var "url"`. */
  subject: string;
  /** The only names it may use, when rendered before the run (var defaults, import bindings). */
  known?: readonly string[];
}

export interface ScopeNames {
  /** The vars the templates of a scope can use. */
  varNames(scope: string): ReadonlySet<string>;
  /** The scope that imported this one, if any. */
  parentOf(scope: string): string | undefined;
  /** Every register name in the runbook. */
  registers: ReadonlySet<string>;
}

export function checkTemplates(templates: readonly PendingTemplate[], names: ScopeNames): Problem[] {
  const problems: Problem[] = [];
  for (const t of templates) {
    const { refs, helpers, error } = inspectTemplate(t.text);
    if (error) {
      problems.push({
        message: `${t.subject}: template syntax: ${error.message}`,
        hint: 'templates are handlebars: {{ name }}, {{ helper arg }}, {{#if cond}}…{{/if}}',
        at: positionWithin(t.source, t.path, error.offset),
      });
      continue;
    }
    for (const h of helpers) {
      if (HELPER_NAMES.has(h.name)) continue;
      problems.push({
        message: `${t.subject}: unknown template helper "${h.name}"`,
        hint: suggestion(h.name, HELPER_NAMES, `Helpers: ${[...HELPER_NAMES].join(', ')}`),
        at: positionWithin(t.source, t.path, h.offset),
      });
    }
    const vars = names.varNames(t.scope);
    // Asked name by name; the set of every name in force is built only for a suggestion (see
    // checkExpressionNames).
    const isKnown = (name: string) => (t.known ? t.known.includes(name) : vars.has(name) || names.registers.has(name) || t.loopVars.includes(name) || BUILTIN_NAMES.has(name));
    for (const ref of refs) {
      const field = ref.name === 'vars' && !t.known ? ref.path.split('.')[1] : undefined;
      if (field !== undefined && !vars.has(field)) {
        const guess = didYouMean(field, vars);
        problems.push({
          message: `${t.subject}: unknown var "vars.${field}" in template`,
          hint: `${guess ? `did you mean "vars.${guess}"? ` : ''}vars here: ${[...vars].join(', ') || 'none'}`,
          at: positionWithin(t.source, t.path, ref.offset + 'vars.'.length),
        });
      }
      if (isKnown(ref.name)) continue;
      const known = new Set(t.known ?? [...vars, ...names.registers, ...t.loopVars, ...BUILTIN_NAMES]);
      problems.push({
        message: `${t.subject}: unknown variable "${ref.path}" in template`,
        hint: unknownVariableHint(t, ref.name, known, names),
        at: positionWithin(t.source, t.path, ref.offset),
      });
    }
  }
  return problems;
}

function unknownVariableHint(t: PendingTemplate, name: string, known: ReadonlySet<string>, names: ScopeNames): string {
  if (t.known && names.varNames(t.scope).has(name)) {
    return `vars get their values in the order they are declared: declare "${name}" before this var`;
  }
  if (t.known && (names.registers.has(name) || BUILTIN_NAMES.has(name) || t.loopVars.includes(name))) {
    return `this template is rendered before the run, with vars only: "${name}" does not exist yet`;
  }
  for (let s = names.parentOf(t.scope); s !== undefined; s = names.parentOf(s)) {
    if (names.varNames(s).has(name)) {
      return `"${name}" is a var of the importing runbook, which this file cannot see: declare it here too (vars: { ${name}: {} }) to receive its value by name`;
    }
    if (s === '') break;
  }
  const guess = didYouMean(name, known);
  const loops = t.loopVars.length ? ` (loop variables here: ${t.loopVars.join(', ')})` : '';
  return `${guess ? `did you mean "${guess}"? ` : ''}declare it under vars:, register it from an earlier step, or fix the name${loops}`;
}
