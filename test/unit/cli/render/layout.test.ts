// What a terminal shows of a run, as text: the tree folded to the terminal's height (finished
// sections one line each, the running section with its current steps, then runs of siblings
// folded, then a window on where the run is), and a gate's question always on the last lines.
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../../src/engine/events.js';
import { layout, lineText, type Asking, type Line } from '../../../../src/cli/render/layout.js';
import { RunTree } from '../../../../src/cli/render/tree.js';
import { Harness, runbook } from '../../../fixtures/engine/harness.js';
import { World, standardTypes } from '../../../fixtures/engine/types.js';

const steps = (prefix: string, n: number, indent = ''): string =>
  Array.from({ length: n }, (_, i) => `${indent}- name: ${prefix} ${i + 1}\n${indent}  probe: { key: ${prefix.replace(/ /g, '-')}-${i + 1} }`).join('\n');

const RUNBOOK = runbook({
  assess: [`- name: versions\n  steps:\n${steps('version check', 3, '    ')}`, `- name: components\n  steps:\n${steps('component check', 4, '    ')}`].join('\n'),
  before: [
    `- name: pipelines\n  steps:\n${steps('pipeline step', 3, '    ')}`,
    '- name: data will be lost\n  id: before/data-loss\n  gate: { message: The SQLite data will not be migrated. Confirm it was backed up. }',
    '- name: convert each model',
    '  id: before/convert',
    '  forEach: { items: \'["team-a/m1", "team-b/m2"]\', as: m }',
    '  steps:',
    '    - name: read it\n      probe: { key: "read-{{ m }}" }',
    '    - name: export it\n      probe: { key: "export-{{ m }}" }',
    '    - name: check the new one\n      probe: { key: "check-{{ m }}" }',
    '    - name: replace it in place',
    '      id: before/convert/replace',
    '      description: The old one goes first; the export restores it.',
    '      confirm: "Replace {{ m }} in place? It stops serving until the new one is Ready."',
    '      steps:',
    '        - name: delete it\n          probe: { key: "delete-{{ m }}" }',
    '        - name: create the new one\n          probe: { key: "create-{{ m }}" }',
    `- name: after the models\n  steps:\n${steps('cleanup step', 3, '    ')}`,
  ].join('\n'),
  during: steps('upgrade step', 2),
  verify: steps('verify step', 3),
});

// The figures of listr2 on a Unicode terminal, fixed here so the text does not depend on the one
// the tests run in.
const ICONS: Record<string, string> = { pending: '◼', running: '⠋', waiting: '?', stopped: '◼', ok: '✔', changed: '✔', skipped: '↓', failed: '✖', output: '›', error: '›', question: '?' };
const text = (lines: Line[]): string => lines.map((l) => lineText(l, ICONS[l.mark] ?? '')).join('\n');

/** The run's events up to its stop at the first loop item's gate, durations made fixed. */
async function stoppedAtLoopGate(): Promise<RunEvent[]> {
  const h = await Harness.create(RUNBOOK, standardTypes(new World()));
  const out = await h.run({ approvals: { ids: new Set(['before/data-loss']) } });
  expect(out.summary.status).toBe('waiting-approval');
  return out.events.map((e) => (e.type === 'node:end' ? { ...e, result: { ...e.result, durationMs: 1200 } } : e));
}

async function treeAt(until: (e: RunEvent) => boolean): Promise<RunTree> {
  const events = await stoppedAtLoopGate();
  const tree = new RunTree((await Harness.create(RUNBOOK, standardTypes(new World()))).plan);
  for (const e of events) {
    tree.apply(e);
    if (until(e)) break;
  }
  return tree;
}

const atGate = (e: RunEvent): boolean => e.type === 'approval:required';

describe('the tree on a terminal', () => {
  it('fits whole: finished sections show what they held, pending ones their title', async () => {
    const tree = await treeAt(atGate);
    expect(text(layout(tree, { rows: 40, cols: 100 }))).toMatchInlineSnapshot(`
      "✔ assess — 7 changed
        ✔ versions — changed (1.2s)
          ✔ version check 1 — changed (1.2s)
          ✔ version check 2 — changed (1.2s)
          ✔ version check 3 — changed (1.2s)
        ✔ components — changed (1.2s)
          ✔ component check 1 — changed (1.2s)
          ✔ component check 2 — changed (1.2s)
          ✔ component check 3 — changed (1.2s)
          ✔ component check 4 — changed (1.2s)
      ⠋ before
        ✔ pipelines — changed (1.2s)
          ✔ pipeline step 1 — changed (1.2s)
          ✔ pipeline step 2 — changed (1.2s)
          ✔ pipeline step 3 — changed (1.2s)
        ✔ data will be lost — ok (confirmed, 1.2s)
        ⠋ convert each model
          ⠋ team-a/m1
            ✔ read it — changed (1.2s)
            ✔ export it — changed (1.2s)
            ✔ check the new one — changed (1.2s)
            ? replace it in place — waiting for approval
              ◼ delete it
              ◼ create the new one
        ◼ after the models
      ◼ during
      ◼ verify"
    `);
  });

  it('taller than the screen: finished sections and groups are one line each, the running section shows its current steps', async () => {
    const tree = await treeAt(atGate);
    const lines = layout(tree, { rows: 24, cols: 80 });
    expect(lines.length).toBeLessThanOrEqual(24);
    expect(text(lines)).toMatchInlineSnapshot(`
      "✔ assess — 7 changed
      ⠋ before
        ✔ pipelines — changed (1.2s)
        ✔ data will be lost — ok (confirmed, 1.2s)
        ⠋ convert each model
          ⠋ team-a/m1
            ✔ read it — changed (1.2s)
            ✔ export it — changed (1.2s)
            ✔ check the new one — changed (1.2s)
            ? replace it in place — waiting for approval
              ◼ delete it
              ◼ create the new one
        ◼ after the models
      ◼ during
      ◼ verify"
    `);
  });

  it('smaller still: what is finished and what comes later fold into one line per level', async () => {
    const tree = await treeAt(atGate);
    expect(text(layout(tree, { rows: 10, cols: 80 }))).toMatchInlineSnapshot(`
      "✔ assess — 7 changed
      ⠋ before
        ✔ 2 done: pipelines, data will be lost
        ⠋ convert each model
          ⠋ team-a/m1
            ✔ 3 done: read it, export it, check the new one
            ? replace it in place — waiting for approval
              ◼ 2 more: delete it, create the new one
        ◼ after the models
      ◼ 2 more: during, verify"
    `);
  });

  it('room left once folded goes back to folds, the deepest first', async () => {
    const tree = await treeAt(atGate);
    expect(text(layout(tree, { rows: 12, cols: 80 }))).toMatchInlineSnapshot(`
      "✔ assess — 7 changed
      ⠋ before
        ✔ 2 done: pipelines, data will be lost
        ⠋ convert each model
          ⠋ team-a/m1
            ✔ 2 done: read it, export it
            ✔ check the new one — changed (1.2s)
            ? replace it in place — waiting for approval
              ◼ delete it
              ◼ create the new one
        ◼ after the models
      ◼ 2 more: during, verify"
    `);
  });

  it('too small for even that: a window that ends where the run is', async () => {
    const tree = await treeAt(atGate);
    expect(text(layout(tree, { rows: 5, cols: 80 }))).toMatchInlineSnapshot(`
      "… 3 lines above
        ⠋ convert each model
          ⠋ team-a/m1
            ✔ 3 done: read it, export it, check the new one
            ? replace it in place — waiting for approval"
    `);
  });

  it('a gate being asked: its question, what it guards and the answers are the last lines', async () => {
    const tree = await treeAt(atGate);
    const asking: Asking = { key: 'before/convert/replace[team-a/m1]', name: 'replace it in place', question: 'Replace team-a/m1 in place? It stops serving until the new one is Ready.', typed: 'ye' };
    const lines = layout(tree, { rows: 24, cols: 80, asking });
    expect(lines).toHaveLength(24);
    expect(text(lines)).toMatchInlineSnapshot(`
      "✔ assess — 7 changed
      ⠋ before
        ✔ pipelines — changed (1.2s)
        ✔ data will be lost — ok (confirmed, 1.2s)
        ⠋ convert each model
          ⠋ team-a/m1
            ✔ read it — changed (1.2s)
            ✔ export it — changed (1.2s)
            ✔ check the new one — changed (1.2s)
            ? replace it in place — waiting for approval
              ◼ delete it
              ◼ create the new one
        ◼ after the models
      ◼ during
      ◼ verify




      ── waiting for your answer ────────────────────────────────────────────────────
      ? Replace team-a/m1 in place? It stops serving until the new one is Ready.
        guards: replace it in place (2 steps) · before/convert/replace[team-a/m1]
        The old one goes first; the export restores it.
        yes or y goes on · anything else stops the run here › ye"
    `);
  });

  it('the run stopped: nodes it left on its way out are stopped, not running', async () => {
    const tree = await treeAt(() => false);
    expect(text(layout(tree, { rows: 24, cols: 80 }))).toMatchInlineSnapshot(`
      "✔ assess — 7 changed
      ◼ before — stopped: waiting for approval
        ✔ pipelines — changed (1.2s)
        ✔ data will be lost — ok (confirmed, 1.2s)
        ◼ convert each model — stopped
          ◼ team-a/m1 — stopped
            ✔ read it — changed (1.2s)
            ✔ export it — changed (1.2s)
            ✔ check the new one — changed (1.2s)
            ? replace it in place — waiting for approval
              ◼ delete it
              ◼ create the new one
        ◼ after the models
      ◼ during
      ◼ verify"
    `);
  });

  it('many loop items at their gate at once: the one asked is drawn in full and kept on the screen, the others are one line each', async () => {
    const CONCURRENT = runbook({
      before: [
        `- name: pipelines\n  steps:\n${steps('pipeline step', 12, '    ')}`,
        '- name: convert each model',
        '  id: before/convert',
        `  forEach: { items: '${JSON.stringify(Array.from({ length: 10 }, (_, i) => `ns-${i + 1}/model-${i + 1}`))}', as: m, concurrency: 10 }`,
        '  steps:',
        '    - name: read it\n      probe: { key: "read-{{ m }}" }',
        '    - name: replace it in place',
        '      id: before/convert/replace',
        '      confirm: "Replace {{ m }} in place?"',
        '      steps:',
        '        - name: delete it\n          probe: { key: "delete-{{ m }}" }',
      ].join('\n'),
      verify: steps('verify step', 3),
    });
    // Every item reaches its gate before any is answered, as on a terminal that asks one at a time.
    const asked: string[] = [];
    let release!: () => void;
    const allAsked = new Promise<void>((r) => (release = r));
    const h = await Harness.create(CONCURRENT, standardTypes(new World()));
    const out = await h.run({
      approvals: {
        ask: async (id) => {
          asked.push(id);
          if (asked.length === 10) release();
          await allAsked;
          return false;
        },
      },
    });
    expect(asked).toHaveLength(10);
    const tree = new RunTree(h.plan);
    let gates = 0;
    for (const e of out.events) {
      tree.apply(e.type === 'node:end' ? { ...e, result: { ...e.result, durationMs: 1200 } } : e);
      if (e.type === 'approval:required' && ++gates === 10) break;
    }
    // The third item is the one being asked: the others wait behind it.
    const key = asked.find((k) => k.includes('ns-3/'))!;
    const asking: Asking = { key, name: 'replace it in place', question: 'Replace ns-3/model-3 in place?', typed: '' };
    const lines = layout(tree, { rows: 24, cols: 80, asking });
    expect(lines).toHaveLength(24);
    const screen = text(lines);
    expect(screen).toContain('⠋ ns-3/model-3\n      ✔ read it — changed (1.2s)\n      ? replace it in place — waiting for approval');
    for (const other of [1, 2, 4, 10]) expect(screen).toContain(`? ns-${other}/model-${other} — waiting for approval`);
    expect(screen).toMatch(/\? Replace ns-3\/model-3 in place\?\n.*guards: replace it in place \(1 step\) · before\/convert\/replace\[ns-3\/model-3\]\n.*yes or y goes on/);
    // Smaller: the item asked about stays, whatever else is cut.
    expect(text(layout(tree, { rows: 12, cols: 80, asking }))).toContain('? replace it in place — waiting for approval');
  });

  it('an interrupt being honoured is said above the question, and the question stays last', async () => {
    const tree = await treeAt(atGate);
    const asking: Asking = { key: 'before/convert/replace[team-a/m1]', name: 'replace it in place', question: 'Replace team-a/m1 in place?', typed: '' };
    const lines = text(layout(tree, { rows: 24, cols: 80, asking, notice: 'SIGINT: stopping after the current operation' })).split('\n');
    expect(lines).toHaveLength(24);
    expect(lines.slice(-6, -4)).toEqual(['› SIGINT: stopping after the current operation', '── waiting for your answer ' + '─'.repeat(52)]);
    expect(lines.at(-1)).toMatch(/^  yes or y goes on/);
    // Without a question, it is the last line.
    expect(text(layout(tree, { rows: 24, cols: 80, notice: 'SIGINT: stopping' })).split('\n').at(-1)).toBe('› SIGINT: stopping');
  });

  it('no line is wider than the terminal', async () => {
    const tree = await treeAt(atGate);
    const asking: Asking = { key: 'before/convert/replace[team-a/m1]', name: 'replace it in place', question: 'x'.repeat(200), typed: 'y'.repeat(100) };
    for (const cols of [20, 40, 80]) {
      for (const l of layout(tree, { rows: 24, cols, asking })) expect([...lineText(l, '⠋')].length).toBeLessThan(cols);
    }
  });
});
