// The fields every node has, whatever its shape (name, when, retries, register, source, ...), and
// its id: read and checked in place, so messages name the fields as written. Also the `source:`
// guide references of sections and of each file's follow-ups and sign-offs, which are read the
// same way and checked against the guide items once the plan is built.
import type { SourcePosition } from '../contract/errors.js';
import type { JsonSchema } from '../contract/step-type.js';
import { COMMON_STEP_FIELDS, DEFAULT_BACKOFF, parseDuration } from './format.js';
import { readNotes, sourceIds } from './guide-refs.js';
import type { BuildContext, LoadSession, RawSection } from './load-session.js';
import { checkExpression, pendTemplate } from './pending-checks.js';
import { checkAgainstSchema } from './schema-check.js';
import { positionOf, type SourceFile, type YamlPath } from './source.js';
import { isTemplate } from './template.js';
import type { CommonFields } from './types.js';
import { helperNameProblem } from './var-specs.js';

// A module constant: the schema checker caches compiled validators per schema object.
export const COMMON_NODE: JsonSchema = { type: 'object', required: ['name'], properties: COMMON_STEP_FIELDS };

/** A node's common fields, or undefined when one of them is wrong (the problems recorded). */
export function readCommon(session: LoadSession, step: Record<string, unknown>, path: YamlPath, label: string, ctx: BuildContext): CommonFields | undefined {
  const { source } = ctx;
  const common: Record<string, unknown> = {};
  for (const k of Object.keys(COMMON_STEP_FIELDS)) {
    // A step type named like a common field (`confirm`) is the step, not the field.
    if (k in step && !(session.registry.has(k) && typeof step[k] === 'object')) common[k] = step[k];
  }
  const before = session.problems.length;
  session.problems.push(...checkAgainstSchema(common, COMMON_NODE, source, path, { subject: label }));
  if (typeof common.when === 'string') checkExpression(session, common.when, [...path, 'when'], label, source, { ctx });
  // until reads the attempt's output as `result`.
  if (typeof common.until === 'string') checkExpression(session, common.until, [...path, 'until'], label, source, { ctx, extra: ['result'] });
  if (typeof common.confirm === 'string' && isTemplate(common.confirm)) pendTemplate(session, common.confirm, [...path, 'confirm'], label, ctx);
  if (typeof common.register === 'string') session.registers.add(common.register);
  if (session.problems.length > before) return undefined;
  // Reported without dropping the step: the rest of it is still checked.
  const taken = typeof common.register === 'string' && helperNameProblem(common.register, 'register', () => positionOf(source, [...path, 'register']));
  if (taken) session.problems.push(taken);
  const backoff = common.backoff as { delay?: unknown; factor?: number; max?: unknown } | undefined;
  return {
    name: common.name as string,
    description: common.description as string | undefined,
    when: common.when as string | undefined,
    until: common.until as string | undefined,
    retries: (common.retries as number | undefined) ?? 0,
    backoff: {
      delayMs: parseDuration(backoff?.delay) ?? DEFAULT_BACKOFF.delayMs,
      factor: backoff?.factor ?? DEFAULT_BACKOFF.factor,
      maxDelayMs: parseDuration(backoff?.max) ?? DEFAULT_BACKOFF.maxDelayMs,
    },
    timeoutMs: parseDuration(common.timeout),
    register: common.register as string | undefined,
    tags: (common.tags as string[] | undefined) ?? [],
    ...sourceRefs(session, source, common.source, [...path, 'source']),
    continueOnError: common.continueOnError === true,
    confirm: common.confirm as string | undefined,
  };
}

/** The common fields of a node the loader makes itself (a group per imported section). */
export function defaultsOf(name: string): CommonFields {
  return { name, retries: 0, backoff: { ...DEFAULT_BACKOFF }, tags: [], continueOnError: false };
}

/**
 * An explicit id is claimed (even on an otherwise broken step, to find duplicates); else derived.
 * `at` is where the step is written (`path`).
 */
export function allocateId(session: LoadSession, step: Record<string, unknown>, name: string | undefined, path: YamlPath, ctx: BuildContext, at: SourcePosition): string {
  const stepName = typeof step.name === 'string' ? step.name : '(unnamed)';
  if (typeof step.id === 'string') {
    const idAt = positionOf(ctx.source, [...path, 'id']);
    if (!session.ids.claim(step.id)) {
      const first = session.idSites.get(step.id);
      session.problems.push({
        message: `duplicate step id "${step.id}"${first ? `: step "${first.name}" at ${session.where(first.at)} has it too` : ''}`,
        hint: 'step ids must be unique across the runbook and its imports; rename one of them',
        at: idAt,
      });
    } else {
      session.idSites.set(step.id, { at: idAt, name: stepName });
    }
    return step.id;
  }
  if (name === undefined) return '';
  const id = session.ids.derive(ctx.parentId, name);
  session.idSites.set(id, { at, name: stepName });
  return id;
}

/** A `source:` as ids, each remembered with its place to be checked against the guide items. */
function sourceRefs(session: LoadSession, source: SourceFile, value: unknown, path: YamlPath): { source?: string[] } {
  const ids = sourceIds(value);
  if (!ids) return {};
  for (const [i, id] of ids.entries()) session.guideRefs.push({ id, at: positionOf(source, typeof value === 'string' ? path : [...path, i]) });
  return { source: ids };
}

/** A section's `source:`, added to what other files say of a section of the same name. */
export function readSectionSource(session: LoadSession, source: SourceFile, section: RawSection, index: number): void {
  const read = sourceRefs(session, source, section.source, ['sections', index, 'source']).source;
  if (read) session.sectionSources.set(section.name, [...(session.sectionSources.get(section.name) ?? []), ...read]);
}

/** Follow-ups and sign-offs of every file, the imported ones included, each said once. */
export function readNotesOf(session: LoadSession, source: SourceFile): void {
  for (const [key, into] of [['followUps', session.followUps], ['signOffs', session.signOffs]] as const) {
    for (const { note, refs } of readNotes(source, key)) {
      session.guideRefs.push(...refs);
      const same = into.find((n) => n.text === note.text);
      if (same) same.source = [...new Set([...same.source, ...note.source])];
      else into.push(note);
    }
  }
}
