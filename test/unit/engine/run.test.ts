// The run lifecycle without a cluster: a run is started and recorded, a stopped one is found and
// continued (never one that changed or whose secrets are not given again), a damaged or unknown
// state is named and never started over silently, the preflight is asked before anything is
// recorded, and the outcome is handed over while the run is still locked.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepare } from '../../../src/cli/prepare.js';
import { PermissionsMissing, RunbookError, StateDamaged } from '../../../src/contract/errors.js';
import { REDACTED, Redactor } from '../../../src/contract/redact.js';
import { StepRegistry } from '../../../src/contract/registry.js';
import type { StepType } from '../../../src/contract/step-type.js';
import type { RunEvent } from '../../../src/engine/events.js';
import { LockHeld, liveRunHolder } from '../../../src/engine/lock.js';
import { startRun, type RunHooks, type RunOptions, type RunOutcome, type RunServices } from '../../../src/engine/run.js';
import { StateStore } from '../../../src/engine/state.js';
import type { StepNeeds } from '../../../src/runbook/permission-needs.js';
import { runbook } from '../../fixtures/engine/harness.js';
import { World, probe, standardTypes, type ProbeInput } from '../../fixtures/engine/types.js';

const THREE = ['a', 'b', 'c'].map((k) => `- name: ${k}\n  probe: { key: ${k} }`).join('\n');

/** A step type that says it reads a ConfigMap: a plan with one talks to a cluster. */
const reader = (world: World): StepType<ProbeInput> =>
  probe(world, 'reader', { readOnly: true, check: undefined, verify: undefined, permissions: (input) => [{ verb: 'get', group: '', apiVersion: 'v1', kind: 'ConfigMap', name: input.key }] });

interface Trial {
  file: string;
  stateDir: string;
  world: World;
  registry: StepRegistry;
  notices: string[];
  access: StepNeeds[][];
  finished: { outcome: RunOutcome; lockedBy: string | undefined }[];
  events: RunEvent[];
  run(options?: Partial<RunOptions>, hooks?: Partial<RunHooks> & { vars?: string[] }): Promise<RunOutcome>;
}

async function trial(steps = THREE, extra = ''): Promise<Trial> {
  const dir = await mkdtemp(join(tmpdir(), 'runbook-run-'));
  const file = join(dir, 'runbook.yaml');
  writeFileSync(file, runbook({ main: steps }, extra));
  const world = new World();
  const registry = new StepRegistry([...standardTypes(world), reader(world)]);
  const t: Trial = {
    file,
    stateDir: join(dir, '.runbook'),
    world,
    registry,
    notices: [],
    access: [],
    finished: [],
    events: [],
    run: (options = {}, { vars = [], ...hooks } = {}) =>
      startRun(
        { mode: 'run', file, stateDir: t.stateDir, registry, dryRun: 'none', selection: { only: [], skip: [] }, approvals: { all: true, ids: [] }, ...options },
        {
          prepare: (f, stored) => prepare(f, { var: vars, varsFile: [] }, registry, stored),
          notice: (m) => t.notices.push(m),
          clusterServer: async () => 'https://cluster.example:6443',
          checkAccess: async (needs) => void t.access.push(needs),
          progress: () => ({ onEvent: (e) => t.events.push(e), end: async () => undefined }),
          services: async (): Promise<RunServices> => ({ services: {}, close: async () => undefined }),
          finish: async (outcome) => void t.finished.push({ outcome, lockedBy: await liveRunHolder(outcome.runDir) }),
          ...hooks,
        },
      ),
  };
  return t;
}

const runIds = (t: Trial): string[] => readdirSync(join(t.stateDir, 'runs')).sort();
const store = (t: Trial): StateStore => new StateStore(t.stateDir, new Redactor(), false);

describe('starting a run', () => {
  it('records a new run with its vars (a secret as the marker) and step digests, and hands it over still locked', async () => {
    const t = await trial(THREE, 'vars:\n  who: { type: string }\n  token: { type: string, secret: true }\n');
    const outcome = await t.run({}, { vars: ['who=ops', 'token=s3cret-value'] });
    expect(outcome.summary.status).toBe('succeeded');
    expect(t.world.of('apply')).toEqual(['a', 'b', 'c']);
    const state = await store(t).load(outcome.state.runId);
    expect(state).toMatchObject({ status: 'succeeded', dryRun: 'none', vars: { who: 'ops', token: REDACTED }, runbook: { file: t.file } });
    expect(Object.keys(state!.stepDigests)).toEqual(['main/a', 'main/b', 'main/c']);
    expect(readFileSync(store(t).statePath(outcome.state.runId), 'utf8')).not.toContain('s3cret-value');
    expect(t.finished).toHaveLength(1);
    expect(t.finished[0]!.lockedBy).toMatch(/^pid \d+ on host /);
    // Released once the outcome is handed over.
    expect(await liveRunHolder(outcome.runDir)).toBeUndefined();
  });

  it('asks the preflight only when a step talks to the cluster, and not in a client dry run', async () => {
    const local = await trial();
    await local.run();
    expect(local.access).toEqual([]);

    const remote = await trial(`${THREE}\n- name: read it\n  reader: { key: settings }`);
    await remote.run({ dryRun: 'client' });
    expect(remote.access).toEqual([]);
    await remote.run();
    expect(remote.access).toEqual([[{ stepId: 'main/read-it', needs: [{ verb: 'get', group: '', apiVersion: 'v1', kind: 'ConfigMap', name: 'settings' }] }]]);
  });

  it('records nothing when the preflight refuses', async () => {
    const t = await trial(`- name: read it\n  reader: { key: settings }`);
    const refused = t.run({}, { checkAccess: async () => Promise.reject(new PermissionsMissing('user "viewer" lacks 1 permission this runbook needs')) });
    await expect(refused).rejects.toBeInstanceOf(PermissionsMissing);
    expect(t.world.calls).toEqual([]);
    expect(await store(t).list()).toEqual([]);
  });
});

describe('continuing a stopped run', () => {
  async function stopped(steps = THREE, extra = '', vars: string[] = []): Promise<{ t: Trial; runId: string }> {
    const t = await trial(steps, extra);
    t.world.fail('b', 1, false);
    const first = await t.run({}, { vars });
    expect(first.summary.status).toBe('failed');
    t.world.calls.length = 0;
    return { t, runId: first.state.runId };
  }

  it('refuses to start over an unfinished run without --resume or --fresh when no one can be asked', async () => {
    const { t, runId } = await stopped();
    const err = await t.run().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RunbookError);
    expect((err as RunbookError).message).toMatch(new RegExp(`^run ${runId} of this runbook did not finish \\(failed`));
    expect((err as RunbookError).hint).toBe('pass --resume to continue it, or --fresh to start a new run; runbook status shows where it stopped');
    expect(runIds(t)).toEqual([runId]);
  });

  it('continues it from the failed step with --resume, and with `resume` by id or as the newest', async () => {
    const { t, runId } = await stopped();
    const resumed = await t.run({ resume: true });
    expect(resumed.state.runId).toBe(runId);
    expect(resumed.summary.status).toBe('succeeded');
    expect(t.world.of('apply')).toEqual(['b', 'c']);

    const again = await stopped();
    const byId = await again.t.run({ mode: 'resume', file: undefined, runId: again.runId });
    expect(byId.state.runId).toBe(again.runId);
    const done = await again.t.run({ mode: 'resume', file: undefined }).then(() => undefined, (e: unknown) => e);
    expect((done as RunbookError).message).toBe(`no unfinished run in ${again.t.stateDir}`);
  });

  it('asks, when someone can answer: no starts a fresh run beside it', async () => {
    const { t, runId } = await stopped();
    const questions: string[] = [];
    const fresh = await t.run({}, { askResume: async (q) => (questions.push(q), false) });
    expect(questions[0]).toMatch(new RegExp(`^run ${runId} of this runbook did not finish \\(failed.*\\)\\.\\nResume it\\? \\(no starts a fresh run\\)$`));
    expect(fresh.state.runId).not.toBe(runId);
    expect(t.world.of('check')).toEqual(['a', 'b', 'c']);
  });

  it('refuses a runbook that changed since the run started, listing what changed; --allow-changed goes on', async () => {
    const { t, runId } = await stopped();
    writeFileSync(t.file, runbook({ main: THREE.replace('{ key: c }', '{ key: c, summary: changed }') + '\n- name: d\n  probe: { key: d }' }));
    const err = await t.run({ mode: 'resume', file: undefined, runId }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RunbookError);
    expect((err as RunbookError).message).toBe(`the runbook changed since run ${runId} started:\n  changed: main/c\n  added:   main/d`);
    expect(t.world.calls).toEqual([]);

    const resumed = await t.run({ mode: 'resume', file: undefined, runId, allowChanged: true });
    expect(t.notices).toContain(`the runbook changed since run ${runId} started:\n  changed: main/c\n  added:   main/d`);
    expect(resumed.summary.status).toBe('succeeded');
    expect(t.world.of('apply')).toEqual(['b', 'c', 'd']);
  });

  it('needs every secret given again; other vars come back from the record', async () => {
    const vars = 'vars:\n  who: { type: string }\n  token: { type: string, secret: true }\n';
    const { t, runId } = await stopped(THREE, vars, ['who=ops', 'token=s3cret-value']);
    const err = await t.run({ mode: 'resume', file: undefined, runId }).then(() => undefined, (e: unknown) => e);
    expect((err as RunbookError).message).toBe('secret var token must be given again to resume');
    expect((err as RunbookError).hint).toBe('secrets are never stored; pass them with --var, --vars-file or RUNBOOK_VAR_token');
    const resumed = await t.run({ mode: 'resume', file: undefined, runId }, { vars: ['token=s3cret-value'] });
    expect(resumed.summary.status).toBe('succeeded');
    expect((await store(t).load(runId))!.vars).toEqual({ who: 'ops', token: REDACTED });
  });

  it('refuses a run another live executor holds', async () => {
    const { t, runId } = await stopped();
    const dir = store(t).runDir(runId);
    const s = await store(t).load(runId);
    // As a run killed mid-step leaves it, with its executor still alive (this process).
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ ...s, status: 'running', seq: undefined }));
    writeFileSync(join(dir, 'state.log'), '');
    const { acquireRunLock } = await import('../../../src/engine/lock.js');
    const lock = await acquireRunLock(dir, runId);
    try {
      await expect(t.run({ resume: true })).rejects.toBeInstanceOf(LockHeld);
    } finally {
      await lock.release();
    }
    // Or anywhere, as the state's other home says (with --state kubernetes, the cluster's Lease).
    const elsewhere = `run ${runId}, pid 7 on host other-machine`;
    const sharedState = { liveHolder: async () => elsewhere, lease: async () => ({ release: async () => undefined }), follow: () => ({ stop: async () => undefined }) };
    const err = await t.run({ resume: true }, { sharedState }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeld);
    expect((err as LockHeld).message).toBe(`run ${runId} of this runbook is being executed by ${elsewhere}`);
  });
});

describe('damaged and unknown state', () => {
  async function damagedRun(): Promise<{ t: Trial; runId: string; log: string }> {
    const t = await trial();
    t.world.fail('b', 1, false);
    const { state } = await t.run();
    const log = join(store(t).runDir(state.runId), 'state.log');
    const lines = readFileSync(log, 'utf8').split('\n');
    writeFileSync(log, ['{"seq": garbage', ...lines.slice(1)].join('\n'));
    t.world.calls.length = 0;
    return { t, runId: state.runId, log };
  }

  it('a damaged run of the runbook is not started over: named with its line; --fresh starts beside it and says so', async () => {
    const { t, runId, log } = await damagedRun();
    const err = await t.run().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StateDamaged);
    expect((err as StateDamaged).message).toBe(`the state of run ${runId} is damaged: ${log}:1: the line is damaged (not one recorded change)`);
    expect((err as StateDamaged).hint).toMatch(/--repair .*; --fresh starts a new run beside it$/);
    expect(t.world.calls).toEqual([]);

    const fresh = await t.run({ fresh: true });
    expect(fresh.summary.status).toBe('succeeded');
    expect(t.notices).toContain(`left as it is: ${(err as StateDamaged).message}`);
    expect(runIds(t)).toEqual([fresh.state.runId, runId].sort());
  });

  it('resume --repair keeps what is proven and checks the rest again', async () => {
    const { t, runId } = await damagedRun();
    const repaired = await t.run({ mode: 'resume', file: undefined, runId, repair: true });
    expect(repaired.state.runId).toBe(runId);
    expect(repaired.summary.status).toBe('succeeded');
    expect(t.notices.find((n) => n.startsWith(`repaired run ${runId}: `))).toMatch(/steps proven done are kept, every other step is checked again; set aside: /);
  });

  it('a state of a format this version does not know is named with its file, never read or repaired', async () => {
    const { t, runId } = await damagedRun();
    const snapshot = store(t).statePath(runId);
    writeFileSync(snapshot, JSON.stringify({ ...JSON.parse(readFileSync(snapshot, 'utf8')), version: 99 }));
    for (const options of [{ runId }, { runId, repair: true }]) {
      const err = await t.run({ mode: 'resume', file: undefined, ...options }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(StateDamaged);
    }
    writeFileSync(join(store(t).runDir(runId), 'state.log'), '');
    const err = await t.run({ mode: 'resume', file: undefined, runId }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StateDamaged);
    expect((err as StateDamaged).message).toBe(`${snapshot}: state format 99 is not supported (this runbook reads format 1)`);
    expect((err as StateDamaged).hint).toBe('resume it with the runbook version that started it, or start a fresh run');
    // `run` does not start over it either, and `status` lists it as damaged.
    const run = await t.run().then(() => undefined, (e: unknown) => e);
    expect(run).toBeInstanceOf(StateDamaged);
    expect((run as StateDamaged).hint).toBe('resume it with the runbook version that started it, or start a fresh run; --fresh starts a new run beside it');
    expect((await store(t).scan()).damaged.map((d) => d.message)).toEqual([(err as StateDamaged).message]);
    // Nothing was set aside or rewritten.
    expect(JSON.parse(readFileSync(snapshot, 'utf8')).version).toBe(99);
    expect(readdirSync(store(t).runDir(runId)).filter((f) => f.includes('.damaged-'))).toEqual([]);
  });
});
