// Picks the progress renderer: listr2 on a terminal, plain lines elsewhere (CI, pipes), JSON lines
// when asked. listr2 is loaded only for a terminal: plain and JSON runs start without it.
import type { Plan } from '../../runbook/types.js';
import { JsonLinesRenderer } from './json-lines.js';
import { PlainRenderer } from './plain.js';
import type { Renderer } from './renderer.js';

export async function chooseRenderer(output: 'auto' | 'tty' | 'plain' | 'json', plan: Plan): Promise<Renderer> {
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
  if (output === 'json') return new JsonLinesRenderer();
  if (output === 'tty' || (output === 'auto' && interactive && !process.env.CI)) return new (await import('./listr.js')).ListrRenderer(plan);
  return new PlainRenderer(undefined, interactive);
}
