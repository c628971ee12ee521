// Writes a run's state after each transition the executor makes, so a run stopped at any instant
// resumes where it stopped.
import type { RunState, StateStore } from './state.js';

export class CheckpointWriter {
  /** The last write, and one queued behind it that has not started yet. */
  private saving: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private queuedDurable = false;

  /** No store (`plan`, which records nothing): every checkpoint is a no-op. */
  constructor(
    private readonly store: StateStore | undefined,
    private readonly state: RunState,
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
   * re-checks its effect): the run goes on while the line is written. A write that fails this way
   * is thrown by the next save that is waited for, at the latest the loop's or the run's end.
   */
  saveInBackground(): void {
    this.write(false).catch((err: unknown) => {
      this.failed ??= { err };
    });
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
