// Everything the executor does is announced as a typed event. Renderers (listr2, plain lines,
// JSON lines), the state store and the report all consume events; the executor never prints.
import type { Finding } from '../contract/findings.js';

export type StepStatus = 'ok' | 'changed' | 'skipped' | 'failed';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'blocked' | 'waiting-approval' | 'aborted';

export interface StepError {
  message: string;
  hint?: string;
  transient: boolean;
  data?: Record<string, unknown>;
}

/** The one result shape of every step; the same object is checkpointed and reported. */
export interface StepResult {
  status: StepStatus;
  attempts: number;
  durationMs: number;
  /** Why a step was skipped, or what an unchanged step found. */
  reason?: string;
  summary?: string;
  /**
   * What changed, as a diff. Rendered when first read (a getter on results that have one): most
   * diffs of a long loop are never shown. Not checkpointed.
   */
  diff?: string;
  error?: StepError;
  /** The step completed in an earlier run of this run id and was not executed again. */
  resumed?: boolean;
}

/** A result as a step gives it: its diff may still be a function that renders it. */
export type StepOutcome = Omit<StepResult, 'diff'> & { diff?: string | (() => string) };

export interface NodeInfo {
  id: string;
  name: string;
  kind: 'step' | 'group' | 'forEach' | 'item';
  /** Step type, for steps. */
  type?: string;
  depth: number;
  /** Id of the enclosing group, loop or item, if any. */
  parent?: string;
}

export interface RunSummary {
  status: RunStatus;
  counts: Record<StepStatus, number>;
  durationMs: number;
  findings: Record<Finding['severity'], number>;
}

export type RunEvent =
  | { type: 'run:start'; runId: string; runbook: string; resumed: boolean; dryRun: string; stepCount: number }
  | { type: 'section:start'; name: string; description?: string }
  | { type: 'node:start'; node: NodeInfo }
  | { type: 'step:attempt'; id: string; attempt: number }
  | { type: 'step:retry'; id: string; attempt: number; error: string; delayMs: number }
  | { type: 'step:log'; id: string; message: string }
  | { type: 'node:end'; node: NodeInfo; result: StepResult }
  | { type: 'finding'; finding: Finding }
  | { type: 'approval:required'; id: string; name: string; message: string }
  /** The Kubernetes client sent a request again after a transient failure (not a step retry). */
  | { type: 'api:resend'; method: string; path: string; retry: number; delayMs: number; error: string }
  | { type: 'run:end'; runId: string; summary: RunSummary; message?: string };

export type EventListener = (event: RunEvent) => void;
