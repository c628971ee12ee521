// A registered output read before any step could have set it: in run order (sections, groups,
// loop bodies, imports as placed), a template or expression of a step names a register that only
// a later step (or a skipped one) sets. It would read null at run time and fail, or worse, go on
// with nothing; found here, at the step that reads it, naming the step that sets it.
import type { Problem } from '../contract/errors.js';
import type { StepRegistry } from '../contract/registry.js';
import { freeNames } from './expression-names.js';
import { walkInput, type InputFields } from './input-walk.js';
import { inspectTemplate, isTemplate } from './template.js';
import { walkPlan } from './plan-walk.js';
import type { Plan, PlanNode } from './types.js';

/** `varNames`: the var names of a scope of the plan (the loader gathers each scope's once). */
export function checkRegisterFlow(plan: Plan, registry: StepRegistry, varNames: (scope: string) => ReadonlySet<string>): Problem[] {
  // Every register and the first step that sets it, to name in the message.
  const setters = new Map<string, PlanNode>();
  for (const { node: n } of walkPlan(plan.sections)) {
    if (n.register && !n.skipReason && !setters.has(n.register)) setters.set(n.register, n);
  }

  const problems: Problem[] = [];
  const set = new Set<string>();
  const check = (node: PlanNode, names: Iterable<string>, loopVars: ReadonlySet<string>): void => {
    const reported = new Set<string>();
    for (const name of names) {
      if (!setters.has(name) || reported.has(name) || set.has(name) || varNames(node.scope).has(name) || loopVars.has(name)) continue;
      reported.add(name);
      const setter = setters.get(name)!;
      problems.push({
        message: `step "${node.name}" reads "${name}" before any step registers it: step "${setter.name}" (${setter.at.file}:${setter.at.line}) runs later`,
        hint: 'move the step that registers it before this one, or read it only where it is set',
        at: node.at,
      });
    }
  };
  const walk = (node: PlanNode, loopVars: ReadonlySet<string>): void => {
    const reads = [...expressionNames(node.when), ...(node.kind === 'forEach' ? [...valueNames(node.items), ...expressionNames(node.key)] : [])];
    if (node.kind === 'step') {
      const type = registry.get(node.type);
      reads.push(...inputNames(node.input, type ?? {}));
    }
    check(node, reads, loopVars);
    if (node.kind === 'forEach') {
      const inner = new Set([...loopVars, node.as]);
      node.children.forEach((c) => walk(c, inner));
    } else if (node.kind === 'group') {
      node.children.forEach((c) => walk(c, loopVars));
    }
    // `until` sees the step's own output as `result`; registers it names must be set by then.
    check(node, expressionNames(node.until), loopVars);
    if (node.register && !node.skipReason) set.add(node.register);
  };
  plan.sections.forEach((s) => s.nodes.forEach((n) => walk(n, new Set())));
  return problems;
}

function expressionNames(expression: unknown): string[] {
  if (typeof expression !== 'string') return [];
  return (freeNames(expression) ?? []).map((u) => u.name);
}

function templateNames(text: string): string[] {
  return inspectTemplate(text).refs.map((r) => r.name);
}

/** A forEach `items`: an expression, a template, or a literal list. */
function valueNames(value: unknown): string[] {
  if (typeof value !== 'string') return [];
  return isTemplate(value) ? templateNames(value) : expressionNames(value);
}

/** Names a step input reads: its templates, and its expression fields (`for.expression`, `failWhen[].expression`). */
function inputNames(input: unknown, fields: InputFields): string[] {
  const out: string[] = [];
  walkInput(input, fields, {
    template: (text) => out.push(...templateNames(text)),
    expression: (v) => {
      if (typeof v === 'string') out.push(...expressionNames(v));
      else if (Array.isArray(v)) v.forEach((e) => typeof e === 'string' && out.push(...expressionNames(e)));
    },
  });
  return out;
}
