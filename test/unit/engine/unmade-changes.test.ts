// A dry run passes over the changes it would make, so a check after them reads the cluster as it
// is, not as the run would leave it: its blocking findings are provisional (shown, never
// stopping the dry run) while the same findings before any change, or in a real run, block.
import { describe, expect, it } from 'vitest';
import { UnmadeChanges } from '../../../src/engine/unmade-changes.js';
import { Harness, runbook } from '../../fixtures/engine/harness.js';
import { World, standardTypes } from '../../fixtures/engine/types.js';

const CRITICAL = (check: string): string => `{ severity: critical, check: ${check}, message: ${check} found }`;

const RUNBOOK = runbook({
  assess: `- name: read before any change\n  probe: { key: early, changed: false, findings: [${CRITICAL('early-check')}] }`,
  before: [
    '- name: migrate kueue\n  id: before/migrate\n  probe: { key: migrate }',
    `- name: guard\n  id: before/guard\n  probe: { key: guard, changed: false, findings: [${CRITICAL('guard-kueue')}] }`,
    '- name: the change after the guard\n  id: before/after-guard\n  probe: { key: later }',
  ].join('\n'),
});

describe('UnmadeChanges', () => {
  it('says nothing before a change, then how many and which came first', () => {
    const changes = new UnmadeChanges();
    expect(changes.said()).toBeUndefined();
    changes.add('a/one');
    changes.add('a/two');
    expect(changes.said()).toBe('made after 2 changes this dry run did not make (the first: a/one)');
  });
});

describe('findings in a dry run', () => {
  it('before any change they block; after one they are provisional and the dry run goes on', async () => {
    const blockedEarly = await Harness.create(RUNBOOK, standardTypes(new World()));
    const early = await blockedEarly.run({ dryRun: 'client' });
    expect(early.summary.status).toBe('blocked');

    const LATE = RUNBOOK.replace(`findings: [${CRITICAL('early-check')}]`, 'findings: []');
    const h = await Harness.create(LATE, standardTypes(new World()));
    const out = await h.run({ dryRun: 'client' });
    expect(out.summary.status).toBe('succeeded');
    const guard = out.state.findings.find((f) => f.check === 'guard-kueue');
    expect(guard).toMatchObject({ severity: 'critical', stepId: 'before/guard', provisional: 'made after 1 change this dry run did not make (the first: before/migrate)' });
    // The step after the guard was still planned.
    expect(out.results.get('before/after-guard')?.status).toBe('changed');
  });

  it('in a run, the same finding after a change blocks', async () => {
    const LATE = RUNBOOK.replace(`findings: [${CRITICAL('early-check')}]`, 'findings: []');
    const h = await Harness.create(LATE, standardTypes(new World()));
    const out = await h.run();
    expect(out.summary.status).toBe('blocked');
    expect(out.state.findings.find((f) => f.check === 'guard-kueue')?.provisional).toBeUndefined();
    expect(out.results.get('before/after-guard')).toBeUndefined();
  });
});
