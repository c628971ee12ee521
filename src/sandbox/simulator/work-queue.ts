// A reconcile queue: keys are deduplicated while waiting, never handled twice at once, and can be
// scheduled for later (the simulator's "this takes a few seconds" steps). Up to `concurrency`
// different keys are handled at a time: a controller of thousands of independent objects (the
// `large` scenario) would otherwise write their statuses one round trip after another.
export class WorkQueue {
  private readonly waiting = new Set<string>();
  private readonly active = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private idleResolvers: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly handle: (key: string) => Promise<void>,
    private readonly onError: (key: string, err: unknown) => void,
    private readonly concurrency = 1,
  ) {}

  /**
   * Handles the key soon, unless it is scheduled for later: a step that takes a few seconds is not
   * hurried along by the watch events its own status writes cause.
   */
  add(key: string): void {
    if (this.stopped || this.timers.has(key)) return;
    this.waiting.add(key);
    this.pump();
  }

  /** Handles the key after `ms` (0 = on the next turn), instead of sooner; a later call replaces an earlier one. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing);
    this.waiting.delete(key);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.add(key);
      }, ms),
    );
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.waiting.clear();
    this.settle();
  }

  /** Resolves when nothing is queued, running or scheduled. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.idleResolvers.push(r));
  }

  private isIdle(): boolean {
    return this.active.size === 0 && this.waiting.size === 0 && this.timers.size === 0;
  }

  private pump(): void {
    for (const key of this.waiting) {
      if (this.active.size >= this.concurrency) break;
      // A key being handled waits for that to finish: its handler reads the latest state then.
      if (this.active.has(key)) continue;
      this.waiting.delete(key);
      this.active.add(key);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    try {
      await withDeadline(this.handle(key), HANDLE_DEADLINE_MS, key);
    } catch (err) {
      this.onError(key, err);
    } finally {
      this.active.delete(key);
      if (!this.stopped) this.pump();
      this.settle();
    }
  }

  private settle(): void {
    if (!this.isIdle() && !this.stopped) return;
    const resolvers = this.idleResolvers;
    this.idleResolvers = [];
    resolvers.forEach((r) => r());
  }
}

/**
 * Longest a reconcile may take. One that hangs (a call that never settles) is abandoned with an
 * error, as controllers bound each reconcile with a deadline, so it cannot block its key for good;
 * the periodic resync of the simulator then runs it again.
 */
export const HANDLE_DEADLINE_MS = 20_000;

function withDeadline(work: Promise<void>, ms: number, key: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`reconcile of ${key} took over ${ms} ms; abandoned`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
