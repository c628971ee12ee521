// The runbook format (v1) after loading: what the loader produces and the executor consumes.
import type { SourcePosition } from '../contract/errors.js';

export const API_VERSION = 'runbook.dev/v1';

export type VarType = 'string' | 'number' | 'boolean' | 'list' | 'object';

export interface VarSpec {
  name: string;
  type: VarType;
  default?: unknown;
  description?: string;
  required: boolean;
  secret: boolean;
  at?: SourcePosition;
}

export interface Backoff {
  /** First delay in milliseconds. */
  delayMs: number;
  factor: number;
  maxDelayMs: number;
}

/** Fields every step node may carry, whatever its type. */
export interface CommonFields {
  name: string;
  description?: string;
  when?: string;
  until?: string;
  retries: number;
  backoff: Backoff;
  timeoutMs?: number;
  register?: string;
  tags: string[];
  /** Guide items this node implements (runbooks/guide-items/), for `runbook coverage`. */
  source?: string[];
  continueOnError: boolean;
  confirm?: string;
}

interface NodeBase extends CommonFields {
  /** Stable id: explicit, or derived from the parent path and the name. */
  id: string;
  /** Where the node is written, for messages. */
  at: SourcePosition;
  /** Vars in force for this node (imports bind their own). */
  scope: string;
  /** Digest of the node's definition, to tell which steps changed between runs. */
  digest: string;
  /** Put here by an overlay of the runbook that was run (a site's step), not by the file it sits in. */
  overlay?: AppliedOverlay;
  /** Never run, with this reason (an overlay's skip). */
  skipReason?: string;
}

/** An overlay as applied, for the plan and the report. */
export interface AppliedOverlay {
  op: 'before' | 'after' | 'replace' | 'skip';
  target: string;
  /** Where the overlay is written. */
  at: SourcePosition;
  reason?: string;
  /** Ids of the steps it added. */
  added: string[];
}

export interface StepNode extends NodeBase {
  kind: 'step';
  type: string;
  /** The raw input under the step-type key; templates are rendered at run time. */
  input: unknown;
}

export interface GroupNode extends NodeBase {
  kind: 'group';
  children: PlanNode[];
}

export interface ForEachNode extends NodeBase {
  kind: 'forEach';
  /** A CEL expression, a template, or a literal list. */
  items: unknown;
  /** Name of the loop variable. */
  as: string;
  /** Expression giving each item's stable key, for per-item checkpoints. */
  key?: string;
  concurrency: number;
  children: PlanNode[];
}

export type PlanNode = StepNode | GroupNode | ForEachNode;

export interface Section {
  name: string;
  description?: string;
  /** Guide items the section as a whole implements. */
  source?: string[];
  nodes: PlanNode[];
}

/** Variables in force inside one import: the root scope is ''. */
export interface VarScope {
  id: string;
  file: string;
  vars: VarSpec[];
  /** Bindings given by the importer: template strings rendered in the parent scope. */
  bindings: Record<string, unknown>;
  parent?: string;
  /**
   * Names a user can put before `.var` to set this scope's vars from the top: the imported
   * runbook's metadata.name and its path relative to the root runbook (with and without extension).
   */
  qualifiers?: string[];
}

export interface Plan {
  name: string;
  description?: string;
  file: string;
  /** Digest of the whole plan; a change means the runbook changed. */
  digest: string;
  sections: Section[];
  scopes: Record<string, VarScope>;
  followUps: RunbookNote[];
  /** What only a person can confirm: a checklist in the report. */
  signOffs: RunbookNote[];
  /** The guides the runbook says it implements, for coverage. */
  guides?: string[];
  /** The overlays of the runbook that was run, in order. */
  overlays?: AppliedOverlay[];
}

/** A follow-up or sign-off of a runbook (or of one it imports), with the guide items it answers. */
export interface RunbookNote {
  text: string;
  source: string[];
  /** Where it is written. */
  at: SourcePosition;
}
