// `runbook status [RUN-ID]`: where a run stands, and how to go on.
import { resolve } from 'node:path';
import { formatMs } from '../../engine/attempt.js';
import { RunbookError } from '../../contract/errors.js';
import { liveRunHolder } from '../../engine/lock.js';
import { Redactor } from '../../contract/redact.js';
import { StateStore, type RunState } from '../../engine/state.js';
import { approveEveryItemFlags, approveFlags, waitingGates } from '../approve.js';
import { EXIT } from '../exit-codes.js';
import { parseStateFlag, type ClusterState } from '../cluster-state.js';
import type { KubeFlags } from '../global-options.js';
import { openClusterState } from '../services.js';

export interface StatusFlags extends KubeFlags {
  stateDir: string;
  output?: string;
  state?: string;
  contexts?: string;
}

export async function statusCommand(runId: string | undefined, given: StatusFlags): Promise<number> {
  if (given.contexts) return fleetStatus(given);
  const backend = parseStateFlag(given.state);
  const cluster = backend.kind === 'kubernetes' ? await openClusterState(given, backend.namespace) : undefined;
  const flags = cluster ? { ...given, stateDir: cluster.localRoot } : given;
  const store = new StateStore(resolve(flags.stateDir), new Redactor());
  const live = (r: RunState): Promise<ShownRun> => withLiveness(store, r, cluster);
  if (!runId) {
    const scanned = await store.scan();
    const runs = await Promise.all(scanned.runs.map(live));
    const damaged = scanned.damaged.map((d) => ({ runId: String(d.data?.runId), status: 'damaged', message: d.message, hint: d.hint }));
    if (flags.output === 'json') {
      process.stdout.write(`${JSON.stringify([...damaged, ...runs.map(brief)])}\n`);
      return EXIT.ok;
    }
    if (!runs.length && !damaged.length) {
      process.stdout.write(`no runs in ${store.root}\n`);
      return EXIT.ok;
    }
    for (const d of damaged) process.stdout.write(`${d.runId}  ${'damaged'.padEnd(16)} ${d.message}\n  hint: ${d.hint}\n`);
    for (const r of runs) process.stdout.write(`${r.runId}  ${r.status.padEnd(16)} ${r.updatedAt}  ${r.runbook.file}\n`);
    return EXIT.ok;
  }
  const loaded = await store.load(runId);
  const state = loaded ? await live(loaded) : undefined;
  if (!state) throw new RunbookError(`no run ${runId} in ${store.root}`, { hint: 'runbook status (without an id) lists the runs' });
  if (flags.output === 'json') {
    process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
    return EXIT.ok;
  }
  const out: string[] = [`run ${state.runId}: ${state.status}${state.message ? ` — ${state.message}` : ''}`, `runbook: ${state.runbook.file}`, `started ${state.startedAt}, last update ${state.updatedAt}`, ''];
  for (const [id, s] of Object.entries(state.steps)) {
    const label = s.state === 'done' ? s.status : s.state === 'running' ? UNDER_WAY[state.status] : s.state;
    out.push(`  ${String(label).padEnd(12)} ${id}${s.durationMs ? ` (${formatMs(s.durationMs)})` : ''}${s.error ? `: ${s.error.message}` : ''}`);
  }
  const waiting = state.status === 'waiting-approval' ? waitingGates(state) : [];
  if (waiting.length) {
    // Written as --approve takes them, loop gates with their item key, to be copied as they are.
    out.push('', 'waiting for approval:', ...waiting.map((key) => `  ${key}`));
    const every = approveEveryItemFlags(waiting);
    out.push(
      '',
      `resume with: runbook resume ${state.runId} ${approveFlags(waiting)}`,
      ...(every ? [`         or: runbook resume ${state.runId} ${every}   (every item of the loop)`] : []),
      `         or: runbook resume ${state.runId}   (to be asked on a terminal)`,
    );
  } else if (state.status !== 'succeeded') out.push('', `resume with: runbook resume ${state.runId}`);
  process.stdout.write(out.join('\n') + '\n');
  return EXIT.ok;
}

/**
 * A step or loop recorded as under way, said by how the run ended: a loop whose items wait at a
 * gate waits with them; only a run that was stopped or lost leaves it interrupted.
 */
const UNDER_WAY: Record<ShownRun['status'], string> = {
  running: 'running',
  'waiting-approval': 'waiting',
  blocked: 'stopped',
  succeeded: 'running',
  failed: 'interrupted',
  aborted: 'interrupted',
  interrupted: 'interrupted',
};

/**
 * A run recorded as running whose executor is gone (killed, or its machine lost) is shown as
 * interrupted: nothing runs it, and `runbook resume` continues it.
 */
type ShownRun = Omit<RunState, 'status'> & { status: RunState['status'] | 'interrupted' };

async function withLiveness(store: StateStore, state: RunState, cluster?: ClusterState): Promise<ShownRun> {
  if (state.status !== 'running' || (await liveRunHolder(store.runDir(state.runId))) || (await cluster?.liveHolder(state))) return state;
  return { ...state, status: 'interrupted', message: state.message ?? 'its executor is no longer running' };
}

function brief(s: ShownRun): Record<string, unknown> {
  return { runId: s.runId, status: s.status, runbook: s.runbook.file, startedAt: s.startedAt, updatedAt: s.updatedAt, message: s.message };
}

/**
 * `runbook status --contexts a,b,c`: the newest run of each cluster's state (--state kubernetes),
 * one row per context: where each cluster of a fleet stands.
 */
async function fleetStatus(flags: StatusFlags): Promise<number> {
  const backend = parseStateFlag(flags.state ?? 'kubernetes');
  const namespace = backend.kind === 'kubernetes' ? backend.namespace : undefined;
  const rows: Record<string, string>[] = [];
  for (const context of flags.contexts!.split(',').map((c) => c.trim()).filter(Boolean)) {
    try {
      const cluster = await openClusterState({ ...flags, context }, namespace);
      const store = new StateStore(cluster.localRoot, new Redactor());
      const newest = (await store.list())[0];
      if (!newest) {
        rows.push({ context, run: '-', status: 'no runs', step: '', findings: '', updated: '' });
        continue;
      }
      const shown = await withLiveness(store, newest, cluster);
      const steps = Object.entries(shown.steps);
      const current = steps.find(([, s]) => s.state === 'running') ?? steps.at(-1);
      const count = (sev: string) => shown.findings.filter((f) => f.severity === sev).length;
      rows.push({
        context,
        run: shown.runId,
        status: shown.status,
        step: current?.[0] ?? '',
        findings: `${count('prohibited') + count('critical')} blocking, ${count('warning')} warnings`,
        updated: shown.updatedAt,
      });
    } catch (err) {
      rows.push({ context, run: '-', status: 'unreachable', step: (err as Error).message.split('\n')[0]!, findings: '', updated: '' });
    }
  }
  if (flags.output === 'json') {
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    return EXIT.ok;
  }
  const cols = ['context', 'run', 'status', 'step', 'findings', 'updated'];
  const width = (c: string) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length));
  const line = (r: Record<string, string>) => cols.map((c) => (r[c] ?? '').padEnd(width(c))).join('  ').trimEnd();
  process.stdout.write([line(Object.fromEntries(cols.map((c) => [c, c.toUpperCase()]))), ...rows.map(line)].join('\n') + '\n');
  return EXIT.ok;
}
