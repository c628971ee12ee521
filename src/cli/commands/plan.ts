// `runbook plan FILE`: evaluates every step's `when` and `check` without changing anything, and
// prints what a run would do. Steps whose input depends on an earlier step's output are shown as
// they would be with the outputs the plan itself could read.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Executor } from '../../engine/executor.js';
import { Redactor } from '../../contract/redact.js';
import type { StepRegistry } from '../../contract/registry.js';
import { newRunId, newRunState } from '../../engine/state.js';
import { EXIT } from '../exit-codes.js';
import type { RunFlags } from '../global-options.js';
import { prepare } from '../prepare.js';
import { markSiteSteps } from '../site-steps.js';
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
  const state = newRunState({
    runbook: prepared.plan,
    runId: newRunId(`${prepared.plan.name}-plan`),
    dryRun: 'client',
    options: { only: flags.only, skip: flags.skip, from: flags.from },
  });
  const runDir = await mkdtemp(join(tmpdir(), 'runbook-plan-'));
  const services = await createServices({ ...flags, dryRun: 'client' });
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
      // The site's steps are marked where they run; -o json keeps names as written.
      onEvent: flags.output === 'json' ? (e) => renderer.onEvent(e) : markSiteSteps(prepared.plan, (e) => renderer.onEvent(e)),
    }).run();
    const c = summary.counts;
    process.stderr.write(`\nplan: ${c.changed} would change, ${c.ok} already hold, ${c.skipped} skipped, ${c.failed} failed to evaluate\n`);
    // Found after changes the plan did not make: shown, never blocking; a run checks them again.
    const provisional = state.findings.filter((f) => f.provisional && (f.severity === 'prohibited' || f.severity === 'critical'));
    if (provisional.length) {
      process.stderr.write(
        `plan: ${provisional.length} blocking finding${provisional.length === 1 ? '' : 's'} after changes this plan did not make (${[...new Set(provisional.map((f) => f.check))].join(', ')}): a run checks ${provisional.length === 1 ? 'it' : 'them'} again once those changes are made\n`,
      );
    }
    return summary.status === 'failed' ? EXIT.stepFailed : summary.status === 'blocked' ? EXIT.blocked : EXIT.ok;
  } finally {
    await services.close();
    await rm(runDir, { recursive: true, force: true });
  }
}
