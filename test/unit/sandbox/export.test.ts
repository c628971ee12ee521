// The parts of `runbook sandbox export` that need no cluster: which kinds the shipped runbooks
// use, how a Secret is redacted, the order versions are tried in.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/package-root.js';
import { DEFAULT_EXPORT_RUNBOOKS } from '../../../src/cli/commands/sandbox-export.js';
import { byVersionPriority, fileNameOf } from '../../../src/sandbox/export/export.js';
import { kindsOf, loadRunbooks, UNRESOLVED } from '../../../src/sandbox/export/kinds.js';
import { exportedObject, REDACTED_DATA } from '../../../src/sandbox/export/redact.js';
import { builtinRegistry } from '../../../src/steps/index.js';

describe('the kinds the shipped runbooks use', () => {
  it('come from the steps’ permissions, plus the kinds always read', async () => {
    const registry = builtinRegistry();
    const runbooks = await loadRunbooks(DEFAULT_EXPORT_RUNBOOKS.map((f) => join(packageRoot(), f)), { var: [], varsFile: [] }, registry);
    const wanted = kindsOf(runbooks, registry);
    const keys = wanted.kinds.map((k) => `${k.group}/${k.kind}`);
    for (const k of [
      'datasciencecluster.opendatahub.io/DataScienceCluster',
      'dscinitialization.opendatahub.io/DSCInitialization',
      'serving.kserve.io/InferenceService',
      'serving.kserve.io/ServingRuntime',
      'kubeflow.org/Notebook',
      'ray.io/RayCluster',
      'operators.coreos.com/Subscription',
      'operators.coreos.com/ClusterServiceVersion',
      'operators.coreos.com/CatalogSource',
      'operators.coreos.com/InstallPlan',
      'operators.coreos.com/OperatorGroup',
      'config.openshift.io/ClusterVersion',
      '/Secret',
      '/Namespace',
      // Named only by steps inside loops, with names known at run time.
      'apps/StatefulSet',
      'oauth.openshift.io/OAuthClient',
    ]) {
      expect(keys, k).toContain(k);
    }
    expect(new Set(keys).size).toBe(keys.length);
    const dsc = wanted.kinds.find((k) => k.kind === 'DataScienceCluster')!;
    expect(dsc.versions).toEqual(expect.arrayContaining(['v1', 'v2']));
    expect(dsc.steps.length).toBeGreaterThan(5);
    // Read always, and named by the assessment too (the catalog the operator installs use).
    expect(wanted.kinds.find((k) => k.kind === 'CatalogSource')).toMatchObject({ steps: ['assess/catalog-source'], namespaces: ['openshift-marketplace'], names: ['redhat-operators'] });
    // Namespaces the runbooks name, rendered with the vars' defaults; never a placeholder. The
    // applications namespace is the DSCI's, known only at run time (a --var names it, below).
    expect(wanted.kinds.find((k) => k.kind === 'ClusterServiceVersion')?.namespaces).toContain('redhat-ods-operator');
    expect(wanted.kinds.find((k) => k.kind === 'ConfigMap')?.names).toEqual(expect.arrayContaining(['kueue-manager-config', 'inferenceservice-config']));
    for (const k of wanted.kinds) for (const v of [...k.namespaces, ...k.names]) expect(v).not.toContain(UNRESOLVED);
    // Steps that apply objects only known at run time are noted; plain assertions are not.
    expect(wanted.notes.some((n) => /known only at run time/.test(n.reason))).toBe(true);
    expect(wanted.notes.some((n) => n.stepId === 'assess/target-version')).toBe(false);
  });

  it('takes a vars file and --var for the runbooks that declare the var, and refuses a var none declares', async () => {
    const registry = builtinRegistry();
    const files = DEFAULT_EXPORT_RUNBOOKS.map((f) => join(packageRoot(), f));
    const runbooks = await loadRunbooks(files, { var: ['applicationsNamespace=odh-apps'], varsFile: [] }, registry);
    expect(kindsOf(runbooks, registry).kinds.find((k) => k.kind === 'ConfigMap')?.namespaces).toContain('odh-apps');
    await expect(loadRunbooks(files, { var: ['noSuchVar=1'], varsFile: [] }, registry)).rejects.toThrow(/unknown var "noSuchVar"/);
  });
});

describe('exported objects', () => {
  it('drop only managedFields, and put apiVersion, kind and metadata first', () => {
    const { object, redaction } = exportedObject({
      spec: { a: 1 },
      status: { phase: 'Ready' },
      metadata: { name: 'x', namespace: 'n', uid: 'u', finalizers: ['f'], ownerReferences: [{ name: 'o' }], managedFields: [{ manager: 'm' }] },
      kind: 'Notebook',
      apiVersion: 'kubeflow.org/v1',
    });
    expect(redaction).toBeUndefined();
    expect(Object.keys(object)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    expect(object.metadata).toEqual({ name: 'x', namespace: 'n', uid: 'u', finalizers: ['f'], ownerReferences: [{ name: 'o' }] });
  });

  it('keep a ConfigMap as it is', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { password: 'not-a-secret' } };
    expect(exportedObject(cm).object).toEqual(cm);
  });

  it('keep of a Secret its keys and type, and nothing of its values', () => {
    const value = 'hunter2-correct-horse';
    const b64 = Buffer.from(value).toString('base64');
    const { object, redaction } = exportedObject({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 's',
        namespace: 'n',
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': '{"data":{}}',
          'openshift.io/token-secret.value': 'x',
          'example.com/mirror': `prefix ${Buffer.from(value).toString('base64url')}`,
          'example.com/plain': 'kept',
        },
      },
      type: 'kubernetes.io/basic-auth',
      data: { password: b64, short: Buffer.from('1').toString('base64') },
      stringData: { extra: value },
    });
    expect(object.data).toEqual({ password: REDACTED_DATA, short: REDACTED_DATA });
    expect(object.stringData).toEqual({ extra: 'REDACTED' });
    expect(object.type).toBe('kubernetes.io/basic-auth');
    expect(object.metadata.annotations).toEqual({
      'kubectl.kubernetes.io/last-applied-configuration': 'REDACTED',
      'openshift.io/token-secret.value': 'REDACTED',
      'example.com/mirror': 'REDACTED',
      'example.com/plain': 'kept',
    });
    expect(redaction).toEqual({
      namespace: 'n',
      name: 's',
      type: 'kubernetes.io/basic-auth',
      keys: ['password', 'short', 'extra'],
      annotations: ['kubectl.kubernetes.io/last-applied-configuration', 'openshift.io/token-secret.value', 'example.com/mirror'],
    });
    const text = JSON.stringify(object);
    for (const form of [value, b64, Buffer.from(value).toString('base64url')]) expect(text).not.toContain(form);
    expect(REDACTED_DATA).toBe(Buffer.from('REDACTED').toString('base64'));
  });
});

describe('versions and file names', () => {
  it('tries versions as kubectl orders them', () => {
    expect(['v1alpha1', 'v1', 'v2beta1', 'v1beta2', 'v2', 'foo'].sort(byVersionPriority)).toEqual(['v2', 'v1', 'v2beta1', 'v1beta2', 'v1alpha1', 'foo']);
  });

  it('names files <group>_<Kind>.yaml, core for the core group', () => {
    expect(fileNameOf({ group: 'serving.kserve.io', kind: 'InferenceService' })).toBe('serving.kserve.io_InferenceService.yaml');
    expect(fileNameOf({ group: '', kind: 'Secret' })).toBe('core_Secret.yaml');
  });
});
