// `source:` references from steps, sections, follow-ups and sign-offs to guide items: read in one
// shape (a list of ids) and checked against the guide items shipped with runbook, so a typo in an
// id is caught at load, with the closest id, rather than showing up as a gap in `runbook coverage`.
import type { Problem, SourcePosition } from '../contract/errors.js';
import { loadGuides } from './guide-items.js';
import type { RunbookNote } from './types.js';
import { positionOf, type SourceFile } from './source.js';
import { suggestion } from './suggest.js';

export interface GuideRef {
  id: string;
  at: SourcePosition;
}

/** `source: a` or `source: [a, b]` as a list; anything else (already refused by the schema) as none. */
export function sourceIds(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return undefined;
}

/** The follow-ups or sign-offs written at the top of one runbook file, with where each `source:` id is. */
export function readNotes(source: SourceFile, key: 'followUps' | 'signOffs'): { note: RunbookNote; refs: GuideRef[] }[] {
  const list = (source.value as Record<string, unknown> | null)?.[key];
  if (!Array.isArray(list)) return [];
  const notes: { note: RunbookNote; refs: GuideRef[] }[] = [];
  for (const [i, entry] of list.entries()) {
    const at = positionOf(source, [key, i]);
    if (typeof entry === 'string') {
      notes.push({ note: { text: entry, source: [], at }, refs: [] });
      continue;
    }
    const { text, source: written } = (entry ?? {}) as { text?: unknown; source?: unknown };
    if (typeof text !== 'string') continue;
    const ids = sourceIds(written) ?? [];
    const refs = ids.map((id, j) => ({ id, at: positionOf(source, typeof written === 'string' ? [key, i, 'source'] : [key, i, 'source', j]) }));
    notes.push({ note: { text, source: ids, at }, refs });
  }
  return notes;
}

/**
 * Refs to a guide runbook ships items for must name one of its items. Refs to other guides (a
 * site's own) are the site's business.
 */
export async function checkGuideRefs(refs: readonly GuideRef[]): Promise<Problem[]> {
  if (refs.length === 0) return [];
  const { guides } = await loadGuides();
  const byGuide = new Map(guides.map((g) => [g.name, new Set(g.items.map((i) => i.id))]));
  const problems: Problem[] = [];
  for (const ref of refs) {
    const guide = ref.id.slice(0, ref.id.indexOf('.'));
    const ids = byGuide.get(guide);
    if (!ids || ids.has(ref.id)) continue;
    problems.push({
      message: `source: guide ${guide} has no item "${ref.id}"`,
      hint: suggestion(ref.id, ids, `its items are listed in runbooks/guide-items/${guide}.yaml (runbook coverage lists them too)`),
      at: ref.at,
    });
  }
  return problems;
}
