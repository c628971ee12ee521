// Line outputs show the diffs of the first loop items and count the rest, saying so; diffs of
// steps outside loops are always shown. A diff left out is never rendered.
import { describe, expect, it } from 'vitest';
import type { NodeInfo, RunEvent, StepResult } from '../../../../src/engine/events.js';
import { LOOP_DIFFS_SHOWN } from '../../../../src/cli/render/diff-budget.js';
import { JsonLinesRenderer } from '../../../../src/cli/render/json-lines.js';
import { PlainRenderer } from '../../../../src/cli/render/plain.js';

const rendered: string[] = [];

function end(id: string, n: number): RunEvent {
  const node: NodeInfo = { id, name: `step ${n}`, kind: 'step', type: 'patch', depth: 2 };
  const result: StepResult = { status: 'changed', attempts: 1, durationMs: 1, summary: `patched ${n}` };
  // As the executor gives it: a getter that renders the diff when read.
  Object.defineProperty(result, 'diff', { enumerable: true, get: () => (rendered.push(id), `+  changed: "${n}"`) });
  return { type: 'node:end', node, result };
}

const runEnd: RunEvent = { type: 'run:end', runId: 'r', summary: { status: 'succeeded', counts: { ok: 0, changed: 0, skipped: 0, failed: 0 }, durationMs: 1, findings: { prohibited: 0, critical: 0, warning: 0, info: 0 } } };

describe('diffs of loop items in line outputs', () => {
  it('plain: the first ones are shown, the rest counted and said, none of them rendered', () => {
    rendered.length = 0;
    let out = '';
    const r = new PlainRenderer((s) => (out += s));
    const items = LOOP_DIFFS_SHOWN + 5;
    for (let i = 0; i < items; i++) r.onEvent(end(`main/loop/patch[ns/item-${i}]`, i));
    r.onEvent(end('main/outside', 999));
    r.onEvent(runEnd);
    expect(out.match(/\+ {2}changed:/g)).toHaveLength(LOOP_DIFFS_SHOWN + 1);
    expect(out).toContain(`changed: "${LOOP_DIFFS_SHOWN - 1}"`);
    expect(out).not.toContain(`changed: "${LOOP_DIFFS_SHOWN}"`);
    expect(out).toContain('changed: "999"');
    expect(out).toContain(`the diffs of loop items after the first ${LOOP_DIFFS_SHOWN} are not shown`);
    expect(out).toContain(`5 diffs of loop items not shown (the first ${LOOP_DIFFS_SHOWN} were)`);
    // Every result line is still there.
    expect(out.match(/changed step \d+/g)).toHaveLength(items + 1);
    expect(rendered).toHaveLength(LOOP_DIFFS_SHOWN + 1);
  });

  it('json: an item past the limit carries diffOmitted, the run end the count', () => {
    rendered.length = 0;
    const lines: Record<string, unknown>[] = [];
    const r = new JsonLinesRenderer((s) => lines.push(JSON.parse(s) as Record<string, unknown>));
    for (let i = 0; i < LOOP_DIFFS_SHOWN + 2; i++) r.onEvent(end(`main/loop/patch[item-${i}]`, i));
    r.onEvent(runEnd);
    const results = lines.filter((l) => l.type === 'node:end').map((l) => l.result as Record<string, unknown>);
    expect(results.filter((x) => typeof x.diff === 'string')).toHaveLength(LOOP_DIFFS_SHOWN);
    expect(results.slice(LOOP_DIFFS_SHOWN).every((x) => x.diffOmitted === true && x.diff === undefined && x.summary)).toBe(true);
    expect(lines.at(-1)!.diffsOmitted).toBe(2);
    expect(rendered).toHaveLength(LOOP_DIFFS_SHOWN);
  });
});
