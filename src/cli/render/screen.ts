// The part of a terminal a renderer owns: one frame of lines, redrawn in place. A frame is never
// taller than the terminal, so moving the cursor back to its first line always works; past the
// top of the screen a terminal can neither be moved to nor erased.

export interface TerminalOut {
  write(s: string): unknown;
  readonly columns?: number;
  readonly rows?: number;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

const HIDE_CURSOR = '\x1b[?25l';
export const SHOW_CURSOR = '\x1b[?25h';
// Terminals that know it show the whole frame at once instead of line by line; others ignore it.
const BEGIN_UPDATE = '\x1b[?2026h';
const END_UPDATE = '\x1b[?2026l';

export class Screen {
  private height = 0;

  constructor(private readonly out: TerminalOut) {}

  get rows(): number {
    return this.out.rows || 24;
  }

  get cols(): number {
    return this.out.columns || 80;
  }

  /** Replaces the last frame with `lines`: at most `rows` of them, each narrower than the screen. */
  draw(lines: readonly string[], cursor: boolean): void {
    let s = BEGIN_UPDATE + HIDE_CURSOR;
    if (this.height > 1) s += `\r\x1b[${this.height - 1}A`;
    else if (this.height === 1) s += '\r';
    // Each line erases what an older, longer one left; the end erases the lines below.
    s += lines.map((l) => `${l}\x1b[K`).join('\n') + '\x1b[J';
    if (cursor) s += SHOW_CURSOR;
    this.out.write(s + END_UPDATE);
    this.height = lines.length;
  }

  /**
   * After a resize the terminal may have re-wrapped the last frame over more lines than were
   * written: the next frame starts on a cleared screen instead of over a frame it cannot measure.
   */
  clear(): void {
    this.out.write('\x1b[2J\x1b[H');
    this.height = 0;
  }

  bell(): void {
    this.out.write('\x07');
  }

  /** Leaves the last frame on the screen, with the cursor visible on the line below it. */
  close(): void {
    this.out.write(`${this.height ? '\n' : ''}${SHOW_CURSOR}`);
    this.height = 0;
  }
}
