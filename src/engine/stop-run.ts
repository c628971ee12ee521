// How a gate or a blocking finding ends a run early: thrown up to the executor's run loop, which
// records the status it carries instead of a failed step.
import type { RunStatus } from './events.js';

export class StopRun extends Error {
  constructor(
    readonly status: RunStatus,
    message: string,
  ) {
    super(message);
  }
}
