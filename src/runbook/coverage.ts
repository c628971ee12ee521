// The coverage matrix: every item of the guides a runbook answers, with the steps, sections,
// follow-ups and sign-offs that name it in `source:`, and the items nothing names. The guides
// considered are the ones the runbook refers to (or the ones asked for).
import { relative } from 'node:path';
import type { SourcePosition } from '../contract/errors.js';
import type { Guide, GuideItem } from './guide-items.js';
import { walkPlan } from './plan-walk.js';
import type { Plan } from './types.js';

export interface Implementor {
  kind: 'step' | 'section' | 'followUp' | 'signOff';
  /** A step id, a section name, or the note's text. */
  name: string;
  at?: SourcePosition;
}

export interface CoverageRow {
  guide: string;
  item: Pick<GuideItem, 'id' | 'title' | 'lines' | 'answer'>;
  by: Implementor[];
}

export interface Coverage {
  guides: Pick<Guide, 'name' | 'title' | 'file'>[];
  rows: CoverageRow[];
  /** Ids named in the runbook that no shipped guide lists (a site's own guides). */
  unknown: string[];
}

export function coverageOf(plan: Plan, guides: readonly Guide[], only?: readonly string[]): Coverage {
  const by = new Map<string, Implementor[]>();
  const add = (id: string, who: Implementor): void => {
    const list = by.get(id) ?? [];
    if (!list.some((w) => w.kind === who.kind && w.name === who.name)) list.push(who);
    by.set(id, list);
  };
  for (const { node } of walkPlan(plan.sections)) for (const id of node.source ?? []) add(id, { kind: 'step', name: node.id, at: node.at });
  for (const s of plan.sections) for (const id of s.source ?? []) add(id, { kind: 'section', name: s.name });
  for (const n of plan.followUps) for (const id of n.source) add(id, { kind: 'followUp', name: n.text, at: n.at });
  for (const n of plan.signOffs) for (const id of n.source) add(id, { kind: 'signOff', name: n.text, at: n.at });

  const named = new Set([...by.keys()].map((id) => id.slice(0, id.indexOf('.'))));
  const wanted = only?.length ? only : plan.guides;
  const chosen = guides.filter((g) => (wanted?.length ? wanted.includes(g.name) : named.has(g.name)));
  const known = new Set(guides.flatMap((g) => g.items.map((i) => i.id)));
  return {
    guides: chosen.map(({ name, title, file }) => ({ name, title, file })),
    rows: chosen.flatMap((g) => g.items.map((item) => ({ guide: g.name, item: { id: item.id, title: item.title, lines: item.lines, answer: item.answer }, by: by.get(item.id) ?? [] }))),
    unknown: [...by.keys()].filter((id) => !known.has(id)).sort(),
  };
}

export function missingRows(c: Coverage): CoverageRow[] {
  return c.rows.filter((r) => r.by.length === 0);
}

const lines = (l: [number, number]): string => (l[0] === l[1] ? `${l[0]}` : `${l[0]}-${l[1]}`);

function who(w: Implementor, baseDir: string): string {
  if (w.kind === 'step') return `${w.name}${w.at ? ` (${relative(baseDir, w.at.file)}:${w.at.line})` : ''}`;
  if (w.kind === 'section') return `section ${w.name}`;
  const text = w.name.length > 60 ? `${w.name.slice(0, 57)}...` : w.name;
  return `${w.kind === 'signOff' ? 'sign-off' : 'follow-up'}: ${text}`;
}

/** For a terminal: one block per guide, each item with what answers it, then the totals. */
export function coverageText(c: Coverage, baseDir: string): string {
  const out: string[] = [];
  for (const g of c.guides) {
    const rows = c.rows.filter((r) => r.guide === g.name);
    const missing = rows.filter((r) => r.by.length === 0).length;
    out.push(`Guide ${g.name}: ${g.title} (${g.file}): ${rows.length - missing} of ${rows.length} items answered`);
    for (const r of rows) {
      out.push(`  ${r.by.length ? '✓' : '✗'} ${r.item.id}  [lines ${lines(r.item.lines)}] ${r.item.title}${r.item.answer === 'signOff' ? ' (sign-off)' : ''}`);
      if (r.by.length === 0) out.push('      MISSING: no step, follow-up or sign-off names it');
      for (const w of r.by) out.push(`      ${who(w, baseDir)}`);
    }
    out.push('');
  }
  if (c.unknown.length) out.push(`Named but listed in no shipped guide: ${c.unknown.join(', ')}`, '');
  const missing = missingRows(c).length;
  out.push(missing ? `${missing} item(s) missing.` : `Every item of ${c.guides.map((g) => g.name).join(', ') || 'no guide'} is answered.`);
  return out.join('\n') + '\n';
}

/** For docs/: a table per guide; quotes no guide text (titles are ours). */
export function coverageMarkdown(c: Coverage, baseDir: string, heading: string): string {
  const out: string[] = [`## ${heading}`, ''];
  for (const g of c.guides) {
    const rows = c.rows.filter((r) => r.guide === g.name);
    const missing = rows.filter((r) => r.by.length === 0).length;
    out.push(`### Guide ${g.name}: ${g.title}`, '', `\`${g.file}\`: ${rows.length - missing} of ${rows.length} items answered.`, '');
    out.push('| Item | Lines | What | Answered by |', '|---|---|---|---|');
    for (const r of rows) {
      const answered = r.by.length ? r.by.map((w) => who(w, baseDir).replace(/\|/g, '\\|')).join('<br>') : '**missing**';
      out.push(`| \`${r.item.id}\` | ${lines(r.item.lines)} | ${r.item.title.replace(/\|/g, '\\|')}${r.item.answer === 'signOff' ? ' _(sign-off)_' : ''} | ${answered} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
