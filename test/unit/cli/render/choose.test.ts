// Which renderer a run gets: JSON lines when asked, the terminal renderer on a terminal (or when
// asked), plain lines elsewhere — in CI, in a pipe — and plain lines that can ask at a terminal.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { chooseRenderer } from '../../../../src/cli/render/choose.js';
import { JsonLinesRenderer } from '../../../../src/cli/render/json-lines.js';
import { ListrRenderer } from '../../../../src/cli/render/listr.js';
import { PlainRenderer } from '../../../../src/cli/render/plain.js';
import type { Renderer } from '../../../../src/cli/render/renderer.js';
import { samplePlan } from './fixtures/sample-run.js';

const tty = { stdin: process.stdin.isTTY, stdout: process.stdout.isTTY };
const made: Renderer[] = [];

function terminal(interactive: boolean): void {
  Object.defineProperty(process.stdin, 'isTTY', { value: interactive, configurable: true });
  Object.defineProperty(process.stdout, 'isTTY', { value: interactive, configurable: true });
}

beforeEach(() => {
  // The terminal renderer draws on stdout: kept off the test's output.
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

afterEach(async () => {
  for (const r of made.splice(0)) await r.end();
  Object.defineProperty(process.stdin, 'isTTY', { value: tty.stdin, configurable: true });
  Object.defineProperty(process.stdout, 'isTTY', { value: tty.stdout, configurable: true });
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

async function choose(output: 'auto' | 'tty' | 'plain' | 'json'): Promise<Renderer> {
  const r = await chooseRenderer(output, await samplePlan());
  made.push(r);
  return r;
}

describe('chooseRenderer', () => {
  it('json and plain are what they say, on a terminal or not', async () => {
    terminal(true);
    expect(await choose('json')).toBeInstanceOf(JsonLinesRenderer);
    expect(await choose('plain')).toBeInstanceOf(PlainRenderer);
    expect(await choose('tty')).toBeInstanceOf(ListrRenderer);
  });

  it('auto: the terminal renderer on a terminal, outside CI', async () => {
    terminal(true);
    vi.stubEnv('CI', '');
    expect(await choose('auto')).toBeInstanceOf(ListrRenderer);
    vi.stubEnv('CI', 'true');
    const ci = await choose('auto');
    expect(ci).toBeInstanceOf(PlainRenderer);
    // At a terminal in CI the plain lines can still ask a gate's question.
    expect(ci.ask).toBeTypeOf('function');
  });

  it('auto in a pipe: plain lines, and no one to ask', async () => {
    terminal(false);
    vi.stubEnv('CI', '');
    const r = await choose('auto');
    expect(r).toBeInstanceOf(PlainRenderer);
    expect(r.ask).toBeUndefined();
  });
});
