// The names in every expression (`when`, `until`, forEach, and the expression fields of step types)
// are checked once the whole runbook is read, like templates: a name that is no var, registered
// output, loop variable or name the step adds there (a wait's `object`, declared by the step type
// as expressionNames) is a typo that would otherwise fail the run when the step is reached.
import type { Problem } from '../contract/errors.js';
import { CEL_NAMES, freeNames } from './expression-names.js';
import { positionWithin, type SourceFile, type YamlPath } from './source.js';
import { didYouMean } from './suggest.js';
import { BUILTIN_NAMES, type ScopeNames } from './template-check.js';

export interface PendingExpression {
  expression: string;
  scope: string;
  loopVars: readonly string[];
  /** Names the evaluator adds for this expression: `result` for until, the loop variable for a key. */
  extra: readonly string[];
  source: SourceFile;
  path: YamlPath;
  subject: string;
}

export function checkExpressionNames(pending: readonly PendingExpression[], names: ScopeNames): Problem[] {
  const problems: Problem[] = [];
  for (const e of pending) {
    const vars = names.varNames(e.scope);
    // Asked name by name: a set of every name in force, built for each of a runbook's hundreds of
    // expressions, cost more than the rest of their checks. It is built only for a suggestion.
    const isKnown = (name: string) => vars.has(name) || names.registers.has(name) || e.loopVars.includes(name) || e.extra.includes(name) || BUILTIN_NAMES.has(name) || CEL_NAMES.has(name);
    for (const use of freeNames(e.expression) ?? []) {
      if (use.field !== undefined) {
        if (vars.has(use.field)) continue;
        const guess = didYouMean(use.field, vars);
        problems.push({
          message: `${e.subject}: unknown var "vars.${use.field}" in expression`,
          hint: `${guess ? `did you mean "vars.${guess}"? ` : ''}vars here: ${[...vars].join(', ') || 'none'}; write vars.?${use.field}.orValue(...) for a var that may be missing`,
          at: positionWithin(e.source, e.path, use.offset),
        });
      } else if (!isKnown(use.name)) {
        const guess = didYouMean(use.name, new Set([...vars, ...names.registers, ...e.loopVars, ...e.extra, ...BUILTIN_NAMES, ...CEL_NAMES]));
        const loops = e.loopVars.length ? ` (loop variables here: ${e.loopVars.join(', ')})` : '';
        const added = e.extra.length ? `; here also ${e.extra.join(', ')}` : '';
        problems.push({
          message: `${e.subject}: unknown name "${use.name}" in expression`,
          hint: `${guess ? `did you mean "${guess}"? ` : ''}expressions read vars, registered outputs and loop variables${loops}${added}`,
          at: positionWithin(e.source, e.path, use.offset),
        });
      }
    }
  }
  return problems;
}
