// Which recorded run an invocation continues, if any: the one named, the newest unfinished one,
// a damaged one repaired; never a damaged run passed over silently, never a run another executor
// is running.
import { closest } from 'fastest-levenshtein';
import { RunbookError, StateDamaged } from '../contract/errors.js';
import { LockHeld, liveRunHolder } from './lock.js';
import type { RunState, StateStore } from './state.js';

export interface ResumeRequest {
  mode: 'run' | 'resume';
  /** run: the runbook file, as an absolute path. */
  file?: string;
  /** resume: the run to continue (default: the newest unfinished one). */
  runId?: string;
  /** A dry run starts no run and continues none. */
  dryRun: boolean;
  /** run: continue the unfinished run of this runbook without asking. */
  resume?: boolean;
  /** run: start a new run even when one did not finish or is damaged. */
  fresh?: boolean;
  /** resume: rebuild a damaged run from what is intact. */
  repair?: boolean;
}

export interface ResumeHooks {
  notice(message: string): void;
  /** Asks whether to continue an unfinished run; absent when no one can answer. */
  askResume?(question: string): Promise<boolean>;
  /** Who runs this run elsewhere (with the state held in the cluster, the holder of its Lease). */
  liveHolder?(state: RunState): Promise<string | undefined>;
}

/** Decides which existing run (if any) this invocation continues. */
export async function findRunToResume(req: ResumeRequest, store: StateStore, hooks: ResumeHooks): Promise<RunState | undefined> {
  if (req.mode === 'resume') {
    if (req.repair) return repairRun(req.runId, store, hooks);
    const { runs, damaged } = await store.scanSummaries();
    const newest = runs.find((s) => s.status !== 'succeeded' && s.dryRun === 'none');
    const state = req.runId ? await store.load(req.runId) : newest && (await store.load(newest.runId));
    // Without an id, a damaged run is never passed over silently for an older intact one.
    if (!req.runId && damaged.length) throw damaged[0]!;
    if (!state) {
      const ids = runs.map((s) => s.runId);
      throw new RunbookError(req.runId ? `no run ${req.runId} in ${store.root}` : `no unfinished run in ${store.root}`, {
        hint: req.runId && ids.length ? `did you mean ${closest(req.runId, ids)}? (runbook status lists the runs)` : 'runbook status lists the runs; --state-dir picks another folder',
      });
    }
    if (state.status === 'succeeded') throw new RunbookError(`run ${state.runId} already succeeded; there is nothing to resume`);
    return state;
  }
  if (req.dryRun) return undefined;
  // A damaged run of this runbook (or of one the damage hides) is never started over silently.
  const file = req.file!;
  const scanned = await store.scanSummaries();
  const damaged = scanned.damaged.filter((d) => d.data?.runbook === undefined || d.data.runbook === file);
  if (damaged.length && !req.fresh) {
    throw new StateDamaged(`${damaged.map((d) => d.message).join('\n')}`, {
      hint: `${damaged[0]!.hint}; --fresh starts a new run beside it`,
      data: damaged[0]!.data,
    });
  }
  for (const d of damaged) hooks.notice(`left as it is: ${d.message}`);
  if (req.fresh) return undefined;
  const unfinished = await store.findUnfinished(file, scanned.runs);
  if (!unfinished) return undefined;
  // Held here (a local executor), or anywhere (the holder of the cluster's Lease, with --state kubernetes).
  const running = unfinished.status === 'running' ? ((await liveRunHolder(store.runDir(unfinished.runId))) ?? (await hooks.liveHolder?.(unfinished))) : undefined;
  if (running) {
    throw new LockHeld(`run ${unfinished.runId} of this runbook is being executed by ${running}`, {
      hint: 'wait for it to finish, or stop it; runbook status shows where it is',
    });
  }
  if (req.resume) return unfinished;
  const where = `run ${unfinished.runId} of this runbook did not finish (${unfinished.status}${unfinished.message ? `: ${unfinished.message}` : ''})`;
  if (hooks.askResume) {
    if (await hooks.askResume(`${where}.\nResume it? (no starts a fresh run)`)) return unfinished;
    return undefined;
  }
  throw new RunbookError(where, {
    hint: 'pass --resume to continue it, or --fresh to start a new run; runbook status shows where it stopped',
  });
}

/** `resume RUN-ID --repair`: the run as far as its files prove it, the damaged files set aside. */
async function repairRun(runId: string | undefined, store: StateStore, hooks: ResumeHooks): Promise<RunState> {
  if (!runId) throw new RunbookError('--repair needs the run id', { hint: 'runbook status lists the runs, damaged ones included' });
  const repaired = await store.repair(runId);
  if (!repaired.damage && repaired.state) {
    hooks.notice(`the state of run ${runId} is intact; resuming it as it is`);
    return repaired.state;
  }
  const aside = repaired.setAside.length ? `; set aside: ${repaired.setAside.join(', ')}` : '';
  if (!repaired.state) {
    throw new StateDamaged(`run ${runId} cannot be repaired: ${repaired.damage?.message ?? 'it has no state'}${aside}`, {
      hint: 'nothing of the run can be proven; start a fresh run (runbook run FILE --fresh): every step checks first, so work already done is not done again',
    });
  }
  const done = Object.values(repaired.state.steps).filter((s) => s.state === 'done').length;
  hooks.notice(`repaired run ${runId}: ${done} steps proven done are kept, every other step is checked again${aside}`);
  return repaired.state;
}
