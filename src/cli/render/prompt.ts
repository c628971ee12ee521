// Questions on the terminal: a yes/no question asked on its own, and an answer read key by key
// for a renderer that draws it itself.
import { emitKeypressEvents } from 'node:readline';
import { createInterface } from 'node:readline/promises';

export async function askYesNo(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // Ctrl-C is an interrupt, never an answer or an error: passed on to the process, it stops a run
  // the way Ctrl-C anywhere else does (or ends the command when nothing has started), and the
  // question stays until then, as the terminal renderer's does.
  rl.on('SIGINT', () => {
    process.stderr.write('\n');
    process.kill(process.pid, 'SIGINT');
  });
  try {
    const answer = await rl.question(`${question}\nContinue? [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export interface KeyInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
}

interface Key {
  name?: string;
  ctrl?: boolean;
  meta?: boolean;
}

/**
 * Reads one line, key by key, and reports what is typed so far to `onTyped`. A terminal is put in
 * raw mode, so it echoes nothing: the renderer draws the answer inside its own frame, where a
 * redraw cannot erase it. Ctrl-C is passed on to `interrupt` (raw mode stops the terminal from
 * sending SIGINT itself); Ctrl-D, or the end of the input, answers with nothing.
 */
export function readTypedLine(input: KeyInput, onTyped: (typed: string) => void, interrupt: () => void): Promise<string> {
  return new Promise((resolve) => {
    let typed = '';
    const raw = input.isTTY === true && typeof input.setRawMode === 'function';
    const finish = (answer: string): void => {
      input.off('keypress', onKey);
      input.off('end', onEnd);
      if (raw) input.setRawMode!(false);
      input.pause();
      resolve(answer);
    };
    const onEnd = (): void => finish(typed);
    const onKey = (str: string | undefined, key: Key | undefined): void => {
      if (key?.ctrl && key.name === 'c') return interrupt();
      if (key?.ctrl && key.name === 'd') return finish('');
      if (key?.name === 'return' || key?.name === 'enter') return finish(typed);
      if (key?.name === 'backspace') typed = [...typed].slice(0, -1).join('');
      else if (key?.ctrl && key.name === 'u') typed = '';
      else if (str && !key?.ctrl && !key?.meta && !/[\x00-\x1f\x7f]/.test(str)) typed += str;
      else return;
      onTyped(typed);
    };
    emitKeypressEvents(input);
    if (raw) input.setRawMode!(true);
    input.on('keypress', onKey);
    input.once('end', onEnd);
    input.resume();
  });
}
