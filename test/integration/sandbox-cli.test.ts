// `runbook sandbox up/status/down/run` as a user runs them: the built CLI in a child process, a
// temporary state folder, and TMPDIR pointed at a scratch folder so the control planes it starts
// (and anything left of them) are this file's alone. Checks go through client-node, no kubectl.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInstanceRecord } from '../../src/sandbox/controlplane/instance-record.js';
import type { SandboxRecord } from '../../src/sandbox/record.js';
import { eventually } from './support/cluster.js';
import { type CliRun, runCli } from './support/cli-run.js';
import { isRunning } from './support/processes.js';

let scratch: string;
let env: Record<string, string>;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'runbook-sandbox-cli-'));
  env = { TMPDIR: join(scratch, 'tmp') };
  mkdirSync(env.TMPDIR!);
});

afterAll(async () => {
  // Whatever a failed test left running, stop it before removing its folders.
  for (const dir of ['up', 'run']) await runCli(['sandbox', 'down', '--state-dir', join(scratch, dir)], { env, timeoutMs: 60_000 }).catch(() => undefined);
  rmSync(scratch, { recursive: true, force: true });
});

const sandboxCli = (args: string[], timeoutMs = 600_000): Promise<CliRun> => runCli(['sandbox', ...args], { env, timeoutMs });
const controlPlaneDirs = (): string[] => {
  const base = join(env.TMPDIR!, 'runbook-controlplane');
  return existsSync(base) ? readdirSync(base) : [];
};

describe('runbook sandbox up, status, down', () => {
  let stateDir: string;
  let record: SandboxRecord;
  let pids: { name: string; pid: number }[];

  beforeAll(() => {
    stateDir = join(scratch, 'up');
  });

  it('up returns once the sandbox is ready and prints the kubeconfig to use', async () => {
    const up = await sandboxCli(['up', '--scenario', 'minimal', '--state-dir', stateDir]);
    expect(up.stderr).toContain('scenario minimal loaded');
    expect(up.code, up.stderr).toBe(0);
    const kubeconfig = /export KUBECONFIG=(\S+)/.exec(up.stdout)?.[1];
    expect(kubeconfig).toBeDefined();
    expect(up.stdout).toContain(`stop it with: runbook sandbox down --state-dir ${stateDir}`);

    record = JSON.parse(readFileSync(join(stateDir, 'sandbox', 'sandbox.json'), 'utf8')) as SandboxRecord;
    expect(record).toMatchObject({ scenario: 'minimal', starting: false, kubeconfig });
    const instance = readInstanceRecord(record.dir!);
    expect(instance?.ownerPid).toBe(record.pid);
    pids = [
      { name: 'daemon', pid: record.pid },
      ...instance!.processes.map((p) => ({ name: p.name, pid: p.pid })),
      { name: 'watchdog', pid: instance!.watchdogPid! },
    ];
    expect(pids.map((p) => p.name)).toEqual(['daemon', 'etcd', 'kube-apiserver', 'kube-controller-manager', 'watchdog']);
    for (const p of pids) expect(isRunning(p.pid), p.name).toBe(true);

    // The cluster answers through the printed kubeconfig, with the scenario loaded and simulated.
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig!);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const dsc = (await eventually('the DSC Ready', async () => {
      const obj = (await custom.getClusterCustomObject({ group: 'datasciencecluster.opendatahub.io', version: 'v1', plural: 'datascienceclusters', name: 'default-dsc' })) as { status?: { phase?: string } };
      return obj.status?.phase === 'Ready' ? obj : undefined;
    })) as { status: { release: { version: string } } };
    expect(dsc.status.release.version).toBe('2.25.4');
  });

  it('status says it runs and where', async () => {
    const status = await sandboxCli(['status', '--state-dir', stateDir]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`scenario minimal, ${record.server}, pid ${record.pid}`);
    expect(status.stdout).toContain(`export KUBECONFIG=${record.kubeconfig}`);
  });

  it('up a second time says a sandbox is already running and starts nothing', async () => {
    const before = controlPlaneDirs();
    const again = await sandboxCli(['up', '--scenario', 'minimal', '--state-dir', stateDir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`error: a sandbox is already running (pid ${record.pid}, scenario minimal, ${record.server})`);
    expect(again.stderr).toContain(`KUBECONFIG=${record.kubeconfig}`);
    expect(controlPlaneDirs()).toEqual(before);
    expect(isRunning(record.pid)).toBe(true);
  });

  it('down stops it and no process of it remains', async () => {
    const down = await sandboxCli(['down', '--state-dir', stateDir], 120_000);
    expect(down.code).toBe(0);
    expect(down.stdout).toBe(`sandbox stopped (pid ${record.pid})\n`);
    for (const p of pids) expect(isRunning(p.pid), `${p.name} (pid ${p.pid}) still runs`).toBe(false);
    expect(existsSync(record.dir!)).toBe(false);
    expect(existsSync(join(stateDir, 'sandbox', 'sandbox.json'))).toBe(false);

    const status = await sandboxCli(['status', '--state-dir', stateDir]);
    expect(status.stdout).toBe('no sandbox is running (start one with: runbook sandbox up)\n');
    const twice = await sandboxCli(['down', '--state-dir', stateDir]);
    expect(twice.code).toBe(0);
    expect(twice.stdout).toBe('no sandbox is running\n');
  });
});

describe('runbook sandbox down while it starts', () => {
  it('stops the starting sandbox and every process of it', async () => {
    const stateDir = join(scratch, 'early');
    const recordPath = join(stateDir, 'sandbox', 'sandbox.json');
    const up = sandboxCli(['up', '--scenario', 'minimal', '--state-dir', stateDir]);
    // As soon as the control plane runs (the record names its folder), before the scenario loads.
    const record = await eventually('the control plane of the starting sandbox', async () => {
      const r = existsSync(recordPath) ? (JSON.parse(readFileSync(recordPath, 'utf8')) as SandboxRecord) : undefined;
      return r?.dir && r.starting ? r : undefined;
    }, { timeoutMs: 300_000 });
    const instance = readInstanceRecord(record.dir!)!;
    const pids = [record.pid, ...instance.processes.map((p) => p.pid), instance.watchdogPid!];
    const status = await sandboxCli(['status', '--state-dir', stateDir]);
    expect(status.stdout).toContain(`sandbox starting: scenario minimal, pid ${record.pid}`);

    const down = await sandboxCli(['down', '--state-dir', stateDir], 120_000);
    expect(down.code).toBe(0);
    for (const pid of pids) expect(isRunning(pid), `pid ${pid} still runs`).toBe(false);
    const started = await up;
    expect(started.code).toBe(2);
    expect(started.stderr).toContain('error: the sandbox was stopped while it started');
    expect(existsSync(recordPath)).toBe(false);
  });
});

describe('runbook sandbox run', () => {
  it('runs a small runbook on a fresh sandbox, prints the report path and stops it', async () => {
    const dir = join(scratch, 'run');
    mkdirSync(dir);
    const file = join(dir, 'smoke.yaml');
    writeFileSync(
      file,
      `apiVersion: runbook.dev/v1
kind: Runbook
metadata: { name: sandbox-smoke }
sections:
  - name: main
    steps:
      - name: The DataScienceCluster is Ready
        wait:
          apiVersion: datasciencecluster.opendatahub.io/v1
          kind: DataScienceCluster
          name: default-dsc
          for: { condition: { type: Ready } }
          timeout: 2m
      - name: Mark it rehearsed
        patch:
          apiVersion: datasciencecluster.opendatahub.io/v1
          kind: DataScienceCluster
          name: default-dsc
          patch: { metadata: { annotations: { example.com/rehearsed: "true" } } }
`,
    );
    const run = await runCli(['sandbox', 'run', file, '--scenario', 'minimal', '--state-dir', dir, '-o', 'plain'], { env, timeoutMs: 600_000 });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    // The closing summary goes to stderr, beside the progress.
    const report = /report: (\S+)/.exec(run.stderr)?.[1];
    expect(report, run.stderr).toBeDefined();
    expect(existsSync(report!)).toBe(true);
    expect(readFileSync(report!, 'utf8')).toContain('Mark it rehearsed');
    expect(run.stderr).toContain('sandbox: stopping');
    // Stopped: its control plane folder is gone.
    expect(controlPlaneDirs()).toEqual([]);
  });
});

describe('a malformed scenario', () => {
  it('makes up and run exit 2 with file:line:column, having started nothing', async () => {
    const dir = join(scratch, 'bad');
    mkdirSync(dir);
    const scenario = join(dir, 'bad.yaml');
    writeFileSync(scenario, 'apiVersion: runbook.dev/v1\nkind: SandboxScenario\nmetadata:\n  name: bad\nspec:\n  base: minimal\n  fautls: { dscNeverReady: true }\n');
    const before = controlPlaneDirs();

    const up = await sandboxCli(['up', '--scenario', scenario, '--state-dir', dir]);
    expect(up.code).toBe(2);
    expect(up.stderr).toContain(`${scenario}:7:3: scenario: unknown field "spec.fautls"`);
    expect(up.stderr).toContain('did you mean "faults"?');
    expect(up.stderr).toContain('1 problem found; nothing was run.');
    expect(existsSync(join(dir, 'sandbox'))).toBe(false);

    const runbook = join(dir, 'noop.yaml');
    writeFileSync(runbook, 'apiVersion: runbook.dev/v1\nkind: Runbook\nmetadata: { name: noop }\nsections:\n  - name: main\n    steps:\n      - name: Say so\n        assert: { that: ["true"], message: never }\n');
    const run = await runCli(['sandbox', 'run', runbook, '--scenario', scenario, '--state-dir', dir, '-o', 'plain'], { env, timeoutMs: 120_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${scenario}:7:3: scenario: unknown field "spec.fautls"`);
    expect(run.stderr).not.toContain('starting the control plane');
    expect(controlPlaneDirs()).toEqual(before);
  });
});
