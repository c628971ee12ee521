// The simulated RHOAI operator's webhooks as functions: the DSC/DSCI v1 <-> v2 conversion of the
// 3.3 operator, the validating answers of 2.25 and 3.3, and the serving certificate.
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { reviewAdmission, validate } from '../../../src/sandbox/webhooks/admission.js';
import { convertObject, reviewConversion } from '../../../src/sandbox/webhooks/conversion.js';
import { selfSignedCertificate } from '../../../src/sandbox/webhooks/tls.js';

const meta = { name: 'default-dsc', uid: 'u1', resourceVersion: '7', generation: 3 };

describe('DSC conversion', () => {
  const v1 = {
    apiVersion: 'datasciencecluster.opendatahub.io/v1',
    kind: 'DataScienceCluster',
    metadata: meta,
    spec: {
      components: {
        datasciencepipelines: { managementState: 'Managed' },
        codeflare: { managementState: 'Managed' },
        modelmeshserving: { managementState: 'Removed' },
        kueue: { managementState: 'Unmanaged', defaultClusterQueueName: 'default' },
        ray: { managementState: 'Managed' },
      },
    },
    status: {
      phase: 'Ready',
      conditions: [{ type: 'DataSciencePipelinesReady', status: 'True' }, { type: 'Ready', status: 'True' }],
      installedComponents: { 'data-science-pipelines-operator': true },
      components: { datasciencepipelines: { managementState: 'Managed' }, codeflare: { managementState: 'Managed' } },
      release: { name: 'OpenShift AI Self-Managed', version: '2.25.4' },
    },
  };

  it('v1 -> v2: renames pipelines, drops codeflare and modelmeshserving, forces trainer and mlflowoperator Removed', () => {
    const v2 = convertObject(v1, 'datasciencecluster.opendatahub.io/v2') as typeof v1 & { spec: { components: Record<string, unknown> }; status: Record<string, unknown> };
    expect(v2.apiVersion).toBe('datasciencecluster.opendatahub.io/v2');
    expect(v2.metadata).toEqual(meta);
    expect(v2.spec.components).toEqual({
      aipipelines: { managementState: 'Managed' },
      kueue: { managementState: 'Unmanaged', defaultClusterQueueName: 'default' },
      ray: { managementState: 'Managed' },
      trainer: { managementState: 'Removed' },
      mlflowoperator: { managementState: 'Removed' },
    });
    expect(v2.status.conditions).toEqual([{ type: 'AIPipelinesReady', status: 'True' }, { type: 'Ready', status: 'True' }]);
    expect(v2.status).not.toHaveProperty('installedComponents');
    expect(v2.status.components).toEqual({ aipipelines: { managementState: 'Managed' }, trainer: { managementState: 'Removed' }, mlflowoperator: { managementState: 'Removed' } });
    expect(v2.status.release).toEqual(v1.status.release);
  });

  it('v2 -> v1: renames back, drops trainer and mlflowoperator, synthesises installedComponents', () => {
    const v2 = convertObject(v1, 'datasciencecluster.opendatahub.io/v2');
    (v2 as { spec: { components: Record<string, unknown> } }).spec.components.mlflowoperator = { managementState: 'Managed' };
    const back = convertObject(v2, 'datasciencecluster.opendatahub.io/v1') as { spec: { components: Record<string, unknown> }; status: Record<string, unknown> };
    expect(back.spec.components).toEqual({ datasciencepipelines: { managementState: 'Managed' }, kueue: v1.spec.components.kueue, ray: v1.spec.components.ray });
    expect(back.status.conditions).toEqual(v1.status.conditions);
    expect(back.status.installedComponents).toEqual({
      dashboard: false,
      'data-science-pipelines-operator': true,
      kserve: false,
      kueue: false,
      ray: false,
      trustyai: false,
      'model-registry-operator': false,
      trainingoperator: false,
      feastoperator: false,
      llamastackoperator: false,
      workbenches: false,
    });
  });

  it('answers a ConversionReview, leaving objects already at the desired version alone', () => {
    const v2 = convertObject(v1, 'datasciencecluster.opendatahub.io/v2');
    const review = reviewConversion({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', request: { uid: 'r1', desiredAPIVersion: 'datasciencecluster.opendatahub.io/v2', objects: [v1, v2] } });
    expect(review).toMatchObject({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', response: { uid: 'r1', result: { status: 'Success' } } });
    expect((review.response as { convertedObjects: unknown[] }).convertedObjects).toEqual([v2, v2]);
    const bad = reviewConversion({ request: { uid: 'r2', desiredAPIVersion: 'datasciencecluster.opendatahub.io/v3', objects: [v1] } });
    expect(bad.response).toMatchObject({ uid: 'r2', result: { status: 'Failure' } });
  });
});

describe('DSCI conversion', () => {
  it('drops serviceMesh and the v1-only devFlags going to v2; keeps the rest both ways', () => {
    const v1 = {
      apiVersion: 'dscinitialization.opendatahub.io/v1',
      kind: 'DSCInitialization',
      metadata: { name: 'dsci' },
      spec: {
        applicationsNamespace: 'my-apps',
        monitoring: { managementState: 'Managed', namespace: 'mon' },
        serviceMesh: { managementState: 'Removed' },
        trustedCABundle: { managementState: 'Managed', customCABundle: '' },
        devFlags: { logmode: 'production', manifestsUri: 'x', logLevel: 'debug' },
      },
      status: { phase: 'Ready', conditions: [{ type: 'Available', status: 'True' }] },
    };
    const v2 = convertObject(v1, 'dscinitialization.opendatahub.io/v2');
    expect(v2.spec).toEqual({ applicationsNamespace: 'my-apps', monitoring: v1.spec.monitoring, trustedCABundle: v1.spec.trustedCABundle, devFlags: { logLevel: 'debug' } });
    expect(v2.status).toEqual(v1.status);
    expect(convertObject(v2, 'dscinitialization.opendatahub.io/v1').spec).toEqual(v2.spec);
  });
});

describe('validating webhooks', () => {
  const count = (dscs: number, dscis: number) => async (kind: string) => (kind === 'DataScienceCluster' ? dscs : dscis);
  const dscReq = (version: string, operation: string, kueue?: string) => ({
    uid: 'a',
    kind: { group: 'datasciencecluster.opendatahub.io', version, kind: 'DataScienceCluster' },
    operation,
    object: { spec: { components: kueue ? { kueue: { managementState: kueue } } : {} } },
  });

  it('3.3 DSC v1: Kueue Managed refused on CREATE and UPDATE, then the singleton; v2 checks only the singleton', async () => {
    expect(await validate('/validate-datasciencecluster-v1', dscReq('v1', 'UPDATE', 'Managed'), count(1, 1))).toEqual({ allowed: false, code: 403, message: 'Managed is no longer supported as a managementState' });
    expect(await validate('/validate-datasciencecluster-v1', dscReq('v1', 'CREATE', 'Managed'), count(0, 1))).toMatchObject({ allowed: false, message: 'Managed is no longer supported as a managementState' });
    expect(await validate('/validate-datasciencecluster-v1', dscReq('v1', 'CREATE', 'Removed'), count(1, 1))).toMatchObject({ allowed: false, message: 'Only one instance of DataScienceCluster object is allowed' });
    expect(await validate('/validate-datasciencecluster-v1', dscReq('v1', 'UPDATE', 'Unmanaged'), count(1, 1))).toEqual({ allowed: true, code: 200, message: 'Operation UPDATE on DataScienceCluster v1 allowed' });
    expect(await validate('/validate-datasciencecluster-v2', dscReq('v2', 'CREATE', 'Managed'), count(0, 1))).toMatchObject({ allowed: true, message: 'Operation CREATE on DataScienceCluster v2 allowed' });
    expect(await validate('/validate-datasciencecluster-v2', dscReq('v2', 'CREATE'), count(1, 1))).toMatchObject({ allowed: false, message: 'Only one instance of DataScienceCluster object is allowed' });
  });

  it('DSCI: singleton on CREATE, DELETE refused while a DSC exists, with the version in the 3.3 text', async () => {
    const dsciReq = (version: string, operation: string) => ({ uid: 'b', kind: { group: 'dscinitialization.opendatahub.io', version, kind: 'DSCInitialization' }, operation });
    expect(await validate('/validate-dscinitialization-v2', dsciReq('v2', 'DELETE'), count(1, 1))).toMatchObject({ allowed: false, message: 'Cannot delete DSCInitialization v2 object when DataScienceCluster object still exists' });
    expect(await validate('/validate-dscinitialization-v1', dsciReq('v1', 'DELETE'), count(1, 1))).toMatchObject({ allowed: false, message: 'Cannot delete DSCInitialization v1 object when DataScienceCluster object still exists' });
    expect(await validate('/validate-dscinitialization', dsciReq('v1', 'DELETE'), count(1, 1))).toMatchObject({ allowed: false, message: 'Cannot delete DSCInitialization object when DataScienceCluster object still exists' });
    expect(await validate('/validate-dscinitialization-v1', dsciReq('v1', 'DELETE'), count(0, 1))).toMatchObject({ allowed: true });
    expect(await validate('/validate-dscinitialization-v1', dsciReq('v1', 'CREATE'), count(0, 1))).toMatchObject({ allowed: false, message: 'Only one instance of DSCInitialization object is allowed' });
  });

  it('shapes the AdmissionReview answer as controller-runtime does', async () => {
    const review = await reviewAdmission('/validate-datasciencecluster-v1', { request: dscReq('v1', 'UPDATE', 'Managed') }, count(1, 1));
    expect(review).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'a', allowed: false, status: { code: 403, reason: 'Forbidden', message: 'Managed is no longer supported as a managementState' } } });
    expect(await reviewAdmission('/nowhere', { request: {} }, count(0, 0))).toBeUndefined();
  });
});

describe('serving certificate', () => {
  it('is a self-signed CA valid for 127.0.0.1 and localhost', () => {
    const { cert, caBundle } = selfSignedCertificate();
    const x = new X509Certificate(cert);
    expect(x.ca).toBe(true);
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x.checkHost('localhost')).toBe('localhost');
    expect(x.verify(x.publicKey)).toBe(true);
    expect(new Date(x.validTo).getTime()).toBeGreaterThan(Date.now() + 300 * 86400_000);
    expect(Buffer.from(caBundle, 'base64').toString()).toBe(cert);
  });
});
