// The contract between the executor and a step type. A step type is one module that declares its
// input schema as data (validation, the editor JSON Schema and docs/steps are generated from it)
// and the lifecycle functions the executor calls: check → apply → verify.
import type { Finding } from './findings.js';

/** A JSON Schema fragment, declared as plain data. */
export type JsonSchema = Record<string, unknown>;

export type DryRunMode = 'none' | 'client' | 'server';

/**
 * Services a step may use, filled by whoever runs the engine. The step side declares the ones it
 * uses (src/steps/services.ts) by declaration merging, so the contract and the engine never
 * import them.
 */
export interface StepServices {}

export interface StepContext {
  runId: string;
  stepId: string;
  stepName: string;
  /** Variables and registered outputs in force for this step, after templating. */
  vars: Readonly<Record<string, unknown>>;
  dryRun: DryRunMode;
  signal: AbortSignal;
  /** Where the run keeps its files (backups, exported objects). */
  runDir: string;
  /** Directory of the runbook file that holds this step; relative paths resolve against it. */
  baseDir: string;
  log(message: string): void;
  /** Evaluates a CEL expression with the step's variables plus `extra`. */
  evaluate(expression: string, extra?: Record<string, unknown>): unknown;
  /** Renders a handlebars template with the step's variables plus `extra`. */
  render(template: string, extra?: Record<string, unknown>): string;
  /** Replaces every secret value in `text`, for anything a step prints or stores. */
  redact(text: string): string;
  services: Partial<StepServices>;
}

export interface CheckResult<Prepared = unknown> {
  /** The step's effect already holds: the executor skips apply. */
  holds: boolean;
  reason?: string;
  /** Output to register when the step is skipped because it holds. */
  output?: unknown;
  /**
   * What check found that apply needs (the live objects, the planned calls), handed to apply of
   * the same attempt so a step reads once, not twice. A retry checks again.
   */
  prepared?: Prepared;
}

export interface ApplyResult {
  changed: boolean;
  output?: unknown;
  /**
   * A human-readable diff of what changed (or would change, in a dry run); a function is called
   * only when the diff is shown.
   */
  diff?: string | (() => string);
  findings?: Finding[];
  /** One-line summary for progress output and the report. */
  summary?: string;
}

/**
 * One permission a step needs: a verb on a kind (the preflight maps it to its resource through
 * discovery) or directly on a resource of a group.
 */
export interface PermissionNeed {
  verb: string;
  /** API group; '' for the core group. */
  group: string;
  resource?: string;
  kind?: string;
  apiVersion?: string;
  subresource?: string;
  /** For namespaced kinds: omitted means the default namespace, unless `allNamespaces`. */
  namespace?: string;
  allNamespaces?: boolean;
  name?: string;
}

export interface StepType<Input = unknown, Prepared = unknown> {
  /** The key that selects this type in a step, e.g. `patch`. */
  name: string;
  /** One line for listings and docs. */
  summary: string;
  /** Longer text for the generated reference page (Markdown). */
  description?: string;
  /** JSON Schema of the input under the type key. */
  input: JsonSchema;
  /** Example steps (YAML) for the reference page; validated by the tests. */
  examples: string[];
  /**
   * How the step behaves under --dry-run: `native` steps honour ctx.dryRun themselves (server-side
   * dry run, writing nothing); `skip` steps are not applied in a dry run and are reported as such.
   */
  dryRun: 'native' | 'skip';
  /**
   * The step only reads (assert, query, wait): it may still run after a blocking finding, so
   * every gate of a section is evaluated and reported before the run stops.
   */
  readOnly?: boolean;
  /** Returns true when the step may safely run again after an interruption (it has a check). */
  check?(ctx: StepContext, input: Input): Promise<CheckResult<Prepared>>;
  /**
   * `prepared` is what this attempt's check returned, when the step has a check. Without it (no
   * check, or a caller that applies alone) apply finds what it needs itself.
   */
  apply(ctx: StepContext, input: Input, prepared?: Prepared): Promise<ApplyResult>;
  /** Confirms the effect after apply; throwing fails the attempt (and may be retried). */
  verify?(ctx: StepContext, input: Input, applied: ApplyResult): Promise<void>;
  /**
   * A manual gate the step stands for (the `confirm` step type): the executor asks for approval
   * with this question before apply, exactly as for a step's `confirm` field.
   */
  gate?(input: Input): string;
  /**
   * What the step must be allowed to do with this input, for the permission preflight that
   * reports every missing permission before a run changes anything. Optional: steps that do not
   * talk to the cluster have none.
   */
  permissions?(input: Input): PermissionNeed[];
  /**
   * Keys of the input that are expressions (CEL), not templates; they are not rendered. A nested
   * field is a path: `for.expression`, `failWhen[].expression` (`[]`: each element of a list).
   */
  expressionFields?: readonly string[];
  /**
   * The names the step adds to the context when it evaluates an expression field (the `extra` of
   * ctx.evaluate), by the field's path in expressionFields: `{ select: ['object', 'objects'] }`.
   * The loader checks that an expression reads only these, the vars, the registers and the loop
   * variables; a field not listed here adds none.
   */
  expressionNames?: Readonly<Record<string, readonly string[]>>;
  /** Keys of the input that are left raw for the step to render itself (e.g. per item). */
  rawFields?: readonly string[];
  /**
   * Keys of the input that name a file which must exist when the runbook is loaded (unless the
   * value is a template): looked for relative to the runbook, then in the shipped templates/.
   */
  fileFields?: readonly string[];
}

export type AnyStepType = StepType<any, any>;
