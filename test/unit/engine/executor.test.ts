// The executor's step lifecycle with in-memory step types: when → check → apply → verify, retries
// of transient errors with backoff, `until`, per-attempt timeouts, continueOnError and groups.
import { describe, expect, it } from 'vitest';
import { Harness, runbook, statusOf } from '../../fixtures/engine/harness.js';
import { World, standardTypes } from '../../fixtures/engine/types.js';

async function setup(steps: string, world = new World()): Promise<{ h: Harness; world: World }> {
  return { h: await Harness.create(runbook({ main: steps }), standardTypes(world)), world };
}

describe('lifecycle', () => {
  const cases: {
    name: string;
    step: string;
    arrange?: (w: World) => void;
    dryRun?: 'client';
    status: string;
    calls: string[];
    reason?: RegExp;
  }[] = [
    { name: 'when false: skipped, nothing called', step: 'when: "1 > 2"\nprobe: { key: a }', status: 'skipped', calls: [], reason: /when: 1 > 2/ },
    { name: 'when true: runs', step: 'when: "2 > 1"\nprobe: { key: a }', status: 'changed', calls: ['check:a', 'apply:a', 'verify:a'] },
    { name: 'check holds: ok without apply', step: 'probe: { key: a }', arrange: (w) => w.holds.add('a'), status: 'ok', calls: ['check:a'], reason: /a holds/ },
    { name: 'apply changes: changed, verified', step: 'probe: { key: a }', status: 'changed', calls: ['check:a', 'apply:a', 'verify:a'] },
    { name: 'apply without change: ok', step: 'probe: { key: a, changed: false }', status: 'ok', calls: ['check:a', 'apply:a', 'verify:a'] },
    { name: 'verify fails: failed', step: 'probe: { key: a }', arrange: (w) => w.verifyFails.add('a'), status: 'failed', calls: ['check:a', 'apply:a', 'verify:a'] },
    { name: 'apply fails: failed, no verify', step: 'probe: { key: a, error: boom }', status: 'failed', calls: ['check:a', 'apply:a'] },
    { name: 'no check: apply runs', step: 'read: { key: a }', status: 'changed', calls: ['apply:a'] },
    { name: 'dry run of a skip type: skipped after check', step: 'shellish: { key: a }', dryRun: 'client', status: 'skipped', calls: ['check:a'], reason: /dry run/ },
    { name: 'dry run of a native type: applied, not verified', step: 'probe: { key: a }', dryRun: 'client', status: 'changed', calls: ['check:a', 'apply:a'] },
    { name: 'when that is not a boolean: failed', step: 'when: "1 + 1"\nprobe: { key: a }', status: 'failed', calls: [] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { h, world } = await setup(`- name: s\n${c.step.replace(/^/gm, '  ')}`);
      c.arrange?.(world);
      const out = await h.run({ dryRun: c.dryRun });
      expect(statusOf(out, 'main/s')).toBe(c.status);
      expect(world.calls).toEqual(c.calls);
      if (c.reason) expect(out.results.get('main/s')?.reason).toMatch(c.reason);
      expect(out.summary.status).toBe(c.status === 'failed' ? 'failed' : 'succeeded');
    });
  }

  it('announces node:start before node:end, and step:attempt inside them', async () => {
    const { h } = await setup('- name: s\n  probe: { key: a }');
    const out = await h.run();
    const kinds = out.events.map((e) => e.type);
    expect(kinds).toEqual(['run:start', 'section:start', 'node:start', 'step:attempt', 'node:end', 'run:end']);
  });

  it('stops at the first failed step', async () => {
    const { h, world } = await setup('- name: one\n  probe: { key: a, error: boom }\n- name: two\n  probe: { key: b }');
    const out = await h.run();
    expect(out.summary.status).toBe('failed');
    expect(out.state.message).toBe('step main/one failed');
    expect(world.of('apply')).toEqual(['a']);
    expect(out.results.has('main/two')).toBe(false);
  });
});

describe('retries', () => {
  const backoff = 'backoff: { delay: 10ms, factor: 2, max: 25ms }';
  const cases: { name: string; retries: number; fails: number; transient: boolean; status: string; attempts: number; delays: number[] }[] = [
    { name: 'transient, retried until it works', retries: 3, fails: 2, transient: true, status: 'changed', attempts: 3, delays: [10, 20] },
    { name: 'transient, delays capped at max', retries: 4, fails: 3, transient: true, status: 'changed', attempts: 4, delays: [10, 20, 25] },
    { name: 'transient, retries run out', retries: 2, fails: Infinity, transient: true, status: 'failed', attempts: 3, delays: [10, 20] },
    { name: 'permanent: never retried', retries: 3, fails: 1, transient: false, status: 'failed', attempts: 1, delays: [] },
    { name: 'no retries: one attempt', retries: 0, fails: 1, transient: true, status: 'failed', attempts: 1, delays: [] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { h, world } = await setup(`- name: s\n  retries: ${c.retries}\n  ${backoff}\n  probe: { key: a }`);
      world.fail('a', c.fails, c.transient);
      const out = await h.run();
      const r = out.results.get('main/s')!;
      expect(r.status).toBe(c.status);
      expect(r.attempts).toBe(c.attempts);
      expect(world.of('apply')).toHaveLength(c.attempts);
      const retries = out.events.filter((e) => e.type === 'step:retry');
      expect(retries.map((e) => e.delayMs)).toEqual(c.delays);
      // The delay announced is the delay waited (timers may fire a little late, never early).
      const times = world.attemptTimes.get('a')!;
      c.delays.forEach((d, i) => expect(times[i + 1]! - times[i]!).toBeGreaterThanOrEqual(d - 2));
      expect(r.error?.transient ?? false).toBe(c.status === 'failed' && c.transient);
    });
  }

  it('the attempts of a step survive into its next run', async () => {
    const { h, world } = await setup(`- name: s\n  retries: 1\n  ${backoff}\n  probe: { key: a }`);
    world.fail('a', Infinity, true);
    expect((await h.run()).results.get('main/s')?.attempts).toBe(2);
    world.heal('a');
    const again = await h.run({ resume: true });
    expect(again.results.get('main/s')).toMatchObject({ status: 'changed', attempts: 3 });
  });

  it('is never retried after the run was stopped', async () => {
    const { h, world } = await setup(`- name: s\n  retries: 5\n  backoff: { delay: 50ms }\n  probe: { key: a }`);
    world.fail('a', Infinity, true);
    const stop = new AbortController();
    const out = await h.run({
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === 'step:retry') stop.abort(new Error('SIGINT'));
      },
    });
    expect(out.summary.status).toBe('aborted');
    expect(world.of('apply')).toEqual(['a']);
    // Interrupted, not failed: a resume re-enters it at its check.
    expect((await h.stateOnDisk()).steps['main/s']?.state).toBe('running');
  });
});

describe('until', () => {
  it('repeats the step until the condition over its output holds', async () => {
    const { h, world } = await setup('- name: s\n  until: result.count >= 3\n  retries: 5\n  backoff: { delay: 1ms }\n  read: { key: a }');
    const out = await h.run();
    expect(out.results.get('main/s')).toMatchObject({ status: 'changed', attempts: 3 });
    expect(world.of('apply')).toEqual(['a', 'a', 'a']);
  });

  it('fails when the retries run out first', async () => {
    const { h } = await setup('- name: s\n  until: result.count >= 10\n  retries: 2\n  backoff: { delay: 1ms }\n  read: { key: a }');
    const out = await h.run();
    const r = out.results.get('main/s')!;
    expect(r).toMatchObject({ status: 'failed', attempts: 3 });
    expect(r.error?.message).toMatch(/until: "result.count >= 10" is not yet true/);
  });

  it('is not evaluated when the check already holds', async () => {
    const { h, world } = await setup('- name: s\n  until: result.count >= 10\n  probe: { key: a }');
    world.holds.add('a');
    expect(statusOf(await h.run(), 'main/s')).toBe('ok');
  });
});

describe('per-attempt timeout', () => {
  it('aborts the attempt through its signal', async () => {
    const { h, world } = await setup('- name: s\n  timeout: 40ms\n  probe: { key: a, sleepMs: 5000 }');
    const out = await h.run();
    // The attempt ended through its signal, long before its sleep would have.
    expect(world.running).toBe(0);
    const r = out.results.get('main/s')!;
    expect(r.status).toBe('failed');
    expect(r.error?.message).toMatch(/timed out after 40ms/);
    expect(world.signals.get('a')?.aborted).toBe(true);
  });

  it('a step that ignores its signal cannot hang the run', async () => {
    const { h, world } = await setup('- name: s\n  timeout: 40ms\n  probe: { key: a, sleepMs: 3000, ignoreSignal: true }\n- name: t\n  probe: { key: b }');
    const out = await h.run();
    // The run ended while the attempt that ignores its signal is still sleeping: it did not wait for it.
    expect(world.running).toBe(1);
    expect(statusOf(out, 'main/s')).toBe('failed');
    expect(out.results.has('main/t')).toBe(false);
  });

  it('a step that never settles and holds no timer still times out', async () => {
    const { h } = await setup('- name: s\n  timeout: 30ms\n  probe: { key: a, hang: true }');
    const out = await h.run();
    expect(out.results.get('main/s')?.error?.message).toMatch(/timed out after 30ms/);
  });

  it('a timed-out attempt is retried when the step has retries', async () => {
    const { h, world } = await setup('- name: s\n  timeout: 40ms\n  retries: 2\n  backoff: { delay: 1ms }\n  probe: { key: a }');
    world.slow('a', 1, 5000);
    const out = await h.run();
    expect(out.results.get('main/s')).toMatchObject({ status: 'changed', attempts: 2 });
    expect(out.events.find((e) => e.type === 'step:retry')).toMatchObject({ error: 'timed out after 40ms' });
  });

  it('each attempt gets its own timeout', async () => {
    const { h, world } = await setup('- name: s\n  timeout: 200ms\n  retries: 2\n  backoff: { delay: 1ms }\n  until: result.count >= 3\n  read: { key: a, sleepMs: 80 }');
    const out = await h.run();
    // 3 attempts of 80ms each: longer than one timeout together, each within its own.
    expect(out.results.get('main/s')).toMatchObject({ status: 'changed', attempts: 3 });
    expect(world.of('apply')).toHaveLength(3);
  });
});

describe('continueOnError', () => {
  it('records the failure and goes on', async () => {
    const { h, world } = await setup('- name: one\n  continueOnError: true\n  probe: { key: a, error: boom }\n- name: two\n  probe: { key: b }');
    const out = await h.run();
    expect(statusOf(out, 'main/one')).toBe('failed');
    expect(statusOf(out, 'main/two')).toBe('changed');
    expect(out.summary).toMatchObject({ status: 'succeeded', counts: { failed: 1, changed: 1 } });
    expect(world.of('apply')).toEqual(['a', 'b']);
  });

  it('a resume does not run the tolerated failure again', async () => {
    const { h, world } = await setup(
      '- name: one\n  continueOnError: true\n  probe: { key: a, error: boom }\n- name: two\n  probe: { key: b }\n- name: three\n  probe: { key: c }',
    );
    world.fail('c', 1, false);
    expect((await h.run()).summary.status).toBe('failed');
    world.calls.length = 0;
    const out = await h.run({ resume: true });
    expect(out.summary.status).toBe('succeeded');
    expect(world.calls).toEqual(['check:c', 'apply:c', 'verify:c']);
    expect(statusOf(out, 'main/one')).toBe('failed');
  });
});

describe('groups', () => {
  const group = (extra = '', child2 = 'probe: { key: b }') =>
    `- name: g\n${extra}  steps:\n    - name: one\n      probe: { key: a }\n    - name: two\n      ${child2}\n- name: after\n  probe: { key: c }`;

  it('runs children in order; the group aggregates their status', async () => {
    const { h, world } = await setup(group());
    const out = await h.run();
    expect(world.of('apply')).toEqual(['a', 'b', 'c']);
    expect(statusOf(out, 'main/g')).toBe('changed');
    expect(out.events.filter((e) => e.type === 'node:start').map((e) => (e.type === 'node:start' ? `${e.node.id}@${e.node.depth}` : ''))).toEqual([
      'main/g@0',
      'main/g/one@1',
      'main/g/two@1',
      'main/after@0',
    ]);
  });

  it('is ok when every child already holds', async () => {
    const { h, world } = await setup(group());
    world.holds.add('a').add('b');
    expect(statusOf(await h.run(), 'main/g')).toBe('ok');
  });

  it('a failed child fails the group and stops the run', async () => {
    const { h, world } = await setup(group('', 'probe: { key: b, error: boom }'));
    const out = await h.run();
    expect(statusOf(out, 'main/g')).toBe('failed');
    expect(out.results.get('main/g')?.error?.message).toBe('step main/g/two failed');
    expect(world.of('apply')).toEqual(['a', 'b']);
    expect(out.state.message).toBe('step main/g failed');
  });

  it('a group that continues on error lets the run go on', async () => {
    const { h, world } = await setup(group('  continueOnError: true\n', 'probe: { key: b, error: boom }'));
    const out = await h.run();
    expect(out.summary.status).toBe('succeeded');
    expect(world.of('apply')).toEqual(['a', 'b', 'c']);
  });

  it('when false skips the group and all it holds', async () => {
    const { h, world } = await setup(group('  when: "false"\n'));
    const out = await h.run();
    expect(statusOf(out, 'main/g')).toBe('skipped');
    expect(world.of('apply')).toEqual(['c']);
    expect(out.results.has('main/g/one')).toBe(false);
  });
});
