// What the terminal renderer shows for a fixed run on a terminal of fixed size, compared with a
// file: the folded task tree, a loop's items by key, a finding under its step, a failure with its
// message, a gate's question on the last lines, and a tree taller than the screen folded to fit.
// The renderer's clock (spinner ticks, the frame drawn after a burst of events) is faked, so every
// frame is the same on every run.
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ANSWERS } from '../../../../src/cli/render/layout.js';
import { ListrRenderer } from '../../../../src/cli/render/listr.js';
import type { KeyInput } from '../../../../src/cli/render/prompt.js';
import type { NodeInfo, RunEvent } from '../../../../src/engine/events.js';
import { StepRegistry } from '../../../../src/contract/registry.js';
import { loadRunbook } from '../../../../src/runbook/loader.js';
import type { Plan } from '../../../../src/runbook/types.js';
import { World, standardTypes } from '../../../fixtures/engine/types.js';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOW, sampleEvents, samplePlan } from './fixtures/sample-run.js';
import { FixedTerminal } from './fixtures/terminal.js';

let renderer: ListrRenderer | undefined;

beforeEach(() => {
  // The terminal emulator parses on real timeouts; the renderer's ticker, its frame scheduling and
  // the clock are faked.
  vi.useFakeTimers({ now: NOW, toFake: ['setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date'] });
});

afterEach(async () => {
  await renderer?.end();
  renderer = undefined;
  vi.useRealTimers();
});

function start(plan: Plan, cols = 80, rows = 24): { terminal: FixedTerminal; input: PassThrough & KeyInput; r: ListrRenderer } {
  const terminal = new FixedTerminal(cols, rows);
  const input = new PassThrough() as PassThrough & KeyInput;
  renderer = new ListrRenderer(plan, { out: terminal, input, interrupt: () => undefined });
  return { terminal, input, r: renderer };
}

/** Feeds events, then lets the frame they scheduled be drawn (one spinner tick included). */
function feed(r: ListrRenderer, events: readonly RunEvent[]): void {
  for (const e of events) r.onEvent(e);
  vi.runOnlyPendingTimers();
}

/** Waits (on real timeouts, so the faked spinner does not move) until the last line is `text`. */
async function lastLineIs(terminal: FixedTerminal, text: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if ((await terminal.screen()).at(-1) === text) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect((await terminal.screen()).at(-1)).toBe(text);
}

const upTo = (events: RunEvent[], last: (e: RunEvent) => boolean): RunEvent[] => events.slice(0, events.findIndex(last) + 1);

describe('terminal renderer at 80×24', () => {
  it('mid-run: the finished steps, the running one with what it said last, the rest pending', async () => {
    const { terminal, r } = start(await samplePlan());
    feed(r, upTo(sampleEvents('failed'), (e) => e.type === 'finding'));
    const screen = await terminal.screen();
    await expect(screen.join('\n')).toMatchFileSnapshot('__snapshots__/listr-running.txt');
    // Running: a spinner frame where a finished step has its tick.
    expect(screen.find((l) => l.includes('Check the workbenches'))).toMatch(/^ {2}[^✔✖↓◼ ] Check the workbenches$/);
    expect(screen.join('\n')).toContain('WARNING: notebook team-a/wb1 runs an image 3.3 does not ship');
  });

  it('in a loop: the item under way by its key, with its steps', async () => {
    const { terminal, r } = start(await samplePlan());
    feed(r, upTo(sampleEvents('failed'), (e) => e.type === 'node:start' && e.node.id === 'replace[team-b/model-two]'));
    const screen = await terminal.screen();
    await expect(screen.join('\n')).toMatchFileSnapshot('__snapshots__/listr-loop.txt');
    expect(screen.join('\n')).toMatch(/Convert each InferenceService — 1 item done\n {4}\S team-b\/model-two\n {6}\S Replace the InferenceService\n/);
  });

  it('a failed run: sections with their counts, loop items, the failure and its message', async () => {
    const { terminal, r } = start(await samplePlan());
    feed(r, sampleEvents('failed'));
    await r.end();
    renderer = undefined;
    const screen = await terminal.screen();
    await expect(screen.join('\n')).toMatchFileSnapshot('__snapshots__/listr-failed.txt');
    expect(screen.join('\n')).toContain('✖ Wait for the operator');
    expect(screen.join('\n')).toContain('the operator did not become ready');
  });

  it('a gate: the question, what it guards and the answers are the last lines; what is typed shows there', async () => {
    const { terminal, input, r } = start(await samplePlan());
    const events = sampleEvents('gate');
    feed(r, upTo(events, (e) => e.type === 'approval:required'));
    const gate = events.find((e) => e.type === 'approval:required') as Extract<RunEvent, { type: 'approval:required' }>;
    const answer = r.ask!(gate.id, gate.name, gate.message);
    await lastLineIs(terminal, `  ${ANSWERS}`);
    const screen = await terminal.screen();
    await expect(screen.join('\n')).toMatchFileSnapshot('__snapshots__/listr-gate.txt');
    expect(screen).toHaveLength(24);
    expect(screen.slice(-6)).toEqual([
      expect.stringMatching(/^── waiting for your answer ─+$/),
      '? Upgrade RHOAI from 2.25 to 3.3 now? Workbenches restart during the upgrade.',
      '  guards: Start the upgrade · start-upgrade',
      '  The operator moves to 3.3 once this is passed; the dashboard is down for a',
      '  few minutes.',
      `  ${ANSWERS}`,
    ]);
    expect(terminal.bells).toBe(1);

    input.write('ye');
    await lastLineIs(terminal, `  ${ANSWERS}ye`);
    expect(await terminal.cursor()).toEqual({ x: `  ${ANSWERS}ye`.length, y: 23 });
    input.write('s\r');
    await expect(answer).resolves.toBe(true);
    expect((await terminal.screen()).join('\n')).not.toContain('waiting for your answer');
  });
});

describe('a tree taller than the screen', () => {
  /** Three sections of thirty steps: 93 lines unfolded. */
  async function tallPlan(): Promise<Plan> {
    const dir = await mkdtemp(join(tmpdir(), 'runbook-render-'));
    const sections = ['backup', 'upgrade', 'verify']
      .map((s) => `  - name: ${s}\n    steps:\n${Array.from({ length: 30 }, (_, i) => `      - name: ${s} step ${i + 1}\n        id: ${s}-${i + 1}\n        probe: { key: ${s}-${i + 1} }`).join('\n')}`)
      .join('\n');
    await writeFile(join(dir, 'tall.yaml'), `apiVersion: runbook.dev/v1\nkind: Runbook\nmetadata:\n  name: tall\nsections:\n${sections}\n`);
    const loaded = await loadRunbook(join(dir, 'tall.yaml'), { registry: new StepRegistry(standardTypes(new World())) });
    return loaded.plan!;
  }

  /** The events of a run that finished `backup` and is at step `at` of `upgrade`. */
  function tallEvents(at: number): RunEvent[] {
    const step = (id: string): NodeInfo => ({ id, name: id.replace(/-(\d+)$/, ' step $1'), kind: 'step', type: 'probe', depth: 0 });
    const done = (id: string): RunEvent[] => [
      { type: 'node:start', node: step(id) },
      { type: 'node:end', node: step(id), result: { status: 'changed', attempts: 1, durationMs: 1200 } },
    ];
    return [
      { type: 'run:start', runId: 'tall-1', runbook: 'tall', resumed: false, dryRun: 'none', stepCount: 90 },
      { type: 'section:start', name: 'backup' },
      ...Array.from({ length: 30 }, (_, i) => done(`backup-${i + 1}`)).flat(),
      { type: 'section:start', name: 'upgrade' },
      ...Array.from({ length: at - 1 }, (_, i) => done(`upgrade-${i + 1}`)).flat(),
      { type: 'node:start', node: step(`upgrade-${at}`) },
      { type: 'step:log', id: `upgrade-${at}`, message: 'waiting for the operator pod' },
    ];
  }

  it('is folded to 24 lines, the step under way and its output on the screen', async () => {
    const { terminal, r } = start(await tallPlan());
    feed(r, tallEvents(20));
    const screen = await terminal.screen();
    await expect(screen.join('\n')).toMatchFileSnapshot('__snapshots__/listr-tall.txt');
    expect(screen.filter((l) => l !== '').length).toBeLessThanOrEqual(24);
    expect(screen.join('\n')).toContain('upgrade step 20');
    expect(screen.join('\n')).toContain('waiting for the operator pod');
    expect(screen[0]).toBe('✔ backup — 30 changed');
  });
});
