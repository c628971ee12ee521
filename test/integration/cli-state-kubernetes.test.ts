// --state kubernetes on the shared control plane, as two machines would use it (two processes with
// separate local caches): the run's state lives in Secrets of the namespace, the lock in a Lease.
// A second run is refused naming the holder; a run killed with SIGKILL is resumed from the other
// machine once its lease expires (taken over with a notice), and ends with no change applied twice;
// `status` from a third machine shows it; the secret var's value is in no state object.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { KubeClient } from '../../src/kube/client.js';
import { adminKubeconfigPath, eventually } from './support/cluster.js';
import { runCli, type CliRun } from './support/cli-run.js';
import { createNamespace, deleteNamespace } from './support/objects.js';
import { adminKube } from './support/run-step.js';

const SECRET_VALUE = 'tok-3f9a1c-never-stored';
let kube: KubeClient;
let ns: string;
let dir: string;

beforeAll(async () => {
  kube = adminKube();
  ns = await createNamespace(kube, 'state-k8s');
  dir = mkdtempSync(join(tmpdir(), 'runbook-state-k8s-'));
  writeFileSync(
    join(dir, 'rb.yaml'),
    `apiVersion: runbook.dev/v1
kind: Runbook
metadata: { name: cluster-held }
vars:
  ns: { default: ${ns} }
  token: { secret: true, required: true, description: A credential }
sections:
  - name: main
    steps:
      - name: Record the start
        id: main/start
        apply:
          manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: started, namespace: "{{ ns }}" }, data: { by: "{{ token }}" } }
      - name: Wait for the go signal
        id: main/wait
        wait: { apiVersion: v1, kind: ConfigMap, namespace: "{{ ns }}", name: go, for: { exists: true }, timeout: 3m }
      - name: Record the end
        id: main/end
        apply:
          manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: ended, namespace: "{{ ns }}" } }
`,
  );
});

afterAll(async () => {
  await deleteNamespace(kube, ns);
  rmSync(dir, { recursive: true, force: true });
});

/** One "machine": its own local cache, the same cluster. */
const machine = (name: string) => ({ XDG_CACHE_HOME: join(dir, `cache-${name}`), RUNBOOK_LEASE_SECONDS: '6' });
const args = (cmd: string[]) => [...cmd, '--kubeconfig', adminKubeconfigPath(), '--state', `kubernetes:${ns}`, '--var', `token=${SECRET_VALUE}`, '-o', 'json'];
const changed = (runs: CliRun[]) =>
  runs.flatMap((r) => r.events).filter((e) => e.type === 'node:end' && (e.result as { status: string }).status === 'changed' && !(e.result as { resumed?: boolean }).resumed).map((e) => (e.node as { id: string }).id);

describe('state kept in the cluster', () => {
  it('is locked by a Lease, resumed from another machine after a kill, and holds no secret', { timeout: 300_000 }, async () => {
    let first!: Promise<CliRun>;
    let waiting = false;
    let killFirst: (() => void) | undefined;
    first = runCli(args(['run', join(dir, 'rb.yaml')]), {
      env: machine('a'),
      onEvent: (e, kill) => {
        if (e.type === 'node:start' && (e.node as { id: string }).id === 'main/wait') {
          waiting = true;
          killFirst = () => kill('SIGKILL');
        }
      },
    });
    await eventually('the first run at its wait, its state in the cluster', async () => waiting && (await kube.list({ apiVersion: 'v1', kind: 'Secret', namespace: ns }, { labelSelector: 'runbook.dev/state=run' })).items.length > 0);

    // Machine b: the lease refuses a second run, naming the holder.
    const refused = await runCli(args(['run', join(dir, 'rb.yaml')]), { env: machine('b') });
    expect(refused.code, refused.stderr).toBe(5);
    expect(refused.stderr).toMatch(/run cluster-held-\S+ of this runbook is being executed by run cluster-held-\S+ by \S+@\S+ pid \d+/);

    // A fresh run is refused by the Lease itself, which names its holder.
    const fresh = await runCli(args(['run', join(dir, 'rb.yaml'), '--fresh']), { env: machine('b') });
    expect(fresh.code, fresh.stderr).toBe(5);
    expect(fresh.stderr).toMatch(new RegExp(`runbook cluster-held is locked by run cluster-held-\\S+ by \\S+@\\S+ pid \\d+ \\(Lease ${ns}/runbook-lock-cluster-held`));

    killFirst!();
    const killed = await first;
    expect(killed.signal).toBe('SIGKILL');

    // The dead holder's lease expires; then machine b resumes from the cluster's copy.
    await new Promise((r) => setTimeout(r, 7000));
    await kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'go', namespace: ns } });
    const resumed = await runCli(args(['resume']), { env: machine('b') });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('note: took over Lease');
    expect(changed([killed, resumed])).toEqual(['main/start', 'main/end']);
    expect(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'ended', namespace: ns })).not.toBeNull();

    // Machine c sees the run as it ended.
    const status = await runCli(['status', '--kubeconfig', adminKubeconfigPath(), '--state', `kubernetes:${ns}`, '-o', 'json'], { env: machine('c') });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual([expect.objectContaining({ status: 'succeeded' })]);

    // A fleet: one row per context, the newest run each cluster holds (here two contexts on one
    // control plane, one whose namespace holds the run and one whose namespace holds none), and a
    // context the kubeconfig does not define, reported rather than failing the table.
    const empty = await createNamespace(kube, 'state-k8s-empty');
    try {
      const fleet = join(dir, 'fleet.kubeconfig');
      const admin = parse(readFileSync(adminKubeconfigPath(), 'utf8')) as { clusters: unknown[]; users: { name: string }[]; contexts: { context: { cluster: string } }[] };
      const ctx = (name: string, namespace: string) => ({ name, context: { cluster: admin.contexts[0]!.context.cluster, user: admin.users[0]!.name, namespace } });
      writeFileSync(fleet, stringify({ apiVersion: 'v1', kind: 'Config', clusters: admin.clusters, users: admin.users, contexts: [ctx('east', ns), ctx('west', empty)], 'current-context': 'east' }));
      const table = await runCli(['status', '--kubeconfig', fleet, '--state', 'kubernetes', '--contexts', 'east,west,north', '-o', 'json'], { env: machine('d') });
      expect(table.code, table.stderr).toBe(0);
      const rows = JSON.parse(table.stdout) as Record<string, string>[];
      expect(rows.map((r) => [r.context, r.status])).toEqual([['east', 'succeeded'], ['west', 'no runs'], ['north', 'unreachable']]);
      expect(rows[0]).toMatchObject({ step: 'main/end', findings: '0 blocking, 0 warnings' });
      expect(rows[2]!.step).toContain('north');
    } finally {
      await deleteNamespace(kube, empty);
    }

    // The lease is released; no state object holds the secret, in any encoding.
    const lease = await kube.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name: 'runbook-lock-cluster-held', namespace: ns });
    expect((lease?.spec as { holderIdentity?: string }).holderIdentity).toBeUndefined();
    const secrets = (await kube.list({ apiVersion: 'v1', kind: 'Secret', namespace: ns }, { labelSelector: 'runbook.dev/state=run' })).items;
    expect(secrets.length).toBeGreaterThan(0);
    for (const s of secrets) {
      const text = gunzipSync(Buffer.from((s as unknown as { data: { part: string } }).data.part, 'base64')).toString('utf8');
      expect(text).toContain('cluster-held');
      expect(text).not.toContain(SECRET_VALUE);
      expect(text).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));
    }
  });
});
