// The ModelMesh migration into a target namespace on the full scenario (a dry run: nothing is
// applied): the source namespace's own settings that do not follow the models are named rather
// than lost silently, and cleared once the target has them; an existing target namespace is
// migrated into only when asked (the helper's --ignore-existing-ns), and the run says which.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { failureOf, runCli, type CliRun } from './support/cli-run.js';
import { scratchDir } from './support/processes.js';
import { startTestSandbox } from './support/sandbox.js';

const RB = (namespace: string) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { name: 'team-editors', namespace },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'mm-team-editors' }],
});
const PVC = (namespace: string) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'datasets', namespace },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
});

describe('a ModelMesh migration into another namespace', () => {
  let sandbox: Sandbox;
  const migrate = (vars: string[]): Promise<CliRun> =>
    runCli([
      'run', 'runbooks/inferenceservice-conversion/modelmesh-to-raw.yaml',
      '--kubeconfig', sandbox.controlPlane.kubeconfigPath,
      '--state-dir', scratchDir('runbook-guide-001-m2r-'), '--yes', '-o', 'json',
      '--var', 'fromNamespace=mm-team', '--var', 'dryRun=true', '--var', `outputDir=${scratchDir('runbook-guide-001-m2r-files-')}`, ...vars,
    ]);
  const finding = (r: CliRun, check: string) => r.findings.find((f) => f.check === check);

  beforeAll(async () => {
    sandbox = await startTestSandbox({ scenario: 'full', speed: 0 });
    await sandbox.kube.create(RB('mm-team'));
    await sandbox.kube.create(PVC('mm-team'));
  }, 600_000);
  afterAll(() => sandbox?.stop());

  it('names the RoleBindings, volumes and data connections the target does not get', { timeout: 300_000 }, async () => {
    const r = await migrate([]);
    expect(r.code, failureOf(r)).toBe(0);
    const settings = finding(r, 'namespace-settings-not-copied');
    expect(settings?.severity).toBe('warning');
    expect(settings?.objects).toEqual(expect.arrayContaining(['RoleBinding mm-team/team-editors', 'PersistentVolumeClaim mm-team/datasets']));
    expect(settings?.message).toContain('from mm-team to mm-team-raw');
    expect(finding(r, 'modelmesh-target-reused')).toBeUndefined();
  });

  it('an existing target is refused unless reused, and then named; what it has is no longer listed', { timeout: 300_000 }, async () => {
    await sandbox.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mm-team-raw' } });
    await sandbox.kube.create(RB('mm-team-raw'));
    await sandbox.kube.create(PVC('mm-team-raw'));

    const refused = await migrate([]);
    expect(refused.code).toBe(3);
    expect(finding(refused, 'modelmesh-target-exists')?.objects).toEqual(['Namespace mm-team-raw']);

    const reused = await migrate(['--var', 'reuseTargetNamespace=true']);
    expect(reused.code, failureOf(reused)).toBe(0);
    expect(finding(reused, 'modelmesh-target-exists')).toBeUndefined();
    expect(finding(reused, 'modelmesh-target-reused')?.objects).toEqual(['Namespace mm-team-raw']);
    const left = finding(reused, 'namespace-settings-not-copied')?.objects ?? [];
    expect(left).not.toContain('RoleBinding mm-team/team-editors');
    expect(left).not.toContain('PersistentVolumeClaim mm-team/datasets');
  });
});
