// Reads one runbook file for the loader: parsed, checked against the format, and kept only when
// the parts the loader reads have the right shape. Each file is read once per load.
import type { SourcePosition, Problem } from '../contract/errors.js';
import { RUNBOOK_SPEC } from './format.js';
import { isMapping, type LoadSession } from './load-session.js';
import { checkAgainstSchema } from './schema-check.js';
import { positionOf, readSource, type SourceFile } from './source.js';
import { API_VERSION } from './types.js';

const RUNBOOK_START = `a runbook is a mapping that starts with apiVersion: ${API_VERSION}, kind: Runbook and metadata: { name: ... }`;

function notARunbook(source: SourceFile): Problem {
  const v = source.value;
  const at = { file: source.file, line: 1, column: 1 };
  if (v === null || v === undefined) return { message: 'the file is empty', hint: RUNBOOK_START, at };
  const what = Array.isArray(v) ? 'a list' : `a ${typeof v}`;
  return {
    message: `the file holds ${what}, not a runbook`,
    hint: `${RUNBOOK_START}${Array.isArray(v) ? '; steps go under sections: - name: ... steps:' : ''}`,
    at: positionOf(source, []),
  };
}

/**
 * Whether a file that failed the format check can still be walked for more problems: only the
 * parts the loader reads (vars, imports, sections) need the right shape.
 */
function hasUsableShape(value: unknown): boolean {
  if (!isMapping(value)) return false;
  const { vars, imports, sections } = value;
  if (vars !== undefined && !(isMapping(vars) && Object.values(vars).every(isMapping))) return false;
  if (imports !== undefined && !(Array.isArray(imports) && imports.every((i) => isMapping(i) && typeof i.file === 'string' && (i.vars === undefined || isMapping(i.vars))))) {
    return false;
  }
  if (sections !== undefined) {
    if (!Array.isArray(sections)) return false;
    return sections.every((s) => isMapping(s) && typeof s.name === 'string' && (s.steps === undefined || Array.isArray(s.steps)));
  }
  return true;
}

/**
 * The file as a runbook the loader can walk, or undefined (its problems recorded). `importedAt`
 * is the import that names it, where a file without a line of its own to show is reported.
 */
export async function readRunbookFile(
  session: LoadSession,
  file: string,
  importedAt: { at: SourcePosition; written: string } | undefined,
): Promise<SourceFile | undefined> {
  if (session.sources.has(file)) return session.sources.get(file) ?? undefined;
  const { source, problems } = await readSource(file);
  if (!source && importedAt && problems.every((p) => !p.at)) {
    // The file itself has no line to show; the import that names it does.
    session.problems.push({
      message: `import "${importedAt.written}": ${problems[0]?.message.replace(/: .*$/, '') ?? 'cannot read'}`,
      hint: `import paths are relative to the importing file; looked for ${session.display(file)}`,
      at: importedAt.at,
    });
  } else {
    session.problems.push(...problems);
  }
  if (!source) {
    session.sources.set(file, null);
    return undefined;
  }
  if (!isMapping(source.value)) {
    // Nothing else can be said about a file that is not a runbook at all.
    session.problems.push(notARunbook(source));
    session.sources.set(file, null);
    return undefined;
  }
  const kind = source.value.kind;
  if (typeof kind === 'string' && kind !== 'Runbook') {
    // Another kind of document (a scenario, a Kubernetes manifest): its fields are no mistakes.
    session.problems.push({
      message: `the file is a ${kind}, not a Runbook`,
      hint: `a runbook has kind: Runbook; check that this is the file you meant`,
      at: positionOf(source, ['kind']),
    });
    session.sources.set(file, null);
    return undefined;
  }
  const structural = checkAgainstSchema(source.value, RUNBOOK_SPEC, source, [], { subject: 'runbook' });
  session.problems.push(...structural);
  // Problems outside the file's shape (a misspelt top-level field, a bad name) leave it usable:
  // keep going, so one pass reports the rest too.
  const ok = problems.length === 0 && (structural.length === 0 || hasUsableShape(source.value));
  session.sources.set(file, ok ? source : null);
  return ok ? source : undefined;
}
