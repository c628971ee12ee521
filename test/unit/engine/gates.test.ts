// Findings that stop a run, manual gates, and which steps a run selects (--only, --skip, --from).
import { describe, expect, it } from 'vitest';
import { runKeyMatches as gateMatches } from '../../../src/contract/run-key.js';
import { Harness, runbook, statusOf } from '../../fixtures/engine/harness.js';
import { World, standardTypes } from '../../fixtures/engine/types.js';

const finding = (severity: string, check = 'too-old') => `findings: [{ severity: ${severity}, check: ${check}, message: "the cluster is too old" }]`;

async function setup(sections: Record<string, string>, world = new World()): Promise<{ h: Harness; world: World }> {
  return { h: await Harness.create(runbook(sections), standardTypes(world)), world };
}

describe('findings', () => {
  const assess = (severity: string) => ({
    assess: [
      `- name: version\n  read: { key: version, changed: false, ${finding(severity)} }`,
      '- name: storage\n  read: { key: storage, changed: false }',
      '- name: fix something\n  probe: { key: fix }',
      '- name: more reading\n  read: { key: more }',
    ].join('\n'),
    upgrade: '- name: upgrade\n  probe: { key: upgrade }',
  });

  const cases: { severity: string; status: string; applied: string[] }[] = [
    { severity: 'prohibited', status: 'blocked', applied: ['version', 'storage'] },
    { severity: 'critical', status: 'blocked', applied: ['version', 'storage'] },
    { severity: 'warning', status: 'succeeded', applied: ['version', 'storage', 'fix', 'more', 'upgrade'] },
    { severity: 'info', status: 'succeeded', applied: ['version', 'storage', 'fix', 'more', 'upgrade'] },
  ];
  for (const c of cases) {
    it(`${c.severity}: later read-only steps run, the next mutating step does not (${c.status})`, async () => {
      const { h, world } = await setup(assess(c.severity));
      const out = await h.run();
      expect(out.summary.status).toBe(c.status);
      expect(world.of('apply')).toEqual(c.applied);
      expect(out.summary.findings[c.severity as 'info']).toBe(1);
      expect(out.state.findings).toEqual([expect.objectContaining({ severity: c.severity, check: 'too-old', stepId: 'assess/version' })]);
      if (c.status === 'blocked') expect(out.state.message).toBe(`stopped by 1 ${c.severity} finding: too-old`);
    });
  }

  it('a section of read-only steps is finished before the run stops', async () => {
    const { h, world } = await setup({
      assess: `- name: a\n  read: { key: a, ${finding('critical', 'first')} }\n- name: b\n  read: { key: b, ${finding('prohibited', 'second')} }\n- name: c\n  read: { key: c }`,
      next: '- name: more reading\n  read: { key: d }',
    });
    const out = await h.run();
    expect(world.of('apply')).toEqual(['a', 'b', 'c']);
    expect(out.summary.status).toBe('blocked');
    expect(out.state.message).toBe('stopped by 2 findings (1 prohibited, 1 critical): first, second');
  });

  it('stopOn decides which severities block', async () => {
    const { h, world } = await setup(assess('warning'));
    const out = await h.run({ stopOn: ['warning'] });
    expect(out.summary.status).toBe('blocked');
    expect(world.of('apply')).toEqual(['version', 'storage']);
  });

  const holders: [string, string][] = [
    ['a group', `- name: checks\n  steps:\n    - name: version\n      read: { key: version, ${finding('prohibited')} }`],
    ['a loop', `- name: checks\n  forEach: { items: '["x", "y"]' }\n  steps:\n    - name: version\n      read: { key: "version-{{ item }}", ${finding('prohibited')} }`],
  ];
  for (const [holder, steps] of holders) {
    it(`a resume evaluates a blocking finding in ${holder} again instead of walking past it`, async () => {
      const { h, world } = await setup({ assess: steps, upgrade: '- name: upgrade\n  probe: { key: upgrade }' });
      expect((await h.run()).summary.status).toBe('blocked');
      const applied = world.of('apply');
      world.calls.length = 0;
      const again = await h.run({ resume: true });
      expect(again.summary.status).toBe('blocked');
      expect(world.of('apply')).toEqual(applied);
      expect(again.state.findings).toHaveLength(applied.length);
    });
  }

  it('once the cause is fixed, the finding is gone and the run goes on', async () => {
    const { h, world } = await setup({
      assess: '- name: version\n  read: { key: version }',
      upgrade: '- name: upgrade\n  probe: { key: upgrade }',
    });
    world.findings.set('version', [{ severity: 'prohibited', check: 'too-old', message: 'too old' }]);
    expect((await h.run()).summary.status).toBe('blocked');
    world.findings.delete('version');
    const out = await h.run({ resume: true });
    expect(out.summary.status).toBe('succeeded');
    expect(out.state.findings).toEqual([]);
    expect(world.of('apply')).toEqual(['version', 'version', 'upgrade']);
  });
});

describe('gates', () => {
  const gated = {
    main: [
      '- name: before\n  probe: { key: before }',
      '- name: wipe\n  id: wipe\n  confirm: Users saved their work?\n  probe: { key: wipe }',
      '- name: notify\n  id: notify\n  gate: { message: Users were told? }',
      '- name: after\n  probe: { key: after }',
    ].join('\n'),
  };

  it('--yes passes every gate and records them', async () => {
    const { h, world } = await setup(gated);
    const out = await h.run({ approvals: { all: true } });
    expect(out.summary.status).toBe('succeeded');
    expect(world.of('apply')).toEqual(['before', 'wipe', 'gate', 'after']);
    expect(out.state.approved).toEqual(['wipe', 'notify']);
    expect(out.events.some((e) => e.type === 'approval:required')).toBe(false);
  });

  it('--approve passes the named gate only; no one to ask: waiting-approval', async () => {
    const { h, world } = await setup(gated);
    const out = await h.run({ approvals: { ids: new Set(['wipe']) } });
    expect(out.summary.status).toBe('waiting-approval');
    expect(world.of('apply')).toEqual(['before', 'wipe']);
    expect(out.state.message).toBe('waiting for approval of step notify: Users were told?');
    expect(out.events.filter((e) => e.type === 'approval:required').map((e) => e.type === 'approval:required' && e.id)).toEqual(['notify']);
    const disk = await h.stateOnDisk();
    expect(disk.steps.notify?.state).toBe('waiting');
    expect(disk.approved).toEqual(['wipe']);

    world.calls.length = 0;
    const resumed = await h.run({ resume: true, approvals: { ids: new Set(['notify']) } });
    expect(resumed.summary.status).toBe('succeeded');
    expect(world.of('apply')).toEqual(['gate', 'after']);
    expect(resumed.state.approved).toEqual(['wipe', 'notify']);
  });

  it('asks a person; a yes is recorded and not asked again on resume', async () => {
    const { h, world } = await setup(gated);
    world.fail('after', 1, false);
    const asked: string[] = [];
    const ask = async (id: string, _name: string, question: string) => (asked.push(`${id}: ${question}`), true);
    const out = await h.run({ approvals: { ask } });
    expect(out.summary.status).toBe('failed');
    expect(asked).toEqual(['wipe: Users saved their work?', 'notify: Users were told?']);
    expect((await h.stateOnDisk()).approved).toEqual(['wipe', 'notify']);
    asked.length = 0;
    const again = await h.run({ resume: true, approvals: { ask } });
    expect(again.summary.status).toBe('succeeded');
    expect(asked).toEqual([]);
  });

  it('a no stops the run at the gate', async () => {
    const { h, world } = await setup(gated);
    const out = await h.run({ approvals: { ask: async () => false } });
    expect(out.summary.status).toBe('waiting-approval');
    expect(out.state.message).toBe('not approved: wipe (wipe)');
    expect(world.of('apply')).toEqual(['before']);
    expect(out.state.approved).toEqual([]);
  });

  it('a gate re-asks after an earlier gate was approved on a step that then failed', async () => {
    const { h, world } = await setup(gated);
    world.fail('wipe', 1, false);
    expect((await h.run({ approvals: { ids: new Set(['wipe', 'notify']) } })).summary.status).toBe('failed');
    // The approval of wipe holds for the resume, which needs no flag.
    const out = await h.run({ resume: true, approvals: { ids: new Set(['notify']) } });
    expect(out.summary.status).toBe('succeeded');
  });

  it('a dry run passes gates without asking or recording', async () => {
    const { h } = await setup(gated);
    const out = await h.run({ dryRun: 'client' });
    expect(out.summary.status).toBe('succeeded');
    expect(out.state.approved).toEqual([]);
  });

  it('a templated confirm question is rendered', async () => {
    const { h } = await setup({ main: '- name: loop\n  forEach: { items: \'["x"]\' }\n  steps:\n    - name: g\n      confirm: "delete {{ item }}?"\n      probe: { key: k }' });
    const out = await h.run();
    expect(out.state.message).toBe('waiting for approval of step main/loop/g[x]: delete x?');
  });
});

describe('gates inside a loop', () => {
  const looped = {
    main: [
      '- name: replace each',
      '  id: main/each',
      '  forEach: { items: \'["team-a/m1", "team-a/m2", "team-b/m3"]\', as: m }',
      '  steps:',
      '    - name: replace\n      id: main/each/replace\n      confirm: "replace {{ m }}?"\n      probe: { key: "{{ m }}" }',
    ].join('\n'),
  };

  it('--approve id[key] passes the gate of that item only; the stop names the next one by its key', async () => {
    const { h, world } = await setup(looped);
    const out = await h.run({ approvals: { ids: new Set(['main/each/replace[team-a/m1]']) } });
    expect(out.summary.status).toBe('waiting-approval');
    expect(world.of('apply')).toEqual(['team-a/m1']);
    expect(out.state.approved).toEqual(['main/each/replace[team-a/m1]']);
    expect(out.state.message).toBe('waiting for approval of step main/each/replace[team-a/m2]: replace team-a/m2?');
  });

  it('the id alone names no item: the loop gates still wait', async () => {
    const { h, world } = await setup(looped);
    const out = await h.run({ approvals: { ids: new Set(['main/each/replace']) } });
    expect(out.summary.status).toBe('waiting-approval');
    expect(world.of('apply')).toEqual([]);
  });

  it('a * in the key passes every item it matches, each recorded under its own key', async () => {
    const { h, world } = await setup(looped);
    const out = await h.run({ approvals: { ids: new Set(['main/each/replace[team-a/*]']) } });
    expect(out.summary.status).toBe('waiting-approval');
    expect(world.of('apply')).toEqual(['team-a/m1', 'team-a/m2']);
    expect(out.state.approved).toEqual(['main/each/replace[team-a/m1]', 'main/each/replace[team-a/m2]']);

    const resumed = await h.run({ resume: true, approvals: { ids: new Set(['main/each/replace[*]']) } });
    expect(resumed.summary.status).toBe('succeeded');
    expect(world.of('apply')).toEqual(['team-a/m1', 'team-a/m2', 'team-b/m3']);
    expect(resumed.state.approved).toEqual(['main/each/replace[team-a/m1]', 'main/each/replace[team-a/m2]', 'main/each/replace[team-b/m3]']);
  });

  const names: [string, string, boolean][] = [
    ['a/g', 'a/g', true],
    ['a/g[x]', 'a/g[x]', true],
    ['a/g[*]', 'a/g[x]', true],
    ['a/g[*]', 'a/g', false],
    ['a/g', 'a/g[x]', false],
    ['a/g[y]', 'a/g[x]', false],
    ['a/g[*]', 'a/g[x][y]', false],
    ['a/g[*][y]', 'a/g[x][y]', true],
    ['a/g[*][*]', 'a/g[x][y]', true],
    ['a/g[x][*]', 'a/g[z][y]', false],
    ['a/g[ns.*]', 'a/g[ns.model+1]', true],
    ['a/g[ns.*]', 'a/g[nsXmodel]', false],
    ['a/g[*-raw]', 'a/g[team/model-raw]', true],
    ['a/gx[*]', 'a/g[x]', false],
  ];
  for (const [pattern, key, matches] of names) {
    it(`--approve ${pattern} ${matches ? 'names' : 'does not name'} ${key}`, () => {
      expect(gateMatches(pattern, key)).toBe(matches);
    });
  }
});

describe('selection', () => {
  const plan = {
    one: '- name: a\n  tags: [fast]\n  probe: { key: a }\n- name: g\n  steps:\n    - name: b\n      probe: { key: b }\n    - name: c\n      tags: [fast]\n      probe: { key: c }',
    two: '- name: d\n  probe: { key: d }\n- name: e\n  tags: [slow]\n  probe: { key: e }',
  };
  const cases: { name: string; only?: string[]; skip?: string[]; from?: string; applied: string[]; skipped: Record<string, RegExp> }[] = [
    { name: 'everything', applied: ['a', 'b', 'c', 'd', 'e'], skipped: {} },
    { name: '--only a step id', only: ['two/d'], applied: ['d'], skipped: { 'one/a': /not selected by --only/, 'two/e': /--only/ } },
    { name: '--only a group id runs all it holds', only: ['one/g'], applied: ['b', 'c'], skipped: { 'one/a': /--only/ } },
    { name: '--only a tag, inside a group too', only: ['fast'], applied: ['a', 'c'], skipped: { 'one/g/b': /--only/ } },
    { name: '--skip an id and a tag', skip: ['one/g/b', 'slow'], applied: ['a', 'c', 'd'], skipped: { 'one/g/b': /skipped by --skip/, 'two/e': /--skip/ } },
    { name: '--skip wins over --only', only: ['one/g'], skip: ['one/g/c'], applied: ['b'], skipped: { 'one/g/c': /--skip/ } },
    { name: '--from a step inside a group', from: 'one/g/c', applied: ['c', 'd', 'e'], skipped: { 'one/a': /before --from/, 'one/g/b': /before --from/ } },
    { name: '--from a later section', from: 'two/e', applied: ['e'], skipped: { 'one/g': /before --from/, 'two/d': /before --from/ } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { h, world } = await setup(plan);
      const out = await h.run({ selection: { only: c.only ?? [], skip: c.skip ?? [], from: c.from } });
      expect(out.summary.status).toBe('succeeded');
      expect(world.of('apply')).toEqual(c.applied);
      for (const [id, reason] of Object.entries(c.skipped)) {
        expect(statusOf(out, id)).toBe('skipped');
        expect(out.results.get(id)?.reason).toMatch(reason);
      }
    });
  }
});
