// A dry run changes nothing, so what a later step reads may be what an earlier change would have
// remedied (a plan of the upgrade reads Kueue still Managed because it did not migrate it). The
// changes a dry run passed over, counted so that the findings made after them are recorded as
// provisional: shown, never blocking, and checked again by a run.
export class UnmadeChanges {
  private count = 0;
  private first: string | undefined;

  add(stepId: string): void {
    this.count++;
    this.first ??= stepId;
  }

  /** Undefined before any change; else what a finding made now depends on, in words. */
  said(): string | undefined {
    if (!this.first) return undefined;
    return `made after ${this.count} change${this.count === 1 ? '' : 's'} this dry run did not make (the first: ${this.first})`;
  }
}
