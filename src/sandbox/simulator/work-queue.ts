// A reconcile queue: keys are deduplicated while waiting, handled one at a time per queue, and can
// be scheduled for later (the simulator's "this takes a few seconds" steps).
export class WorkQueue {
  private readonly waiting = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private running = false;
  private idleResolvers: (() => void)[] = [];

  constructor(
    private readonly handle: (key: string) => Promise<void>,
    private readonly onError: (key: string, err: unknown) => void,
  ) {}

  /**
   * Handles the key soon, unless it is scheduled for later: a step that takes a few seconds is not
   * hurried along by the watch events its own status writes cause.
   */
  add(key: string): void {
    if (this.timers.has(key)) return;
    this.waiting.add(key);
    void this.drain();
  }

  /** Handles the key after `ms` (0 = on the next turn), instead of sooner; a later call replaces an earlier one. */
  addAfter(key: string, ms: number): void {
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
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.waiting.clear();
  }

  /** Resolves when nothing is queued, running or scheduled. */
  idle(): Promise<void> {
    if (!this.running && this.waiting.size === 0 && this.timers.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleResolvers.push(r));
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.waiting.size > 0) {
        const key = this.waiting.values().next().value as string;
        this.waiting.delete(key);
        try {
          await this.handle(key);
        } catch (err) {
          this.onError(key, err);
        }
      }
    } finally {
      this.running = false;
      if (this.timers.size === 0) {
        const resolvers = this.idleResolvers;
        this.idleResolvers = [];
        resolvers.forEach((r) => r());
      }
    }
  }
}
