// Imports: where an import path points, and an imported file read as a new var scope, with the
// vars it declares, the bindings the importer gives them, and no cycle through the files above.
import type { SourcePosition } from '../contract/errors.js';
import { extname, join, relative, resolve } from 'node:path';
import { packageRoot } from '../package-root.js';
import { readNotesOf } from './common-fields.js';
import type { BuildContext, LoadSession, RawRunbook } from './load-session.js';
import { readRunbookFile } from './read-runbook.js';
import { positionOf, type SourceFile, type YamlPath } from './source.js';
import { suggestion } from './suggest.js';
import { isTemplate } from './template.js';
import type { VarSpec } from './types.js';
import { readVarSpecs } from './var-specs.js';

/**
 * An import path: relative to the importing file, or `runbook:NAME` for a runbook shipped with
 * runbook (runbook:upgrade-2.25-to-3.3.yaml), so a site's runbook follows the installed release.
 */
export const SHIPPED_PREFIX = 'runbook:';

export function resolveImport(baseDir: string, written: string): string {
  return written.startsWith(SHIPPED_PREFIX) ? join(packageRoot(), 'runbooks', written.slice(SHIPPED_PREFIX.length)) : resolve(baseDir, written);
}

/** The vars a file declares; templated defaults are checked with the other templates. */
export function readVars(session: LoadSession, source: SourceFile, raw: RawRunbook): VarSpec[] {
  const { specs, problems, defaults } = readVarSpecs(source, raw.vars ?? {});
  session.problems.push(...problems);
  for (const d of defaults) {
    session.templates.push({ text: d.text, scope: '', known: d.known, loopVars: [], source, path: d.path, subject: `var "${d.name}"` });
  }
  return specs;
}

export interface ImportedFile {
  source: SourceFile;
  raw: RawRunbook;
  /** The var scope the file's nodes are built in. */
  scope: string;
}

/** Loads an imported file as a new var scope bound by `bindings`. */
export async function importFile(
  session: LoadSession,
  file: string,
  written: string,
  at: SourcePosition,
  ctx: Omit<BuildContext, 'baseDir' | 'loopVars'> & { loopVars?: readonly string[] },
  bindings: Record<string, unknown>,
  bindingsPath: YamlPath,
  scopeId = `${ctx.scope ? ctx.scope + '>' : ''}${relative(session.rootDir, file)}`,
): Promise<ImportedFile | undefined> {
  if (ctx.chain.includes(file)) {
    const cycle = [...ctx.chain.slice(ctx.chain.indexOf(file)), file].map((f) => session.display(f)).join(' → ');
    session.problems.push({
      message: `import cycle: ${cycle}`,
      hint: 'a runbook may not import itself, directly or through other files; move the shared steps into a file both import',
      at,
    });
    return undefined;
  }
  const source = await readRunbookFile(session, file, { at, written });
  if (!source) return undefined;
  const raw = source.value as RawRunbook;
  let id = scopeId;
  for (let n = 2; session.scopes[id]; n++) id = `${scopeId}#${n}`;
  const vars = readVars(session, source, raw);
  readNotesOf(session, source);
  const path = relative(session.rootDir, file);
  const qualifiers = [...new Set([raw.metadata?.name, path.slice(0, path.length - extname(path).length), path].filter((q): q is string => typeof q === 'string' && q !== ''))];
  session.scopes[id] = { id, file, vars, bindings, parent: ctx.scope, qualifiers };
  session.importSites.set(id, at);
  const declared = vars.map((v) => v.name);
  for (const [name, value] of Object.entries(bindings)) {
    if (!declared.includes(name)) {
      session.problems.push({
        message: `import of ${session.display(file)}: it declares no var "${name}"`,
        hint: declared.length ? suggestion(name, declared, `Its vars: ${declared.join(', ')}`) : 'that runbook declares no vars',
        at: positionOf(ctx.source, [...bindingsPath, name], true),
      });
    }
    if (isTemplate(value)) {
      // Bindings are rendered once, before the run, with the importer's vars only: no registered
      // outputs or loop variables exist yet (loopVars is kept for the hint only).
      session.templates.push({
        text: value,
        scope: ctx.scope,
        known: [...session.varNames(ctx.scope)],
        loopVars: ctx.loopVars ?? [],
        source: ctx.source,
        path: [...bindingsPath, name],
        subject: `import binding "${name}"`,
      });
    }
  }
  return { source, raw, scope: id };
}
