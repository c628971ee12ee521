// Picks the progress renderer: listr2 on a terminal, plain lines elsewhere (CI, pipes), JSON lines
// when asked.
import type { Plan } from '../../runbook/types.js';
import { JsonLinesRenderer } from './json-lines.js';
import { ListrRenderer } from './listr.js';
import { PlainRenderer } from './plain.js';
import type { Renderer } from './renderer.js';

export function chooseRenderer(output: 'auto' | 'tty' | 'plain' | 'json', plan: Plan): Renderer {
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
  if (output === 'json') return new JsonLinesRenderer();
  if (output === 'tty' || (output === 'auto' && interactive && !process.env.CI)) return new ListrRenderer(plan);
  return new PlainRenderer(undefined, interactive);
}
