// The overlays of the runbook that is run, applied in order to the plan its sections and imports
// make: each finds its step by id and adds the site's steps beside it, in its place, or marks it
// skipped (overlays.ts finds the place).
import { dirname } from 'node:path';
import { buildNodes } from './build-nodes.js';
import type { LoadSession, RawRunbook } from './load-session.js';
import { findNode, markSkipped, missingTarget } from './overlays.js';
import { positionOf, type SourceFile } from './source.js';
import type { AppliedOverlay, Section } from './types.js';

/**
 * An id that does not exist is an error with a suggestion. Site steps are built in the root scope,
 * with the loop variables in force where they land.
 */
export async function applyOverlays(session: LoadSession, source: SourceFile, raw: RawRunbook, sections: Section[]): Promise<AppliedOverlay[]> {
  const applied: AppliedOverlay[] = [];
  for (const [i, o] of (raw.overlays ?? []).entries()) {
    if (!o || typeof o !== 'object' || Array.isArray(o)) continue; // The format check reported it.
    const op = (['before', 'after', 'replace', 'skip'] as const).find((k) => typeof o[k] === 'string');
    if (!op) continue;
    const target = o[op]!;
    const at = positionOf(source, ['overlays', i]);
    const site = findNode(sections, target);
    if (!site) {
      session.problems.push(missingTarget(sections, op, target, positionOf(source, ['overlays', i, op]), (f) => session.display(f)));
      continue;
    }
    const record: AppliedOverlay = { op, target, at, ...(o.reason ? { reason: o.reason } : {}), added: [] };
    applied.push(record);
    if (op === 'skip') {
      markSkipped(site.node, `skipped by the overlay at ${session.display(at.file)}:${at.line}${o.reason ? `: ${o.reason}` : ''}`);
      continue;
    }
    if (!Array.isArray(o.steps)) continue;
    const nodes = await buildNodes(session, o.steps, ['overlays', i, 'steps'], {
      source,
      baseDir: dirname(source.file),
      scope: '',
      parentId: site.parentId,
      loopVars: site.loopVars,
      chain: [source.file],
    });
    for (const n of nodes) n.overlay = record;
    record.added = nodes.map((n) => n.id);
    const index = site.list.indexOf(site.node);
    if (op === 'before') site.list.splice(index, 0, ...nodes);
    else if (op === 'after') site.list.splice(index + 1, 0, ...nodes);
    else site.list.splice(index, 1, ...nodes);
  }
  return applied;
}
