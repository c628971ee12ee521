// The expressions and templates of a runbook as the loader meets them: an expression's syntax and
// functions are checked at once; the names expressions and templates read are queued on the
// session, to be checked once every file is read and every register is known.
import { functionNames, syntaxError, unknownFunction } from './expressions.js';
import { walkInput, type InputFields } from './input-walk.js';
import type { BuildContext, LoadSession } from './load-session.js';
import { positionOf, positionWithin, type SourceFile, type YamlPath } from './source.js';
import { didYouMean } from './suggest.js';
import { isTemplate } from './template.js';

/**
 * Checks an expression's syntax now and, given the names in force (`names`), the names it reads
 * once every register is known.
 */
export function checkExpression(
  session: LoadSession,
  expression: string,
  path: YamlPath,
  label: string,
  source: SourceFile,
  names?: { ctx: BuildContext; extra?: readonly string[] },
): void {
  if (isTemplate(expression)) {
    session.problems.push({
      message: `${label}: expressions are CEL, not templates: remove the {{ }}`,
      hint: `write e.g. vars.dscName == "default-dsc" instead of "{{ dscName }}" == "default-dsc"`,
      at: positionOf(source, path),
    });
    return;
  }
  const error = syntaxError(expression);
  const unknown = error ? undefined : unknownFunction(expression);
  if (error) {
    session.problems.push({
      message: `${label}: invalid expression: ${error.message}`,
      hint: 'expressions use CEL syntax, e.g. vars.mode == "RawDeployment" && size(items) > 0',
      at: positionWithin(source, path, error.offset),
    });
  } else if (unknown) {
    const known = functionNames();
    const guess = didYouMean(unknown.name, known);
    session.problems.push({
      message: `${label}: unknown function "${unknown.name}" in expression`,
      hint: `${guess ? `did you mean "${guess}"? ` : ''}the functions: ${[...known].filter((f) => /^[a-z]/.test(f)).sort().join(', ')}`,
      at: positionWithin(source, path, unknown.offset),
    });
  } else if (names) {
    const { ctx, extra = [] } = names;
    session.expressions.push({ expression, scope: ctx.scope, loopVars: ctx.loopVars, extra, source, path, subject: label });
  }
}

/** A template written at `path`, queued to have its names checked in the scope of `ctx`. */
export function pendTemplate(session: LoadSession, text: string, path: YamlPath, subject: string, ctx: BuildContext): void {
  session.templates.push({ text, scope: ctx.scope, loopVars: ctx.loopVars, source: ctx.source, path, subject });
}

/**
 * Every expression and template in a step's input, checked or queued. `exprNames`: the names the
 * step adds when it evaluates each expression field (none for a field not listed).
 */
export function collectExpressionsAndTemplates(
  session: LoadSession,
  value: unknown,
  path: YamlPath,
  fields: InputFields,
  subject: string,
  ctx: BuildContext,
  exprNames: Readonly<Record<string, readonly string[]>> = {},
): void {
  walkInput(value, fields, {
    template: (text, at) => pendTemplate(session, text, [...path, ...at], subject, ctx),
    expression: (v, at, field) => collectExpressions(session, v, [...path, ...at], subject, { ctx, extra: exprNames[field] ?? [] }),
  });
}

/**
 * An expression field holds one CEL expression or a list of them (assert's `that`); its names are
 * checked like a `when`'s, plus the ones the step adds for it.
 */
function collectExpressions(
  session: LoadSession,
  value: unknown,
  path: YamlPath,
  subject: string,
  names: { ctx: BuildContext; extra: readonly string[] },
): void {
  if (typeof value === 'string') checkExpression(session, value, path, subject, names.ctx.source, names);
  else if (Array.isArray(value)) value.forEach((v, i) => collectExpressions(session, v, [...path, i], subject, names));
}
