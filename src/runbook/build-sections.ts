// A runbook's sections, in the order it writes them, each holding first what its top-level imports
// bring to a section of that name and then its own steps.
import { basename, dirname, extname } from 'node:path';
import { buildNodes } from './build-nodes.js';
import { readSectionSource } from './common-fields.js';
import { importFile, resolveImport, SHIPPED_PREFIX } from './imports.js';
import type { BuildContext, LoadSession, RawRunbook } from './load-session.js';
import { positionOf, type SourceFile } from './source.js';
import type { Section } from './types.js';

type SectionContext = Omit<BuildContext, 'source' | 'baseDir' | 'loopVars'>;

export async function buildSections(session: LoadSession, source: SourceFile, raw: RawRunbook, ctx: SectionContext): Promise<Section[]> {
  const baseDir = dirname(source.file);
  const sections: Section[] = [];
  const byName = new Map<string, Section>();
  const sectionFor = (name: string, description?: string): Section => {
    let s = byName.get(name);
    if (!s) {
      s = { name, description, nodes: [] };
      byName.set(name, s);
      sections.push(s);
    }
    return s;
  };
  for (const s of raw.sections ?? []) sectionFor(s.name, s.description);

  await mergeImports(session, source, raw, ctx, sectionFor);

  for (const [i, s] of (raw.sections ?? []).entries()) {
    readSectionSource(session, source, s, i);
    const parentId = ctx.parentId ? `${ctx.parentId}/${s.name}` : s.name;
    const nodes = await buildNodes(session, s.steps ?? [], ['sections', i, 'steps'], {
      source,
      baseDir,
      scope: ctx.scope,
      parentId,
      loopVars: [],
      chain: ctx.chain,
    });
    sectionFor(s.name).nodes.push(...nodes);
  }
  return sections;
}

/**
 * Top-level imports merge their sections into ours by name, before our own steps; an imported
 * file's own top-level imports are merged the same way, before its steps.
 */
async function mergeImports(
  session: LoadSession,
  source: SourceFile,
  raw: RawRunbook,
  ctx: SectionContext,
  sectionFor: (name: string, description?: string) => Section,
): Promise<void> {
  for (const [i, imp] of (raw.imports ?? []).entries()) {
    const at = positionOf(source, ['imports', i, 'file']);
    const file = resolveImport(dirname(source.file), imp.file);
    const written = imp.file.startsWith(SHIPPED_PREFIX) ? imp.file.slice(SHIPPED_PREFIX.length) : imp.file;
    const stem = basename(written, extname(written));
    const imported = await importFile(session, file, imp.file, at, { ...ctx, source }, imp.vars ?? {}, ['imports', i, 'vars']);
    if (!imported) continue;
    const chain = [...ctx.chain, file];
    await mergeImports(session, imported.source, imported.raw, { ...ctx, scope: imported.scope, chain }, sectionFor);
    for (const [si, s] of (imported.raw.sections ?? []).entries()) {
      readSectionSource(session, imported.source, s, si);
      const nodes = await buildNodes(session, s.steps ?? [], ['sections', si, 'steps'], {
        source: imported.source,
        baseDir: dirname(file),
        scope: imported.scope,
        parentId: ctx.parentId ? `${ctx.parentId}/${s.name}/${stem}` : `${s.name}/${stem}`,
        loopVars: [],
        chain,
      });
      sectionFor(s.name, s.description).nodes.push(...nodes);
    }
  }
}
