// What a terminal of a given size shows of a run: the task tree, folded until it fits, and below
// it the question of a manual gate when one is asked. A pure function of the tree and the size, so
// every screen can be tested as text.
import { formatMs } from '../../engine/attempt.js';
import type { RunStatus } from '../../engine/events.js';
import { countSteps, type NodeState, type RunTree, type TreeNode } from './tree.js';

/** What a line is: the icon and colour a painter gives it. */
export type Mark = NodeState | 'output' | 'error' | 'rule' | 'question' | 'text' | 'answer';

export interface Line {
  depth: number;
  mark: Mark;
  text: string;
  /** The tree node the line is about (its title, output or error). */
  key?: string;
}

/** The gate being asked, and what the person has typed so far. */
export interface Asking {
  key: string;
  name: string;
  question: string;
  typed: string;
}

export interface View {
  rows: number;
  cols: number;
  asking?: Asking;
  /** Said by the run itself while it goes on (an interrupt being honoured): drawn above the question. */
  notice?: string;
}

/** Marks drawn without an icon before their text. */
const BARE: ReadonlySet<Mark> = new Set(['rule', 'text', 'answer']);
/** Lines about something under way or gone wrong: what must stay on the screen. */
const ACTIVE: ReadonlySet<Mark> = new Set(['running', 'waiting', 'stopped', 'failed', 'output', 'error']);
export const ANSWERS = 'yes or y goes on · anything else stops the run here › ';
const SHORT_ANSWERS = 'yes/y goes on, else stops › ';

interface Level {
  /** Finished sections and groups show what they held. */
  expandDone: boolean;
  /** Runs of siblings not started yet are one line. */
  foldPending: boolean;
  /** Runs of finished siblings are one line. */
  foldDone: boolean;
}

// From the whole tree to the least that still says where the run is; the first that fits is shown.
const LEVELS: readonly Level[] = [
  { expandDone: true, foldPending: false, foldDone: false },
  { expandDone: false, foldPending: false, foldDone: false },
  { expandDone: false, foldPending: true, foldDone: false },
  { expandDone: false, foldPending: true, foldDone: true },
];

export function layout(tree: RunTree, view: View): Line[] {
  const width = Math.max(10, view.cols - 1);
  const notice: Line[] = view.notice ? [{ depth: 0, mark: 'error', text: view.notice }] : [];
  const bottom = [...notice, ...(view.asking ? questionBlock(tree, view.asking, width, view.rows - notice.length) : [])];
  const room = Math.max(0, view.rows - bottom.length);
  // The node asked about and the nodes around it: always drawn in full and kept on the screen,
  // while other loop items waiting at a gate of their own are one line each.
  const focus = view.asking ? pathTo(tree.sections, view.asking.key) : undefined;
  let level = LEVELS[0]!;
  let drawn = treeLines(tree, level, new Map(), focus);
  for (const next of LEVELS.slice(1)) {
    if (drawn.lines.length <= room) break;
    level = next;
    drawn = treeLines(tree, level, new Map(), focus);
  }
  let lines = drawn.lines;
  if (lines.length > room) lines = windowOf(lines, room, focus);
  else {
    // Room left over goes back to the folds, the deepest first (the steps of the running item
    // before a section that comes later), one node at a time from the end nearest the work under
    // way: the last steps done, the next steps to come.
    let open = new Map<string, number>();
    for (const fold of [...drawn.folds].sort((a, b) => b.depth - a.depth)) {
      for (let n = 1; n < fold.size; n++) {
        const next = new Map(open).set(fold.id, n);
        const wider = treeLines(tree, level, next, focus).lines;
        if (wider.length > room) break;
        open = next;
        lines = wider;
      }
    }
    // While a question waits, it is on the last lines of the screen even below a short tree.
    if (bottom.length) lines = [...lines, ...Array.from({ length: room - lines.length }, (): Line => ({ depth: 0, mark: 'text', text: '' }))];
  }
  return [...lines, ...bottom].map((l) => (l.mark === 'answer' ? l : fit(l, width)));
}

/** A line as plain text, with `icon` for its mark. */
export function lineText(line: Line, icon: string): string {
  return '  '.repeat(line.depth) + (BARE.has(line.mark) ? line.text : `${icon} ${line.text}`);
}

/** A run of siblings drawn as one line: finished ones named by their first, later ones by their last. */
interface Fold {
  id: string;
  depth: number;
  size: number;
}

/** The tree's lines at `level`; `open` says how many nodes of a fold are drawn on their own. */
function treeLines(tree: RunTree, level: Level, open: ReadonlyMap<string, number>, focus?: ReadonlySet<string>): { lines: Line[]; folds: Fold[] } {
  const out: Line[] = [];
  const folds: Fold[] = [];
  const list = (nodes: readonly TreeNode[], depth: number): void => {
    for (let i = 0; i < nodes.length; ) {
      const kind = foldKind(nodes[i]!);
      let j = i + 1;
      if (kind && (kind === 'pending' ? level.foldPending : level.foldDone)) while (j < nodes.length && foldKind(nodes[j]!) === kind) j++;
      if (j - i < 2) {
        one(nodes[i]!, depth);
        i++;
        continue;
      }
      const run = nodes.slice(i, j);
      const id = `${kind}:${(kind === 'done' ? run[0] : run.at(-1))!.key}`;
      folds.push({ id, depth, size: run.length });
      const alone = open.get(id) ?? 0;
      const folded = kind === 'done' ? run.slice(0, run.length - alone) : run.slice(alone);
      const single = kind === 'done' ? run.slice(run.length - alone) : run.slice(0, alone);
      const fold = (): void => {
        if (folded.length < 2) folded.forEach((n) => one(n, depth));
        else out.push({ depth, mark: kind === 'pending' ? 'pending' : 'ok', text: `${folded.length} ${kind === 'pending' ? 'more' : 'done'}: ${folded.map((n) => n.name).join(', ')}` });
      };
      if (kind === 'done') fold();
      single.forEach((n) => one(n, depth));
      if (kind === 'pending') fold();
      i = j;
    }
  };
  const one = (n: TreeNode, depth: number): void => {
    if (focus && n.kind === 'item' && !focus.has(n.key) && holdsWaiting(n)) {
      out.push({ depth, mark: 'waiting', text: `${n.name} — waiting for approval`, key: n.key });
      return;
    }
    out.push({ depth, mark: n.state, text: title(n), key: n.key });
    if ((n.state === 'running' || n.state === 'waiting') && n.output) out.push({ depth: depth + 1, mark: 'output', text: n.output, key: n.key });
    if (n.state === 'failed' && n.result?.error) {
      const e = n.result.error;
      for (const text of [...e.message.split('\n'), ...(e.hint ? [`hint: ${e.hint}`] : [])]) out.push({ depth: depth + 1, mark: 'error', text, key: n.key });
    }
    if (expanded(n, level)) list(n.children, depth + 1);
  };
  list(tree.sections, 0);
  return { lines: out, folds };
}

/** The keys of the nodes from a section down to `key`, or undefined when the tree has no such node. */
function pathTo(nodes: readonly TreeNode[], key: string): Set<string> | undefined {
  for (const n of nodes) {
    if (n.key === key) return new Set([key]);
    const below = pathTo(n.children, key);
    if (below) return below.add(n.key);
  }
  return undefined;
}

function holdsWaiting(n: TreeNode): boolean {
  return n.state === 'waiting' || n.children.some(holdsWaiting);
}

function foldKind(n: TreeNode): 'pending' | 'done' | undefined {
  if (n.state === 'pending') return 'pending';
  if (n.state === 'ok' || n.state === 'changed' || n.state === 'skipped') return 'done';
  return undefined;
}

function expanded(n: TreeNode, level: Level): boolean {
  switch (n.state) {
    case 'pending':
      return false;
    case 'running':
    case 'waiting':
    case 'stopped':
    case 'failed':
      return true;
    default:
      // A node skipped, or done in an earlier attempt, holds nothing that ran now.
      return level.expandDone && (n.kind === 'section' || (n.result !== undefined && !n.result.resumed && n.state !== 'skipped'));
  }
}

function title(n: TreeNode): string {
  if (n.kind === 'section') {
    if (n.stopped) return `${n.name} — stopped: ${STOPPED[n.stopped] ?? n.stopped}`;
    if (n.state === 'pending' || n.state === 'running') return n.description ? `${n.name} — ${n.description}` : n.name;
    if (n.state === 'skipped') return `${n.name} — skipped`;
    return `${n.name} — ${countsText(n.counts!)}`;
  }
  const r = n.result;
  if (n.state === 'waiting') return `${n.name} — waiting for approval`;
  if (n.state === 'stopped') return `${n.name} — stopped`;
  if (n.state === 'pending' || n.state === 'running' || !r) {
    return n.kind === 'forEach' && n.itemsDone ? `${n.name} — ${n.itemsDone} item${n.itemsDone === 1 ? '' : 's'} done` : n.name;
  }
  if (r.resumed) return `${n.name} — done earlier`;
  if (r.status === 'skipped') return `${n.name} (${r.reason ?? 'skipped'})`;
  const detail = [r.summary ?? r.reason, r.attempts > 1 ? `${r.attempts} attempts` : '', formatMs(r.durationMs)].filter(Boolean).join(', ');
  return `${n.name} — ${r.status}${detail ? ` (${detail})` : ''}`;
}

const STOPPED: Partial<Record<RunStatus, string>> = {
  'waiting-approval': 'waiting for approval',
  blocked: 'blocked by findings',
  aborted: 'interrupted',
};

function countsText(c: NonNullable<TreeNode['counts']>): string {
  const parts = (['changed', 'ok', 'skipped', 'failed'] as const).filter((s) => c[s] > 0).map((s) => `${c[s]} ${s}`);
  if (c.earlier) parts.push(`${c.earlier} done earlier`);
  return parts.join(', ') || 'nothing to do';
}

/**
 * The gate's question, what it guards and the answers it takes, in that order at the bottom of the
 * screen, the answer line last: where the cursor is and where the eye goes.
 */
function questionBlock(tree: RunTree, asking: Asking, width: number, rows: number): Line[] {
  const node = tree.node(asking.key);
  const steps = node?.plan && node.plan.kind !== 'step' ? countSteps(node.plan) : 0;
  const guards = `guards: ${asking.name}${steps ? ` (${steps} step${steps === 1 ? '' : 's'})` : ''} · ${asking.key}`;
  const wrapped = node?.description ? wrap(node.description, width - 2) : [];
  const description = wrapped.length > 2 ? [wrapped[0]!, `${wrapped[1]}…`] : wrapped;
  const text = (t: string): Line => ({ depth: 1, mark: 'text', text: t });
  const core: Line[] = [
    ...wrap(asking.question, width - 2).map((t, i) => (i ? text(t) : { depth: 0, mark: 'question' as const, text: t })),
    ...wrap(guards, width - 2).map(text),
  ];
  const answer: Line = { depth: 1, mark: 'answer', text: answerLine(asking.typed, width) };
  const rule: Line = { depth: 0, mark: 'rule', text: `── waiting for your answer ${'─'.repeat(Math.max(0, width - 27))}` };
  const block = [rule, ...core, ...description.map(text), answer];
  if (block.length <= rows) return block;
  // A screen too small for all of it keeps the question's end, the guard and the answers.
  return [...core, answer].slice(-Math.max(1, rows));
}

/** The answers it takes, then what was typed; the tail of a long answer, so the cursor stays. */
function answerLine(typed: string, width: number): string {
  const room = width - 2;
  const prompt = ANSWERS.length + 8 <= room ? ANSWERS : SHORT_ANSWERS;
  const left = Math.max(1, room - prompt.length);
  return (prompt + (typed.length > left ? `…${typed.slice(typed.length - left + 1)}` : typed)).slice(-room);
}

/**
 * Keeps on the screen the node asked about (when a gate is asked), else the last active line, with
 * as much as fits before it.
 */
function windowOf(lines: Line[], room: number, focus?: ReadonlySet<string>): Line[] {
  if (room <= 0) return [];
  let last = -1;
  lines.forEach((l, i) => {
    if (ACTIVE.has(l.mark)) last = i;
  });
  if (focus) {
    const asked = lines.findLastIndex((l) => l.key !== undefined && focus.has(l.key));
    if (asked >= 0) last = asked;
  }
  const end = Math.min(lines.length, Math.max(last + 1, room));
  const start = end - room;
  const shown = lines.slice(start, end);
  if (start > 0) shown[0] = { depth: 0, mark: 'text', text: `… ${start + 1} lines above` };
  if (end < lines.length && end > last + 1) shown[shown.length - 1] = { depth: 0, mark: 'text', text: `… ${lines.length - end + 1} lines below` };
  return shown;
}

function fit(line: Line, width: number): Line {
  const room = width - line.depth * 2 - (BARE.has(line.mark) ? 0 : 2);
  const chars = [...(line.text.includes('\n') ? line.text.replace(/\s*\n\s*/g, ' ') : line.text)];
  if (chars.length <= room) return { ...line, text: chars.join('') };
  return { ...line, text: `${chars.slice(0, Math.max(0, room - 1)).join('')}…` };
}

/** Words wrapped to `width` characters; a word longer than a line is cut across lines. */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      let w = word;
      while (w.length > width) {
        if (line) out.push(line);
        out.push(w.slice(0, width));
        w = w.slice(width);
        line = '';
      }
      if (!line) line = w;
      else if (line.length + 1 + w.length <= width) line += ` ${w}`;
      else {
        out.push(line);
        line = w;
      }
    }
    if (line) out.push(line);
  }
  return out.length ? out : [''];
}
