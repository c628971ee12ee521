// Progress on a terminal in listr2's look (its figures, colours and spinner): the plan as a task
// tree that settles as the executor's events arrive. The frame is laid out here rather than by
// listr2's own renderer, which knows only the tasks given at the start (not a loop's items) and
// draws the whole tree however tall it is: taller than the terminal, its redraws lose track of
// the screen and a gate's question is not where the eye is. This one folds the tree to the
// terminal's size (layout.ts), keeps a gate's question on the last lines, rings the bell when one
// is asked, and redraws on a resize.
import { Spinner, color, figures } from 'listr2';
import type { RunEvent } from '../../engine/events.js';
import type { Plan } from '../../runbook/types.js';
import { oneQuestionAtATime } from './ask-turns.js';
import { layout, lineText, type Asking, type Line, type Mark } from './layout.js';
import { readTypedLine, type KeyInput } from './prompt.js';
import type { Renderer } from './renderer.js';
import { SHOW_CURSOR, Screen, type TerminalOut } from './screen.js';
import { RunTree } from './tree.js';

export interface TerminalIo {
  out: TerminalOut;
  input: KeyInput;
  /** What Ctrl-C at a question does; raw mode keeps the terminal from sending SIGINT itself. */
  interrupt?: () => void;
}

const ICON: Record<Exclude<Mark, 'running'>, string> = {
  pending: figures.squareSmallFilled,
  waiting: '?',
  stopped: figures.squareSmallFilled,
  ok: figures.tick,
  changed: figures.tick,
  skipped: figures.arrowDown,
  failed: figures.cross,
  output: figures.pointerSmall,
  error: figures.pointerSmall,
  question: '?',
  rule: '',
  text: '',
  answer: '',
};

const PAINT: Record<Mark, (line: string) => string> = {
  pending: color.dim,
  running: (l) => l,
  waiting: color.yellowBright,
  stopped: color.yellow,
  ok: (l) => l,
  changed: (l) => l,
  skipped: (l) => l,
  failed: color.red,
  output: color.dim,
  error: color.red,
  question: (l) => color.bold(color.yellowBright(l)),
  rule: color.yellowBright,
  text: (l) => l,
  answer: color.bold,
};

const ICON_COLOR: Partial<Record<Mark, (s: string) => string>> = {
  running: color.yellow,
  ok: color.green,
  changed: color.green,
  skipped: color.yellow,
};

export class ListrRenderer implements Renderer {
  private readonly tree: RunTree;
  private readonly screen: Screen;
  private readonly spinner = new Spinner();
  private readonly ticker: NodeJS.Timeout;
  private asking: Asking | undefined;
  private said: string | undefined;
  private drawSoon: NodeJS.Immediate | undefined;
  private ended = false;

  constructor(
    plan: Plan,
    private readonly io: TerminalIo = { out: process.stdout, input: process.stdin },
  ) {
    this.tree = new RunTree(plan);
    this.screen = new Screen(io.out);
    io.out.on?.('resize', this.onResize);
    process.once('exit', this.showCursor);
    this.ticker = setInterval(() => {
      this.spinner.spin();
      this.draw();
    }, 100);
    // The spinner alone must not keep Node alive: a run that stalls is detected by Node running out
    // of work (see run.ts).
    this.ticker.unref();
  }

  onEvent(e: RunEvent): void {
    this.tree.apply(e);
    // Events come in bursts (a loop's items): one frame for each burst.
    this.drawSoon ??= setImmediate(() => {
      this.drawSoon = undefined;
      this.draw();
    });
  }

  notice = (text: string): void => {
    this.said = text;
    this.draw();
  };

  ask = oneQuestionAtATime((id, name, question) => this.prompt(id, name, question));

  private async prompt(key: string, name: string, question: string): Promise<boolean> {
    this.asking = { key, name, question, typed: '' };
    this.draw();
    this.screen.bell();
    try {
      const answer = await readTypedLine(
        this.io.input,
        (typed) => {
          if (this.asking) this.asking.typed = typed;
          this.draw();
        },
        this.io.interrupt ?? (() => process.kill(process.pid, 'SIGINT')),
      );
      const yes = /^y(es)?$/i.test(answer.trim());
      if (yes) this.tree.gatePassed(key);
      return yes;
    } finally {
      this.asking = undefined;
      this.draw();
    }
  }

  private readonly onResize = (): void => {
    this.screen.clear();
    this.draw();
  };

  private readonly showCursor = (): void => {
    this.io.out.write(SHOW_CURSOR);
  };

  private draw(): void {
    if (this.ended) return;
    const lines = layout(this.tree, { rows: this.screen.rows, cols: this.screen.cols, asking: this.asking, notice: this.said });
    // The cursor shows only where an answer is typed: the end of the last line.
    this.screen.draw(lines.map((l) => this.paint(l)), this.asking !== undefined);
  }

  private paint(line: Line): string {
    const icon = line.mark === 'running' ? this.spinner.fetch() : ICON[line.mark];
    const text = lineText(line, icon);
    const iconColor = ICON_COLOR[line.mark];
    if (!iconColor || !icon) return PAINT[line.mark](text);
    const at = line.depth * 2;
    return text.slice(0, at) + iconColor(icon) + PAINT[line.mark](text.slice(at + icon.length));
  }

  async end(): Promise<void> {
    clearInterval(this.ticker);
    if (this.drawSoon) clearImmediate(this.drawSoon);
    this.io.out.off?.('resize', this.onResize);
    this.draw();
    this.ended = true;
    this.screen.close();
    process.off('exit', this.showCursor);
  }
}
