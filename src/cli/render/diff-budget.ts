// How many diffs of loop items a line-based output shows. A loop over thousands of objects made
// one diff each: megabytes of output nobody reads, and rendering them cost more than the patches.
// The first ones show what the loop does; the rest are counted and the output says so. Diffs of
// steps outside loops are always shown.
import { isInLoopItem } from '../../contract/run-key.js';

/** Diffs of loop-item steps shown per run; the others are counted. */
export const LOOP_DIFFS_SHOWN = 20;

export class DiffBudget {
  private shown = 0;
  /** Diffs of loop items left out so far. */
  omitted = 0;

  constructor(private readonly limit = LOOP_DIFFS_SHOWN) {}

  /** Whether the diff of this node is shown; counts it either way. */
  show(nodeId: string): boolean {
    if (!isInLoopItem(nodeId)) return true;
    if (this.shown < this.limit) {
      this.shown++;
      return true;
    }
    this.omitted++;
    return false;
  }

  /** True once, for the first diff left out: the moment to say that the rest are. */
  get firstOmitted(): boolean {
    return this.omitted === 1;
  }

  notice(): string {
    return `the diffs of loop items after the first ${this.limit} are not shown`;
  }

  summary(): string | undefined {
    return this.omitted ? `${this.omitted} diff${this.omitted === 1 ? '' : 's'} of loop items not shown (the first ${this.limit} were)` : undefined;
  }
}
