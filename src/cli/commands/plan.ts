// `runbook plan FILE`: evaluates every step's `when` and `check` without changing anything, and
// prints what a run would do. Steps whose input depends on an earlier step's output are shown as
// they would be with the outputs the plan itself could read.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Executor } from '../../engine/executor.js';
import { Redactor } from '../../contract/redact.js';
import type { StepRegistry } from '../../contract/registry.js';
import { STATE_VERSION, newRunId, type RunState } from '../../engine/state.js';
import { EXIT } from '../exit-codes.js';
import type { RunFlags } from '../global-options.js';
import { prepare } from '../prepare.js';
import { JsonLinesRenderer } from '../render/json-lines.js';
import { PlainRenderer } from '../render/plain.js';
import { createServices } from '../services.js';

export async function planCommand(file: string, flags: RunFlags, registry: StepRegistry): Promise<number> {
  const prepared = await prepare(resolve(file), flags, registry);
  // What the site changed in the runbooks it imports, before what each step would do.
  for (const o of prepared.plan.overlays ?? []) {
    const what = o.op === 'skip' ? `skip ${o.target}` : `${o.op === 'replace' ? 'replace' : `add ${o.op}`} ${o.target}: ${o.added.join(', ')}`;
    process.stderr.write(`overlay ${relative(process.cwd(), o.at.file) || o.at.file}:${o.at.line}: ${what}${o.reason ? ` (${o.reason})` : ''}\n`);
  }
  const now = new Date().toISOString();
  const state: RunState = {
    version: STATE_VERSION,
    runId: newRunId(`${prepared.plan.name}-plan`),
    runbook: { name: prepared.plan.name, file: prepared.plan.file, digest: prepared.plan.digest },
    stepDigests: {},
    status: 'running',
    dryRun: 'client',
    startedAt: now,
    updatedAt: now,
    vars: {},
    options: { only: flags.only, skip: flags.skip, from: flags.from },
    steps: {},
    registered: {},
    findings: [],
    approved: [],
  };
  const runDir = await mkdtemp(join(tmpdir(), 'runbook-plan-'));
  const services = await createServices(prepared.plan, { ...flags, dryRun: 'client' });
  const renderer = flags.output === 'json' ? new JsonLinesRenderer() : new PlainRenderer();
  try {
    const summary = await new Executor({
      plan: prepared.plan,
      registry,
      vars: prepared.vars,
      state,
      runDir,
      dryRun: 'client',
      services: services.services,
      signal: new AbortController().signal,
      approvals: { all: true, ids: new Set() },
      selection: { only: flags.only, skip: flags.skip, from: flags.from },
      redactor: new Redactor(prepared.vars.secrets),
      onEvent: (e) => renderer.onEvent(e),
    }).run();
    const c = summary.counts;
    process.stderr.write(`\nplan: ${c.changed} would change, ${c.ok} already hold, ${c.skipped} skipped, ${c.failed} failed to evaluate\n`);
    return summary.status === 'failed' ? EXIT.stepFailed : summary.status === 'blocked' ? EXIT.blocked : EXIT.ok;
  } finally {
    await services.close();
    await rm(runDir, { recursive: true, force: true });
  }
}
