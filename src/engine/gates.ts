// Manual gates: a node's `confirm:` question (or the one its step type asks), passed by --yes, by
// an --approve pattern naming its run key, by an answer on a terminal, or recorded as waiting so
// the run stops and a resume asks again.
import { anyRunKeyMatches } from '../contract/run-key.js';
import type { Redactor } from '../contract/redact.js';
import type { StepRegistry } from '../contract/registry.js';
import type { DryRunMode } from '../contract/step-type.js';
import { renderDeep, renderText, isTemplate } from '../runbook/template.js';
import type { PlanNode } from '../runbook/types.js';
import type { EventListener, NodeInfo } from './events.js';
import type { RunState, StepState } from './state.js';
import { StopRun } from './stop-run.js';

export interface ApprovalPolicy {
  /** --yes: every gate passes. */
  all: boolean;
  /** --approve: these gates pass, named as run keys (`id`, `id[key]`, `id[*]`; see run-key.ts). */
  ids: ReadonlySet<string>;
  /** Asks a person at a terminal; absent when no one can answer. */
  ask?: (id: string, name: string, question: string) => Promise<boolean>;
}

/** The question of the node's gate, rendered in its context; undefined when it has none. */
export function gateQuestion(node: PlanNode, context: Record<string, unknown>, registry: StepRegistry): string | undefined {
  if (node.confirm !== undefined) return isTemplate(node.confirm) ? renderText(node.confirm, context) : node.confirm;
  if (node.kind === 'step') {
    const type = registry.get(node.type)!;
    if (type.gate) return type.gate(renderDeep(node.input, context));
  }
  return undefined;
}

/** What passing a gate reads and writes in the run. */
export interface GateKeeping {
  state: RunState;
  approvals: ApprovalPolicy;
  dryRun: DryRunMode;
  redactor: Redactor;
  onEvent: EventListener;
  checkpoint: () => Promise<void>;
  mark: (id: string, record: StepState) => Promise<void>;
}

/** Returns once the gate is passed; throws StopRun when the run must wait for an approval. */
export async function passGate(run: GateKeeping, info: NodeInfo, question: string): Promise<void> {
  const { approvals, state } = run;
  const id = info.id;
  if (state.approved.includes(id) || run.dryRun !== 'none') return;
  if (approvals.all || anyRunKeyMatches(approvals.ids, id)) {
    // Recorded like an answer, under the gate's own key even when a pattern passed it: the
    // report says which gates were passed, and a resume without the flag does not stop here again.
    state.approved.push(id);
    await run.checkpoint();
    return;
  }
  // The question may quote a secret: the terminal sees what the logs see.
  const shown = run.redactor.redact(question);
  run.onEvent({ type: 'approval:required', id, name: info.name, message: shown });
  if (approvals.ask) {
    if (await approvals.ask(id, info.name, shown)) {
      state.approved.push(id);
      await run.checkpoint();
      return;
    }
    await run.mark(id, { state: 'waiting' });
    throw new StopRun('waiting-approval', `not approved: ${info.name} (${id})`);
  }
  await run.mark(id, { state: 'waiting' });
  throw new StopRun('waiting-approval', `waiting for approval of step ${id}: ${shown}`);
}
