// Loads a runbook file and everything it imports into a Plan: ordered sections of steps with stable
// ids. Every problem is collected with its file:line:column, so one pass reports them all. The
// parts: read-runbook (one file), build-sections and imports (files into sections), build-nodes
// and common-fields (steps into nodes), apply-overlays (a site's changes), pending-checks and
// required-vars (what can be checked only once every file is read), all adding to one LoadSession.
import { basename, dirname, extname, resolve } from 'node:path';
import type { Problem } from '../contract/errors.js';
import { applyOverlays } from './apply-overlays.js';
import { buildSections } from './build-sections.js';
import { withDigest } from './digest.js';
import { readNotesOf } from './common-fields.js';
import { checkExpressionNames } from './expression-check.js';
import { checkRegisterFlow } from './flow-check.js';
import { checkGuideRefs } from './guide-refs.js';
import { readVars } from './imports.js';
import { LoadSession, type LoadOptions, type RawRunbook } from './load-session.js';
import { inFileOrder } from './problems.js';
import { readRunbookFile } from './read-runbook.js';
import { checkRequiredVars } from './required-vars.js';
import { checkTemplates, type ScopeNames } from './template-check.js';
import type { Plan } from './types.js';

export type { LoadOptions } from './load-session.js';
export { SHIPPED_PREFIX } from './imports.js';

export interface LoadResult {
  plan?: Plan;
  problems: Problem[];
}

export async function loadRunbook(file: string, options: LoadOptions): Promise<LoadResult> {
  const path = resolve(file);
  return assemble(new LoadSession(options, dirname(path)), path);
}

/** Reads the root file and what it imports, checks what needs all of them, and makes the plan. */
async function assemble(session: LoadSession, file: string): Promise<LoadResult> {
  const source = await readRunbookFile(session, file, undefined);
  if (!source) return { problems: inFileOrder(session.problems) };
  const raw = source.value as RawRunbook;
  session.scopes[''] = { id: '', file, vars: readVars(session, source, raw), bindings: {} };
  readNotesOf(session, source);
  const sections = await buildSections(session, source, raw, { scope: '', parentId: '', chain: [file] });
  const overlays = await applyOverlays(session, source, raw, sections);
  checkRequiredVars(session);
  // Every scope is complete now: each one's var names are gathered once, not for every template.
  const varNames = new Map<string, ReadonlySet<string>>();
  const names: ScopeNames = {
    varNames: (scope) => varNames.get(scope) ?? varNames.set(scope, session.varNames(scope)).get(scope)!,
    parentOf: (scope) => session.scopes[scope]?.parent,
    registers: session.registers,
  };
  session.problems.push(...checkTemplates(session.templates, names), ...checkExpressionNames(session.expressions, names));
  session.problems.push(...(await checkGuideRefs(session.guideRefs)));
  if (session.problems.length > 0) return { problems: inFileOrder(session.problems) };
  for (const section of sections) {
    const ids = session.sectionSources.get(section.name);
    if (ids?.length) section.source = [...new Set(ids)];
  }
  const plan: Plan = withDigest(
    {
      name: raw.metadata?.name ?? basename(file, extname(file)),
      description: raw.metadata?.description,
      file,
      sections,
      scopes: session.scopes,
      followUps: session.followUps,
      signOffs: session.signOffs,
      ...(raw.guides?.length ? { guides: raw.guides } : {}),
      ...(overlays.length ? { overlays } : {}),
    },
    () => sections.map((s) => ({ name: s.name, nodes: s.nodes.map((n) => n.digest) })),
  );
  const flow = checkRegisterFlow(plan, session.registry, names.varNames);
  if (flow.length) return { problems: inFileOrder(flow) };
  return { plan, problems: [] };
}
