// Every event as one JSON object per line, for machines: `--output json`.
import type { RunEvent } from '../../engine/events.js';
import { DiffBudget } from './diff-budget.js';
import type { Renderer } from './renderer.js';
import { flushStdout, writeStdout } from './stdout-batch.js';

export class JsonLinesRenderer implements Renderer {
  private readonly diffs = new DiffBudget();

  constructor(private readonly write: (s: string) => void = writeStdout) {}

  onEvent(e: RunEvent): void {
    let event: Record<string, unknown> = { ...e };
    // A loop item's diff past the limit is left out, and the event says so (diffOmitted).
    if (e.type === 'node:end' && 'diff' in e.result && !this.diffs.show(e.node.id)) {
      const result = Object.fromEntries(Object.keys(e.result).filter((k) => k !== 'diff').map((k) => [k, e.result[k as keyof typeof e.result]]));
      event = { ...e, result: { ...result, diffOmitted: true } };
    }
    if (e.type === 'run:end' && this.diffs.omitted) event = { ...e, diffsOmitted: this.diffs.omitted };
    this.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
  }

  async end(): Promise<void> {
    flushStdout();
  }
}
