// What `runbook new` writes, planned on the `full` sandbox through the real CLI, as a site admin
// would do right after scaffolding: `runbook plan FILE --vars-file FILE.vars.yaml`. One sandbox for
// the three kinds; a plan changes nothing, so they do not disturb each other.
// - blank: its plan passes (exit 0) and says what it would create.
// - assessment: the shipped readiness assessment with the site's check after it. On `full` it
//   reports what the scenario really holds (Serverless and ModelMesh models in use, Llama Stack
//   data that 3.3 does not migrate): exit 3 with those findings and no failed step, the site's
//   check judged too.
// - site-overlay: the scaffold leaves llamaStackPostgresHost unset on purpose (a PostgreSQL only
//   the site can deploy), so on a cluster with LlamaStackDistributions the plan stops on the
//   llama-stack-postgres finding after the assessment, before anything would change. The user then
//   sets it in the vars file, as its comment says, and the assessment no longer blocks.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { runCli, type CliRun } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';
import { startTestSandbox } from './support/sandbox.js';

const BLOCKING = new Set(['prohibited', 'critical']);

/** Why a plan did not do what was expected: its failed steps, its findings, its stderr. */
function why(r: CliRun): string {
  const failed = r.events.filter((e) => e.type === 'node:end' && (e.result as { status: string }).status === 'failed').map((e) => JSON.stringify(e.result));
  return [r.stderr.slice(-3000), ...failed, ...r.findings.map((f) => JSON.stringify(f))].join('\n');
}

function failedSteps(r: CliRun): string[] {
  return r.events
    .filter((e) => e.type === 'node:end' && (e.result as { status: string }).status === 'failed')
    .map((e) => (e.node as { id: string }).id);
}

function startedSteps(r: CliRun): string[] {
  return r.events.filter((e) => e.type === 'node:start').map((e) => (e.node as { id: string }).id);
}

function blockingChecks(r: CliRun): string[] {
  return [...new Set(r.findings.filter((f) => BLOCKING.has(f.severity) && !f.provisional).map((f) => f.check))].sort();
}

describe('runbook new, then runbook plan on the full sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox({ scenario: 'full', speed: 0 });
  }, 600_000);
  afterAll(() => sandbox?.stop());

  const scaffold = async (kind: string, name: string): Promise<string> => {
    const dir = scratchDir(`runbook-new-plan-${kind}`);
    const made = await runCli(['new', kind, name, '--dir', dir]);
    expect(made.code, made.stderr).toBe(0);
    return dir;
  };
  // From the scaffold's folder, as a user runs it: the upgrade's backups (read-only, so taken in a
  // plan too) go to rhoai-upgrade-backup/ under the working directory.
  const plan = (file: string, ...args: string[]): Promise<CliRun> =>
    runCli(['plan', file, '--kubeconfig', sandbox.kubeconfigPath, '--state-dir', scratchDir('runbook-new-plan-state'), '-o', 'json', ...args], { cwd: dirname(file) });

  it('blank: the plan passes and would create the settings ConfigMap', { timeout: 300_000 }, async () => {
    const dir = await scaffold('blank', 'acme-blank');
    const planned = await plan(join(dir, 'acme-blank.yaml'));
    expect(planned.code, why(planned)).toBe(0);
    expect(failedSteps(planned)).toEqual([]);
    // The patch after the apply finds no ConfigMap in a plan (nothing was created), which its
    // mustExist: false allows; the verify step after it only says what it would wait for.
    expect(startedSteps(planned)).toEqual(expect.arrayContaining(['change/settings', 'change/label', 'verify/settings']));
    expect(await sandbox.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'acme-blank-settings' })).toBeNull();
  });

  it('assessment: the plan reports what the scenario holds, and judges the site check', { timeout: 300_000 }, async () => {
    const dir = await scaffold('assessment', 'acme-readiness');
    const planned = await plan(join(dir, 'acme-readiness.yaml'), '--vars-file', join(dir, 'acme-readiness.vars.yaml'));
    // `full` runs Serverless and ModelMesh models and Llama Stack on SQLite: real blockers of an
    // upgrade, which an assessment must report (exit 3), with no step failing to evaluate.
    expect(planned.code, why(planned)).toBe(3);
    expect(failedSteps(planned), why(planned)).toEqual([]);
    expect(blockingChecks(planned)).toEqual(['kserve-serverless', 'llama-stack-data-loss', 'llama-stack-postgres', 'modelmesh']);
    const site = planned.events.find((e) => e.type === 'node:end' && (e.node as { id: string }).id === 'site/notebooks-per-namespace');
    expect(site, 'the site check was judged').toBeDefined();
    expect((site!.result as { status: string }).status).not.toBe('failed');
  });

  it('site-overlay: the plan stops on the PostgreSQL decision until the user makes it, then passes', { timeout: 600_000 }, async () => {
    const dir = await scaffold('site-overlay', 'acme-upgrade');
    const file = join(dir, 'acme-upgrade.yaml');
    const varsFile = join(dir, 'acme-upgrade.vars.yaml');
    // The scaffold names the decision in its header, and the vars file has the line to set.
    expect(readFileSync(file, 'utf8')).toMatch(/Decide before a run[\s\S]*llamaStackPostgresHost/);
    const vars = readFileSync(varsFile, 'utf8');
    expect(vars).toContain('# llamaStackPostgresHost: ""');

    const undecided = await plan(file, '--vars-file', varsFile);
    expect(undecided.code, why(undecided)).toBe(3);
    expect(failedSteps(undecided), why(undecided)).toEqual([]);
    expect(blockingChecks(undecided)).toEqual(['llama-stack-postgres']);
    // It stops after the assessment: no step of the preparation was planned.
    expect(startedSteps(undecided).filter((id) => id.startsWith('before/'))).toEqual([]);
    expect(undecided.stdout + undecided.stderr).toMatch(/overlay .*acme-upgrade\.yaml:\d+: add before during\/approve-installplan: site\/scale-down-batch/);

    // The user deploys PostgreSQL for Llama Stack and names it, uncommenting the line.
    writeFileSync(varsFile, vars.replace('# llamaStackPostgresHost: ""', 'llamaStackPostgresHost: postgres.llama-team.svc.cluster.local'));
    const decided = await plan(file, '--vars-file', varsFile);
    expect(failedSteps(decided), why(decided)).toEqual([]);
    expect(decided.findings.map((f) => f.check)).not.toContain('llama-stack-postgres');
    // Nothing of the assessment blocks any more: the plan goes on into the preparation.
    expect(decided.findings.filter((f) => BLOCKING.has(f.severity) && f.stepId?.startsWith('assess/')), why(decided)).toEqual([]);
    expect(startedSteps(decided).some((id) => id.startsWith('before/'))).toBe(true);
    // A plan performs none of the preparation (Kueue migrated, workbenches stopped, models
    // converted), so on `full` the last guards before the operator upgrade, which check that it was
    // done, still find it undone. Made after changes the plan did not make, those findings are
    // provisional: shown and said again at the end, never stopping the plan; a run does the
    // preparation first and checks them again (site-overlay.test.ts runs this overlay to the end).
    expect(blockingChecks(decided), why(decided)).toEqual([]);
    const provisional = decided.findings.filter((f) => BLOCKING.has(f.severity) && f.provisional);
    expect([...new Set(provisional.map((f) => f.check))].sort()).toEqual(expect.arrayContaining(['guard-kueue', 'guard-models', 'guard-workbenches']));
    expect(decided.stderr).toMatch(/plan: \d+ blocking findings? after changes this plan did not make \(.*guard-kueue/);
    expect(startedSteps(decided)).toContain('during/approve-installplan');
    expect(decided.code, why(decided)).toBe(0);
  });
});
