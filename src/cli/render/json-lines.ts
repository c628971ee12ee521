// Every event as one JSON object per line, for machines: `--output json`.
import type { RunEvent } from '../../engine/events.js';
import type { Renderer } from './renderer.js';

export class JsonLinesRenderer implements Renderer {
  constructor(private readonly write: (s: string) => void = (s) => process.stdout.write(s)) {}

  onEvent(e: RunEvent): void {
    this.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
  }

  async end(): Promise<void> {}
}
