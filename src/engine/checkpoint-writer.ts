// Writes a run's state after each transition the executor makes, so a run stopped at any instant
// resumes where it stopped.
import type { RunState, StateStore } from './state.js';

/**
 * The least time between two background writes. A loop of thousands of guarded items wrote a
 * journal line every few items (1,400 lines for 2,000 items); each costs a redaction, a diff of
 * the state and an append. A record that comes within 50 ms of the last background write waits for
 * the rest of that time and shares one write with those that follow it: at most 20 a second. What
 * a crash can lose in that time a resume finds again by checking. A record that comes after a
 * quiet spell (a stage of a rollout, not one of thousands of items) is written at once, so a run
 * killed just after it resumes past it.
 */
export const BACKGROUND_DELAY_MS = 50;

export class CheckpointWriter {
  /** The last write, and one queued behind it that has not started yet. */
  private saving: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private queuedDurable = false;
  /** A background write waiting for others to join it. */
  private background: NodeJS.Timeout | undefined;
  /** When the last background write started (performance.now()); none yet: -Infinity. */
  private lastBackgroundAt = -Infinity;

  /** No store (`plan`, which records nothing): every checkpoint is a no-op. */
  constructor(
    private readonly store: StateStore | undefined,
    private readonly state: RunState,
    private readonly backgroundDelayMs = BACKGROUND_DELAY_MS,
  ) {}

  /**
   * Writes are serialised: two transitions never race on the state file. Transitions that come
   * while a write is under way (concurrent loop items) share the next one, which records them all
   * since it reads the state when it starts.
   *
   * A save that is waited for survives the process being killed. Only saves that record what a
   * resume could not find again are also forced to the disk (fsync), against a machine crash: a
   * step without a check finished, a gate passed, a group or loop ended. Losing a `running` mark,
   * or the record of a step that checks its effect first, costs nothing: a step without a record
   * is entered at its check.
   */
  save(durable = true): Promise<void> {
    // This write takes along whatever waited to be written in the background.
    this.cancelBackground();
    return this.write(durable).then(
      () => this.throwFailure(),
      (err: unknown) => {
        // A write shared with one not waited for fails once, here.
        if (this.failed?.err === err) this.failed = undefined;
        throw err;
      },
    );
  }

  /**
   * Writes without waiting for it, for records a resume can do without (the record of a step that
   * re-checks its effect): the run goes on, and the write starts at once, or, within
   * BACKGROUND_DELAY_MS of the last one, when that time is up, together with every other record
   * made meanwhile; or sooner with the next save waited for. A write that fails this way is
   * thrown by the next save that is waited for, at the latest the loop's or the run's end.
   */
  saveInBackground(): void {
    if (!this.store || this.background) return;
    const wait = this.lastBackgroundAt + this.backgroundDelayMs - performance.now();
    if (wait <= 0) {
      this.writeInBackground();
      return;
    }
    // Not unref'd: a record made just before the run ends is still written before the process exits.
    this.background = setTimeout(() => {
      this.background = undefined;
      this.writeInBackground();
    }, wait);
  }

  private writeInBackground(): void {
    this.lastBackgroundAt = performance.now();
    this.write(false).catch((err: unknown) => {
      this.failed ??= { err };
    });
  }

  private cancelBackground(): void {
    if (this.background) clearTimeout(this.background);
    this.background = undefined;
  }

  private failed: { err: unknown } | undefined;

  private throwFailure(): void {
    const failed = this.failed;
    if (failed) {
      this.failed = undefined;
      throw failed.err;
    }
  }

  private write(durable: boolean): Promise<void> {
    const store = this.store;
    if (!store) return Promise.resolve();
    this.queuedDurable ||= durable;
    if (this.queued) return this.queued;
    const next = this.saving
      .catch(() => undefined)
      .then(() => {
        const options = { durable: this.queuedDurable };
        this.queued = undefined;
        this.queuedDurable = false;
        return store.save(this.state, options);
      });
    this.queued = next;
    this.saving = next;
    return next;
  }
}
