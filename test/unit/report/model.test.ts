// The report as data, built from a plan and a checkpointed state: every plan node once, loop items
// as the state knows them, counts of steps only, findings most severe first, notes of the runbook.
import { describe, expect, it } from 'vitest';
import { buildReport, overlayText } from '../../../src/report/model.js';
import type { PlanNode } from '../../../src/runbook/types.js';
import { samplePlan, sampleState } from './fixtures/sample.js';

describe('buildReport', () => {
  it('lists every node in plan order, loop items under their loop, with what the state recorded', async () => {
    const plan = await samplePlan();
    const r = buildReport(plan, sampleState(plan));
    expect(r.steps.map((s) => [s.section, s.id, s.depth, s.status])).toEqual([
      ['prepare', 'backup', 0, 'changed'],
      ['prepare', 'check', 0, 'ok'],
      ['migrate', 'move', 0, 'changed'],
      ['migrate', 'point[alpha]', 1, 'changed'],
      ['migrate', 'point[beta]', 1, 'ok'],
      ['migrate', 'drop', 0, 'skipped'],
      ['migrate', 'restart', 0, 'failed'],
    ]);
    // The error message first, then a summary, then a reason.
    expect(r.steps.find((s) => s.id === 'restart')!.note).toMatch(/^pod registry-0 did not start/);
    expect(r.steps.find((s) => s.id === 'point[beta]')!.note).toBe('already points at the new database');
    // Steps are counted, the loop is not.
    expect(r.counts).toEqual({ ok: 2, changed: 2, skipped: 1, failed: 1 });
    expect(r.findings.map((f) => f.severity)).toEqual(['warning', 'info']);
    expect(r.followUps).toEqual([
      { text: 'Tell the data scientists that registry URLs did not change.', source: [] },
      { text: 'Remove the old database once a week has passed without a rollback.', source: [] },
    ]);
    expect(r.signOffs).toEqual([{ text: 'A model registered before the move opens in the dashboard.', source: [] }]);
    expect(r).not.toHaveProperty('apiCalls');
  });

  it('a run that has not got far: steps not reached are pending, one under way is running, a gate waiting', async () => {
    const plan = await samplePlan();
    const state = { ...sampleState(plan), status: 'waiting-approval' as const };
    state.steps = { backup: { state: 'running', attempts: 1 }, check: { state: 'waiting' } };
    const r = buildReport(plan, state);
    expect(r.steps.map((s) => [s.id, s.status])).toEqual([
      ['backup', 'running'],
      ['check', 'waiting'],
      ['move', 'pending'],
      ['drop', 'pending'],
      ['restart', 'pending'],
    ]);
    expect(r.counts).toEqual({ ok: 0, changed: 0, skipped: 0, failed: 0 });
  });

  it('a site step says where it came from; a step an overlay skipped says why', async () => {
    const plan = await samplePlan();
    const at = { file: '/sites/east/site.yaml', line: 12, column: 5 };
    const nodes = plan.sections[0]!.nodes;
    const added: PlanNode = { ...nodes[0]!, overlay: { op: 'after', target: 'backup', at, added: ['backup'] } };
    const skipped: PlanNode = { ...nodes[1]!, skipReason: 'skipped by site.yaml:14: no registry here' };
    const sections = [{ ...plan.sections[0]!, nodes: [added, skipped] }, ...plan.sections.slice(1)];
    const r = buildReport({ ...plan, sections }, sampleState(plan));
    expect(r.steps[0]!.overlay).toBe('site step, after backup (site.yaml:12)');
    expect(r.steps[1]!.overlay).toBe('skipped by site.yaml:14: no registry here');
    expect(overlayText({ op: 'replace', target: 'drop', at, added: [] })).toBe('site step, in place of drop (site.yaml:12)');
  });
});
