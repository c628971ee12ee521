// What a node sees when it runs: the values its expressions and templates read, and the context a
// step's code is given.
import type { Redactor } from '../contract/redact.js';
import type { DryRunMode, StepContext, StepServices } from '../contract/step-type.js';
import { evaluate } from '../runbook/expressions.js';
import { walkNodes } from '../runbook/plan-walk.js';
import { renderText } from '../runbook/template.js';
import type { Plan, StepNode } from '../runbook/types.js';
import type { ResolvedVars } from '../runbook/vars.js';
import type { EventListener } from './events.js';
import type { RunState } from './state.js';

/**
 * Every register of the plan as null: a register no step has set yet (skipped by when, --only or
 * --skip) reads as null, not as an unknown variable.
 */
function unsetRegisters(plan: Plan): Record<string, null> {
  const names = walkNodes(plan.sections.flatMap((s) => s.nodes)).flatMap(({ node }) => (node.register ? [node.register] : []));
  return Object.fromEntries(names.map((n) => [n, null]));
}

/**
 * The registers steps read, as a run starts: every register of the plan, null unless the state
 * holds a value a step outside a loop registered. A loop item's own values are kept in the state
 * under the item's key (`name[key]`) and reach its steps as loop variables, not through here:
 * copying them into every step's values cost O(items) per step, O(items²) for a loop whose body
 * registers.
 */
export function registersAtStart(plan: Plan, registered: Record<string, unknown>): Record<string, unknown> {
  return { ...unsetRegisters(plan), ...Object.fromEntries(Object.entries(registered).filter(([name]) => !name.includes('['))) };
}

/**
 * The values a node's expressions and templates read, in the var scope of its file: its vars,
 * `registers` (see registersAtStart) and its loop's.
 */
export function nodeValues(
  run: { vars: ResolvedVars; state: RunState; dryRun: DryRunMode },
  registers: Record<string, unknown>,
  scope: string,
  loopVars: Record<string, unknown>,
): Record<string, unknown> {
  const values = run.vars.scopes[scope] ?? {};
  return {
    ...values,
    ...registers,
    vars: values,
    // run.now: when the step starts, for annotations and time-window guards (timestamp(run.now)).
    run: { id: run.state.runId, dryRun: run.dryRun !== 'none', now: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
    ...loopVars,
  };
}

/** The context a step's code runs with; what it logs is redacted. */
export function stepContext(
  run: { state: RunState; dryRun: DryRunMode; runDir: string; redactor: Redactor; services: Partial<StepServices>; onEvent: EventListener },
  stepId: string,
  node: StepNode,
  context: Record<string, unknown>,
  signal: AbortSignal,
): StepContext {
  const file = node.at.file;
  return {
    runId: run.state.runId,
    stepId,
    stepName: node.name,
    vars: context,
    dryRun: run.dryRun,
    signal,
    runDir: run.runDir,
    // Paths a step names are relative to the file it is written in.
    baseDir: file.slice(0, Math.max(0, file.lastIndexOf('/'))) || '.',
    log: (message) => run.onEvent({ type: 'step:log', id: stepId, message: run.redactor.redact(message) }),
    evaluate: (expression, extra) => evaluate(expression, { ...context, ...extra }),
    render: (template, extra) => renderText(template, { ...context, ...extra }),
    redact: (text) => run.redactor.redact(text),
    services: run.services,
  };
}
