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
   * Every write survives the process being killed. Only writes that record what a resume could not
   * find again are also forced to the disk (fsync), against a machine crash: a step without a check
   * finished, a gate passed, a group or loop ended. Losing a `running` mark, or the record of a step
   * that checks its effect first, costs nothing: a step without a record is entered at its check.
   */
  save(durable = true): Promise<void> {
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
