// A person at an 80×24 terminal runs a runbook taller than the screen with a manual gate inside a
// forEach. The terminal renderer draws into a headless xterm, a real terminal emulator (cursor
// moves, erases, scrolling and the bell as a terminal does them), and the test reads its screen:
// the gate's question, what it guards and the accepted answers are on the last lines, the loop item
// is drawn with its key, and what is typed shows where the question is.
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ListrRenderer } from '../../../../src/cli/render/listr.js';
import type { KeyInput } from '../../../../src/cli/render/prompt.js';
import { Harness, runbook } from '../../../fixtures/engine/harness.js';
import { World, standardTypes } from '../../../fixtures/engine/types.js';
import { FixedTerminal } from './fixtures/terminal.js';

const steps = (prefix: string, n: number, indent: string): string =>
  Array.from({ length: n }, (_, i) => `${indent}- name: ${prefix} ${i + 1}\n${indent}  probe: { key: ${prefix.replace(/ /g, '-')}-${i + 1} }`).join('\n');

// Forty steps before the loop: far taller than 24 lines.
const RUNBOOK = runbook({
  prepare: Array.from({ length: 5 }, (_, g) => `- name: prepare group ${g + 1}\n  steps:\n${steps(`prepare ${g + 1} step`, 8, '    ')}`).join('\n'),
  convert: [
    '- name: Convert each Serverless InferenceService',
    '  id: convert/each',
    '  forEach: { items: \'["team-a/model-one", "team-b/model-two"]\', as: isvc }',
    '  steps:',
    '    - name: Read the InferenceService\n      probe: { key: "read-{{ isvc }}" }',
    '    - name: Replace the InferenceService in place',
    '      id: convert/each/replace',
    '      description: The old InferenceService must go first; the export in original/ restores it.',
    '      confirm: "Replace {{ isvc }} in place? It is deleted now and stops serving until its replacement is Ready."',
    '      steps:',
    '        - name: Delete the InferenceService\n          probe: { key: "delete-{{ isvc }}" }',
    '        - name: Create the RawDeployment one\n          probe: { key: "create-{{ isvc }}" }',
  ].join('\n'),
  verify: steps('verify step', 6, ''),
});

const ANSWERS = 'yes or y goes on · anything else stops the run here › ';

let renderer: ListrRenderer | undefined;
afterEach(async () => {
  await renderer?.end();
  renderer = undefined;
});

async function start(cols = 80, rows = 24) {
  const world = new World();
  const h = await Harness.create(RUNBOOK, standardTypes(world));
  const terminal = new FixedTerminal(cols, rows);
  const input = new PassThrough() as PassThrough & KeyInput;
  const interrupts: number[] = [];
  renderer = new ListrRenderer(h.plan, { out: terminal, input, interrupt: () => interrupts.push(Date.now()) });
  const r = renderer;
  const run = h.run({ onEvent: (e) => r.onEvent(e), approvals: { ask: r.ask } });
  return { h, world, terminal, input, run, interrupts };
}

/** Waits until the screen's last lines hold `text`, and returns the screen. */
async function waitForBottom(terminal: FixedTerminal, text: string, last = 6): Promise<string[]> {
  let screen: string[] = [];
  await vi.waitFor(
    async () => {
      screen = await terminal.screen();
      expect(screen.slice(-last).join('\n')).toContain(text);
    },
    { timeout: 10_000, interval: 20 },
  );
  return screen;
}

describe('a gate inside a forEach on an 80×24 terminal', () => {
  it('shows the question, what it guards and the answers on the last lines; yes goes on, no stops', async () => {
    const { terminal, input, run, world } = await start();

    const screen = await waitForBottom(terminal, 'Replace team-a/model-one in place?');
    expect(screen).toHaveLength(24);
    expect(screen.slice(-7)).toEqual([
      expect.stringMatching(/^── waiting for your answer ─+$/),
      '? Replace team-a/model-one in place? It is deleted now and stops serving until',
      '  its replacement is Ready.',
      '  guards: Replace the InferenceService in place (2 steps) ·',
      '  convert/each/replace[team-a/model-one]',
      '  The old InferenceService must go first; the export in original/ restores it.',
      `  ${ANSWERS}`,
    ]);
    expect(terminal.bells).toBe(1);
    // Above it, the finished section is one line and the loop item is drawn with its key.
    expect(screen[0]).toBe('✔ prepare — 40 changed');
    expect(screen).toContainEqual(expect.stringMatching(/^ {4}\S team-a\/model-one$/));
    expect(screen).toContain('      ? Replace the InferenceService in place — waiting for approval');
    expect(world.of('apply')).not.toContain('delete-team-a/model-one');

    // What is typed shows after the answers, with the cursor after it.
    input.write('ye');
    await waitForBottom(terminal, `${ANSWERS}ye`, 1);
    expect(await terminal.cursor()).toEqual({ x: `  ${ANSWERS}ye`.length, y: 23 });
    input.write('s\r');

    // The second item asks in turn, and rings again.
    const second = await waitForBottom(terminal, 'Replace team-b/model-two in place?');
    expect(second.at(-1)).toBe(`  ${ANSWERS}`);
    expect(second.slice(-5).join('\n')).toContain('convert/each/replace[team-b/model-two]');
    expect(terminal.bells).toBe(2);
    expect(world.of('apply')).toContain('create-team-a/model-one');

    input.write('no\r');
    const out = await run;
    await renderer!.end();
    expect(out.summary.status).toBe('waiting-approval');
    expect(out.state.approved).toEqual(['convert/each/replace[team-a/model-one]']);
    expect(out.state.steps['convert/each/replace[team-b/model-two]']?.state).toBe('waiting');
    expect(world.of('apply')).not.toContain('delete-team-b/model-two');
    // Once answered, the question leaves the screen.
    expect((await terminal.screen()).join('\n')).not.toContain('waiting for your answer');
  });

  it('a resize redraws the question on the last lines of the new size', async () => {
    const { terminal, input, run } = await start();
    await waitForBottom(terminal, 'Replace team-a/model-one in place?');

    terminal.resize(60, 16);
    const small = await waitForBottom(terminal, 'goes on', 1);
    expect(small).toHaveLength(16);
    // Laid out anew for 60 columns, on a cleared screen: nothing of the 80-column frame is left.
    expect(small[0]).toBe('✔ prepare — 40 changed');
    expect(small.slice(-8)).toEqual([
      expect.stringMatching(/^── waiting for your answer ─{32}$/),
      '? Replace team-a/model-one in place? It is deleted now and',
      '  stops serving until its replacement is Ready.',
      '  guards: Replace the InferenceService in place (2 steps) ·',
      '  convert/each/replace[team-a/model-one]',
      '  The old InferenceService must go first; the export in',
      '  original/ restores it.',
      '  yes/y goes on, else stops › ',
    ]);
    expect(small.filter((l) => l.includes('prepare'))).toHaveLength(1);

    terminal.resize(120, 40);
    const large = await waitForBottom(terminal, ANSWERS, 1);
    expect(large.filter((l) => l.includes('Replace team-a/model-one in place?'))).toHaveLength(1);

    input.write('n\r');
    expect((await run).summary.status).toBe('waiting-approval');
  });

  it('Ctrl-C at a question is passed on as an interrupt, and the question stays', async () => {
    const { terminal, input, run, interrupts } = await start();
    await waitForBottom(terminal, 'Replace team-a/model-one in place?');
    input.write('\x03');
    await vi.waitFor(() => expect(interrupts).toHaveLength(1));
    expect((await terminal.screen()).at(-1)).toBe(`  ${ANSWERS}`);
    input.write('\r');
    expect((await run).summary.status).toBe('waiting-approval');
  });
});
