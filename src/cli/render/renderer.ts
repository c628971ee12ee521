// A renderer consumes the executor's events and shows progress; one is chosen per run.
import type { RunEvent } from '../../engine/events.js';

export interface Renderer {
  onEvent(event: RunEvent): void;
  /** Called when the run is over, before the summary is printed. */
  end(): Promise<void>;
  /** Asks a person at the terminal to pass a manual gate; absent when no one can answer. */
  ask?: (id: string, name: string, question: string) => Promise<boolean>;
  /**
   * Something the run says while it goes on (an interrupt being honoured): a renderer that owns
   * the screen draws it in its frame, where a redraw does not erase it.
   */
  notice?: (text: string) => void;
}
