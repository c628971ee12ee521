// forEach: items run with bounded concurrency, each finished item is checkpointed, and a resume
// skips finished items and re-enters a partial one where it stopped.
import { describe, expect, it } from 'vitest';
import { Harness, runbook, statusOf } from '../../fixtures/engine/harness.js';
import { World, standardTypes } from '../../fixtures/engine/types.js';

const loop = (opts: { items?: string; concurrency?: number; key?: string; body?: string } = {}): string =>
  [
    '- name: loop',
    '  forEach:',
    `    items: '${opts.items ?? '["a", "b", "c", "d"]'}'`,
    ...(opts.concurrency ? [`    concurrency: ${opts.concurrency}`] : []),
    ...(opts.key ? [`    key: '${opts.key}'`] : []),
    '  steps:',
    ...(opts.body ?? '- name: first\n  probe: { key: "first-{{ item }}" }\n- name: second\n  probe: { key: "second-{{ item }}", sleepMs: 5 }')
      .split('\n')
      .map((l) => `    ${l}`),
    '- name: after',
    '  probe: { key: after }',
  ].join('\n');

async function setup(steps: string, world = new World()): Promise<{ h: Harness; world: World }> {
  return { h: await Harness.create(runbook({ main: steps }), standardTypes(world)), world };
}

describe('forEach', () => {
  it('runs the body once per item, in order, with per-item ids', async () => {
    const { h, world } = await setup(loop());
    const out = await h.run();
    expect(world.of('apply')).toEqual(['first-a', 'second-a', 'first-b', 'second-b', 'first-c', 'second-c', 'first-d', 'second-d', 'after']);
    expect(statusOf(out, 'main/loop')).toBe('changed');
    expect(out.results.get('main/loop')?.summary).toBe('4 items');
    expect(statusOf(out, 'main/loop/second[c]')).toBe('changed');
    expect(statusOf(out, 'main/loop[c]')).toBe('changed');
    expect(out.state.steps['main/loop']?.itemsDone).toEqual(['a', 'b', 'c', 'd']);
  });

  const concurrency: [number, number][] = [
    [1, 1],
    [2, 2],
    [3, 3],
    [8, 4],
  ];
  for (const [limit, expected] of concurrency) {
    it(`concurrency ${limit}: at most ${expected} items at once`, async () => {
      const { h, world } = await setup(loop({ concurrency: limit, body: '- name: work\n  probe: { key: "w-{{ item }}", sleepMs: 150 }' }));
      const out = await h.run();
      expect(out.summary.status).toBe('succeeded');
      expect(world.maxRunning).toBe(expected);
      expect(world.of('apply').filter((k) => k.startsWith('w-')).sort()).toEqual(['w-a', 'w-b', 'w-c', 'w-d']);
      expect(h.store.problems).toEqual([]);
    });
  }

  it('forces to the disk the records of items a resume could not check again, not those of items it can', async () => {
    const items = '["a", "b", "c", "d", "e", "f", "g", "h"]';
    // probe checks its effect first: a resume that lost an item's record re-checks it and does nothing.
    const guarded = await setup(loop({ items, concurrency: 1, body: '- name: work\n  probe: { key: "w-{{ item }}" }' }));
    expect((await guarded.h.run()).summary.status).toBe('succeeded');
    // read has no check: its record is all a resume has, so each is forced to the disk.
    const unguarded = await setup(loop({ items, concurrency: 1, body: '- name: work\n  read: { key: "w-{{ item }}" }' }));
    expect((await unguarded.h.run()).summary.status).toBe('succeeded');
    const forced = (h: Harness): number => h.store.durable.filter(Boolean).length;
    expect(forced(unguarded.h)).toBeGreaterThanOrEqual(8);
    expect(forced(guarded.h)).toBeLessThan(forced(unguarded.h) - 6);
    // Every record is written all the same: what is on disk is the whole run.
    expect((await guarded.h.stateOnDisk()).steps['main/loop']?.itemsDone).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    expect(guarded.h.store.problems).toEqual([]);
  });

  it('checkpoints each finished item as it finishes', async () => {
    // Items further apart than the background delay (BACKGROUND_DELAY_MS, 50 ms) each get a write
    // of their own; closer ones share one. Far apart, so that a busy machine's late timers (the
    // whole suite at once) cannot bring two together.
    const { h } = await setup(loop({ body: '- name: work\n  probe: { key: "w-{{ item }}", sleepMs: 400 }' }));
    h.store.snapshots = [];
    await h.run();
    const seen = h.store.snapshots.map((s) => (s.steps['main/loop']?.itemsDone ?? []).join(','));
    expect(seen).toContain('a');
    expect(seen).toContain('a,b');
    expect(seen).toContain('a,b,c');
  });

  it('a resume skips finished items and re-enters the partial one at its failed step', async () => {
    const { h, world } = await setup(loop());
    world.fail('second-c', 1, false);
    const first = await h.run();
    expect(first.summary.status).toBe('failed');
    expect(statusOf(first, 'main/loop')).toBe('failed');
    expect(world.of('apply')).toEqual(['first-a', 'second-a', 'first-b', 'second-b', 'first-c', 'second-c']);
    expect((await h.stateOnDisk()).steps['main/loop']?.itemsDone).toEqual(['a', 'b']);

    world.calls.length = 0;
    const second = await h.run({ resume: true });
    expect(second.summary.status).toBe('succeeded');
    // Items a and b are not entered at all; c re-runs only its failed step.
    expect(world.calls).toEqual(['check:second-c', 'apply:second-c', 'verify:second-c', 'check:first-d', 'apply:first-d', 'verify:first-d', 'check:second-d', 'apply:second-d', 'verify:second-d', 'check:after', 'apply:after', 'verify:after']);
    expect(second.results.get('main/loop[a]')?.resumed).toBe(true);
    expect(second.results.get('main/loop/first[c]')?.resumed).toBe(true);
    expect((await h.stateOnDisk()).steps['main/loop']?.itemsDone).toEqual(['a', 'b', 'c', 'd']);
  });

  it('with concurrency, a failure lets running items finish and starts no new ones', async () => {
    const { h, world } = await setup(loop({ concurrency: 2, items: '["a", "b", "c", "d", "e"]', body: '- name: work\n  probe: { key: "w-{{ item }}", sleepMs: 40 }' }));
    world.fail('w-a', 1, false);
    const out = await h.run();
    expect(out.summary.status).toBe('failed');
    // b was running beside a and finishes; c, d, e never start.
    expect(world.of('apply').sort()).toEqual(['w-a', 'w-b']);
    expect(out.state.steps['main/loop']?.itemsDone).toEqual(['b']);
    world.calls.length = 0;
    const again = await h.run({ resume: true });
    expect(again.summary.status).toBe('succeeded');
    expect(world.of('apply').sort()).toEqual(['after', 'w-a', 'w-c', 'w-d', 'w-e']);
  });

  it('item keys come from metadata names, a key expression, or the index', async () => {
    const cases: [string, string | undefined, string[]][] = [
      ['[{"metadata": {"name": "x", "namespace": "ns"}}, {"metadata": {"name": "y"}}]', undefined, ['ns/x', 'y']],
      ['[{"name": "p"}, {"name": "q"}]', undefined, ['p', 'q']],
      ['[{"v": 1}, {"v": 2}]', undefined, ['0', '1']],
      ['[{"v": 1}, {"v": 2}]', '"v" + string(item.v)', ['v1', 'v2']],
    ];
    for (const [items, key, keys] of cases) {
      const { h } = await setup(loop({ items, key, body: '- name: work\n  read: { key: k }' }));
      const out = await h.run();
      expect(out.state.steps['main/loop']?.itemsDone).toEqual(keys);
    }
  });

  it('items that are not a list fail the loop', async () => {
    const { h } = await setup(loop({ items: '{"a": 1}' }));
    const out = await h.run();
    expect(out.results.get('main/loop')?.error?.message).toMatch(/must be a list, got object/);
  });

  it('an empty list is fine', async () => {
    const { h, world } = await setup(loop({ items: '[]' }));
    const out = await h.run();
    expect(out.summary.status).toBe('succeeded');
    expect(world.of('apply')).toEqual(['after']);
  });

  it('a gate inside a concurrent loop ends the run only after the running items settle', async () => {
    const { h, world } = await setup(
      loop({
        concurrency: 2,
        items: '[{"name": "a", "ms": 5}, {"name": "b", "ms": 80}, {"name": "c", "ms": 5}]',
        body: '- name: work\n  probe: { key: "w-{{ item.name }}", sleepMs: "{{ item.ms }}" }\n- name: ask\n  confirm: "go on with {{ item.name }}?"\n  probe: { key: "g-{{ item.name }}" }',
      }),
    );
    const out = await h.run();
    expect(out.summary.status).toBe('waiting-approval');
    const seen = out.events.length;
    await new Promise((r) => setTimeout(r, 150));
    // Nothing happens after the run reported its end, and the state on disk is the final one.
    expect(out.events.length).toBe(seen);
    expect(out.events.at(-1)?.type).toBe('run:end');
    expect(world.of('apply').sort()).toEqual(['w-a', 'w-b']);
    const disk = await h.stateOnDisk();
    expect(disk.status).toBe('waiting-approval');
    expect(disk.steps['main/loop/ask[a]']?.state).toBe('waiting');
    expect(disk.steps['main/loop/work[b]']?.status).toBe('changed');
  });
});

describe('forEach: registered values belong to their item', () => {
  const body = [
    '- name: compute',
    '  probe: { key: "c-{{ item }}", sleepMs: 20, output: { for: "{{ item }}" } }',
    '  register: computed',
    '- name: use',
    '  probe: { key: "use-{{ item }}-{{ computed.for }}", sleepMs: 5 }',
  ].join('\n');

  it('items running at once each see their own registered value', async () => {
    const { h, world } = await setup(loop({ concurrency: 4, body }));
    const out = await h.run();
    expect(out.summary.status).toBe('succeeded');
    expect(world.of('apply').filter((k) => k.startsWith('use-')).sort()).toEqual(['use-a-a', 'use-b-b', 'use-c-c', 'use-d-d']);
    expect(out.state.registered['computed[b]']).toMatchObject({ for: 'b' });
    expect(out.state.registered.computed).toBeUndefined();
  });

  it('a resumed item gets back the value its completed step registered', async () => {
    const { h, world } = await setup(loop({ body }));
    world.fail('use-c-c', 1, false);
    expect((await h.run()).summary.status).toBe('failed');
    const second = await h.run({ resume: true });
    expect(second.summary.status).toBe('succeeded');
    // compute[c] was not run again, yet use[c] saw its value.
    expect(world.of('apply').filter((k) => k === 'c-c')).toHaveLength(1);
    expect(world.of('apply')).toContain('use-c-c');
  });
});
