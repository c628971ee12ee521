// Builds plan nodes from the steps a runbook writes: a step of a registered type, a group, a
// forEach loop or an import. Shape, common fields and contents are each checked even when another
// part is wrong, so one pass reports every problem; a node is built only when none was found.
import { dirname, join, resolve } from 'node:path';
import type { SourcePosition } from '../contract/errors.js';
import type { JsonSchema } from '../contract/step-type.js';
import { packageRoot } from '../package-root.js';
import { allocateId, defaultsOf, readCommon } from './common-fields.js';
import { STRUCTURE_FIELDS } from './format.js';
import { importFile, resolveImport } from './imports.js';
import { inputExists } from './input-log.js';
import { isMapping, type BuildContext, type LoadSession, type RawSection } from './load-session.js';
import { checkExpression, collectExpressionsAndTemplates } from './pending-checks.js';
import { checkAgainstSchema } from './schema-check.js';
import { positionOf, type YamlPath } from './source.js';
import { classifyStep, notAMapping, type Shape } from './step-shape.js';
import { withDigest } from './digest.js';
import { isTemplate } from './template.js';
import type { CommonFields, PlanNode } from './types.js';
import { helperNameProblem } from './var-specs.js';

// Schemas for parts of a step node, checked in place so messages name fields as written. Module
// constants: the schema checker caches compiled validators per schema object.
export const IMPORT_NODE: JsonSchema = {
  type: 'object',
  properties: { import: STRUCTURE_FIELDS.import!, vars: STRUCTURE_FIELDS.vars! },
};
export const FOR_EACH_NODE: JsonSchema = { type: 'object', properties: { forEach: STRUCTURE_FIELDS.forEach! } };

interface ForEachSpec {
  items: unknown;
  as?: string;
  key?: string;
  concurrency?: number;
}

type NodeBase = CommonFields & { id: string; at: SourcePosition; scope: string };

type BuiltShape =
  | { kind: 'step'; type: string; input: unknown }
  | { kind: 'group'; children: PlanNode[] }
  | { kind: 'forEach'; forEach: ForEachSpec; children: PlanNode[] }
  | { kind: 'import'; sections: (base: NodeBase) => PlanNode[] };

/** The nodes of a list of steps written at `path`; the broken ones are left out (and reported). */
export async function buildNodes(session: LoadSession, steps: unknown[], path: YamlPath, ctx: BuildContext): Promise<PlanNode[]> {
  const nodes: PlanNode[] = [];
  for (const [i, raw] of steps.entries()) {
    const node = await buildNode(session, raw, [...path, i], ctx);
    if (node) nodes.push(node);
  }
  return nodes;
}

async function buildNode(session: LoadSession, raw: unknown, path: YamlPath, ctx: BuildContext): Promise<PlanNode | undefined> {
  const { source } = ctx;
  const at = positionOf(source, path);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    session.problems.push(notAMapping(raw, session.registry.names(), at));
    return undefined;
  }
  const step = raw as Record<string, unknown>;
  const label = typeof step.name === 'string' ? `step "${step.name}"` : 'step';
  const before = session.problems.length;

  const { shape, problems: shapeProblems } = classifyStep(step, path, label, source, session.registry);
  session.problems.push(...shapeProblems);
  const common = readCommon(session, step, path, label, ctx);
  const id = allocateId(session, step, common?.name, path, ctx, at);
  if (!shape) return undefined;
  const built = await buildShape(session, shape, step, path, label, ctx, id);
  if (!built || !common || session.problems.length > before) return undefined;
  const base = { ...common, id, at, scope: ctx.scope };
  if (built.kind === 'step') {
    return withDigest({ ...base, kind: 'step' as const, type: built.type, input: built.input }, () => ({ typeName: built.type, input: built.input, common }));
  }
  if (built.kind === 'forEach') {
    const { forEach: fe } = built;
    const node = { ...base, kind: 'forEach' as const, items: fe.items, as: fe.as ?? 'item', key: fe.key, concurrency: fe.concurrency ?? 1, children: built.children };
    return withDigest(node, () => ({ common, forEach: fe, children: built.children.map((c) => c.digest) }));
  }
  const children = built.kind === 'import' ? built.sections(base) : built.children;
  return withDigest({ ...base, kind: 'group' as const, children }, () => ({ common, children: children.map((c) => c.digest) }));
}

/** Checks (and builds the parts of) a node of a known shape. */
async function buildShape(
  session: LoadSession,
  shape: Shape,
  step: Record<string, unknown>,
  path: YamlPath,
  label: string,
  ctx: BuildContext,
  id: string,
): Promise<BuiltShape | undefined> {
  const { source } = ctx;
  if (shape.kind === 'step') {
    const type = session.registry.get(shape.type)!;
    const input = step[shape.type];
    const subject = `${label} (${shape.type})`;
    session.problems.push(
      ...checkAgainstSchema(input, type.input, source, [...path, shape.type], {
        subject,
        // A template is rendered at run time; its type is checked then.
        ignore: (_p, value) => isTemplate(value),
      }),
    );
    checkFileFields(session, input, type.fileFields ?? [], [...path, shape.type], subject, ctx);
    collectExpressionsAndTemplates(session, input, [...path, shape.type], type, subject, ctx, type.expressionNames);
    return { kind: 'step', type: shape.type, input };
  }

  if (shape.kind === 'import') return buildImport(session, step, path, label, ctx, id);

  const childSteps = step.steps;
  if (!Array.isArray(childSteps) || childSteps.length === 0) {
    session.problems.push({
      message: `${label}: "steps" must be a non-empty list of steps`,
      hint:
        shape.kind === 'forEach'
          ? 'list the steps to run for each item under "steps"'
          : 'list the steps of the group under "steps", or remove the group',
      at: positionOf(source, [...path, 'steps']),
    });
    return undefined;
  }
  if (shape.kind === 'forEach') {
    // Checked inside its parent, so messages name "forEach.as" rather than a bare "as".
    const structural = checkAgainstSchema({ forEach: step.forEach }, FOR_EACH_NODE, source, path, { subject: label });
    session.problems.push(...structural);
    const fe = (step.forEach ?? {}) as ForEachSpec;
    const as = typeof fe.as === 'string' ? fe.as : 'item';
    const taken = helperNameProblem(as, 'forEach.as', () => positionOf(source, [...path, 'forEach', 'as']));
    if (taken) session.problems.push(taken);
    if (typeof fe.items === 'string' && !isTemplate(fe.items)) {
      checkExpression(session, fe.items, [...path, 'forEach', 'items'], label, source, { ctx });
    } else {
      collectExpressionsAndTemplates(session, fe.items, [...path, 'forEach', 'items'], {}, label, ctx);
    }
    if (typeof fe.key === 'string') checkExpression(session, fe.key, [...path, 'forEach', 'key'], label, source, { ctx, extra: [as] });
    const children = await buildNodes(session, childSteps, [...path, 'steps'], { ...ctx, parentId: id, loopVars: [...ctx.loopVars, as] });
    return structural.length ? undefined : { kind: 'forEach', forEach: fe, children };
  }
  const children = await buildNodes(session, childSteps, [...path, 'steps'], { ...ctx, parentId: id });
  return { kind: 'group', children };
}

/**
 * An `import:` step: the imported file's steps in its own var scope, where the step stands. One
 * section is inlined; several become one group each, named after the section.
 */
async function buildImport(
  session: LoadSession,
  step: Record<string, unknown>,
  path: YamlPath,
  label: string,
  ctx: BuildContext,
  id: string,
): Promise<BuiltShape | undefined> {
  const { source } = ctx;
  const structural = checkAgainstSchema(step, IMPORT_NODE, source, path, { subject: label });
  session.problems.push(...structural);
  if (structural.length) return undefined;
  const written = step.import as string;
  const file = resolveImport(ctx.baseDir, written);
  const bindings = (step.vars as Record<string, unknown> | undefined) ?? {};
  const imported = await importFile(session, file, written, positionOf(source, [...path, 'import']), ctx, bindings, [...path, 'vars'], id);
  if (!imported) return undefined;
  const importedSections = imported.raw.sections ?? [];
  const single = importedSections.length === 1;
  const perSection: { section: RawSection; id: string; nodes: PlanNode[] }[] = [];
  for (const [si, s] of importedSections.entries()) {
    const sectionId = single ? id : session.ids.derive(id, s.name);
    const nodes = await buildNodes(session, s.steps ?? [], ['sections', si, 'steps'], {
      source: imported.source,
      baseDir: dirname(file),
      scope: imported.scope,
      parentId: sectionId,
      loopVars: ctx.loopVars,
      chain: [...ctx.chain, file],
    });
    perSection.push({ section: s, id: sectionId, nodes });
  }
  return {
    kind: 'import',
    sections: (base) =>
      single
        ? perSection[0]!.nodes
        : perSection.map(({ section, id: groupId, nodes }) =>
            withDigest(
              { ...base, ...defaultsOf(section.name), id: groupId, kind: 'group' as const, description: section.description, children: nodes, scope: imported.scope },
              () => nodes.map((n) => n.digest),
            ),
          ),
  };
}

/** Files a step names (an apply template) must exist now, not when the step is reached. */
function checkFileFields(session: LoadSession, input: unknown, fields: readonly string[], path: YamlPath, subject: string, ctx: BuildContext): void {
  if (!isMapping(input)) return;
  for (const field of fields) {
    const written = input[field];
    if (typeof written !== 'string' || isTemplate(written)) continue;
    const candidates = [resolve(ctx.baseDir, written), join(packageRoot(), 'templates', written)];
    if (candidates.some((c) => inputExists(c))) continue;
    session.problems.push({
      message: `${subject}: ${field} ${written}: no such file`,
      hint: `looked in ${candidates.join(' and ')}; paths are relative to the runbook file`,
      at: positionOf(ctx.source, [...path, field]),
    });
  }
}
