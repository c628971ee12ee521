// The checkpointed state: what a resume runs again, that the file is whole and private after every
// transition, and that no secret ever reaches it.
import { stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { Harness, runbook, statusOf } from '../../fixtures/engine/harness.js';
import { World, standardTypes } from '../../fixtures/engine/types.js';

const five = ['a', 'b', 'c', 'd', 'e'].map((k) => `- name: ${k}\n  probe: { key: ${k} }`).join('\n');

async function setup(steps = five, world = new World()): Promise<{ h: Harness; world: World }> {
  return { h: await Harness.create(runbook({ main: steps }), standardTypes(world)), world };
}

describe('resume', () => {
  it('after a failure runs only the failed step and what follows', async () => {
    const { h, world } = await setup();
    world.fail('c', 1, false);
    const first = await h.run();
    expect(first.summary).toMatchObject({ status: 'failed', counts: { changed: 2, failed: 1 } });
    world.calls.length = 0;
    const second = await h.run({ resume: true });
    expect(second.summary).toMatchObject({ status: 'succeeded', counts: { changed: 5, failed: 0 } });
    // a and b are not even checked; c starts again at its check.
    expect(world.calls).toEqual(['check:c', 'apply:c', 'verify:c', 'check:d', 'apply:d', 'verify:d', 'check:e', 'apply:e', 'verify:e']);
    expect(second.resumed).toEqual(['main/a', 'main/b']);
    expect(second.events[0]).toMatchObject({ type: 'run:start', resumed: true });
    expect((await h.stateOnDisk()).status).toBe('succeeded');
  });

  it('a step interrupted mid-apply is re-entered at its check', async () => {
    const { h, world } = await setup('- name: a\n  probe: { key: a }\n- name: b\n  probe: { key: b, sleepMs: 2000 }\n- name: c\n  probe: { key: c }');
    const stop = new AbortController();
    const first = await h.run({ signal: stop.signal, onEvent: (e) => e.type === 'step:attempt' && e.id === 'main/b' && setTimeout(() => stop.abort(new Error('SIGTERM')), 20) });
    expect(first.summary.status).toBe('aborted');
    const disk = await h.stateOnDisk();
    expect(disk.status).toBe('aborted');
    expect(disk.steps['main/b']).toMatchObject({ state: 'running', attempts: 1 });
    world.calls.length = 0;
    // The interrupted apply got far enough to make its effect hold: the check sees it.
    world.holds.add('b');
    const second = await h.run({ resume: true });
    expect(statusOf(second, 'main/b')).toBe('ok');
    expect(world.calls).toEqual(['check:b', 'check:c', 'apply:c', 'verify:c']);
    expect(second.state.steps['main/b']?.attempts).toBe(2);
  });

  it('steps skipped by when in the first run stay skipped', async () => {
    const { h, world } = await setup('- name: a\n  when: "false"\n  probe: { key: a }\n- name: b\n  probe: { key: b }');
    world.fail('b', 1, false);
    await h.run();
    world.calls.length = 0;
    const out = await h.run({ resume: true });
    expect(out.resumed).toEqual(['main/a']);
    expect(world.of('apply')).toEqual(['b']);
  });
});

describe('state file', () => {
  it('is whole JSON and mode 0600 after every transition, in a 0700 folder', async () => {
    const { h } = await setup(
      `${five}\n- name: loop\n  forEach: { items: '["x", "y", "z"]', concurrency: 2 }\n  steps:\n    - name: s\n      probe: { key: "l-{{ item }}", sleepMs: 3 }`,
    );
    h.store.snapshots = [];
    const out = await h.run();
    expect(out.summary.status).toBe('succeeded');
    expect(h.store.problems).toEqual([]);
    // At least: start, one before each attempt and one after each of the five steps, end. The
    // records of loop items' steps that check their effect are written while the loop goes on,
    // sharing the writes of BACKGROUND_DELAY_MS (checkpoint-writer.ts).
    expect(h.store.writes).toBeGreaterThanOrEqual(2 + 2 * 5);
    expect((await stat(h.store.runDir(h.runId))).mode & 0o777).toBe(0o700);
    const statuses = h.store.snapshots.map((s) => s.status);
    expect(statuses[0]).toBe('running');
    expect(statuses.at(-1)).toBe('succeeded');
  });

  it('records a step as done before it announces the end', async () => {
    const { h } = await setup();
    h.store.snapshots = [];
    const seen: string[] = [];
    await h.run({
      onEvent: (e) => {
        if (e.type !== 'node:end') return;
        const last = h.store.snapshots?.at(-1)?.steps[e.node.id];
        seen.push(`${e.node.id}:${last?.state}:${last?.status}`);
      },
    });
    expect(seen).toEqual(['main/a:done:changed', 'main/b:done:changed', 'main/c:done:changed', 'main/d:done:changed', 'main/e:done:changed']);
  });
});

describe('secrets', () => {
  const secret = 's3cr3t-"quoted"\\value';
  const steps = [
    '- name: shows it',
    '  probe: { key: a, log: "token is {{ token }}", summary: "used {{ token }}", output: { token: "{{ token }}" } }',
    '  register: leaked',
    '- name: finds it',
    '  read: { key: b, findings: [{ severity: warning, check: token-seen, message: "saw {{ token }}" }] }',
    '- name: retries with it',
    '  retries: 1',
    '  backoff: { delay: 1ms }',
    '  probe: { key: c }',
    '- name: fails with it',
    '  probe: { key: d, error: "denied for {{ token }}" }',
  ].join('\n');

  it('never appear in the state file or the events', async () => {
    const world = new World();
    const h = await Harness.create(runbook({ main: steps }, 'vars:\n  token: { secret: true, required: true }\n'), standardTypes(world), {
      given: { token: secret },
    });
    world.fail('c', 1, true, `transient: ${secret}`);
    h.store.snapshots = [];
    const out = await h.run();
    expect(out.summary.status).toBe('failed');
    const text = await h.stateText();
    const events = JSON.stringify(out.events);
    for (const form of [secret, JSON.stringify(secret).slice(1, -1)]) {
      expect(text).not.toContain(form);
      expect(events).not.toContain(form);
      for (const snapshot of h.store.snapshots) expect(JSON.stringify(snapshot)).not.toContain(form);
    }
    expect(text).toContain('<redacted>');
    expect(events).toContain('token is <redacted>');
    expect(events).toContain('used <redacted>');
    expect(events).toContain('denied for <redacted>');
  });
});
