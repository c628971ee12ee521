// The services the steps declare: a step that needs the cluster gets the run's client, and says
// plainly that it needs one when the run has none.
import { describe, expect, it } from 'vitest';
import { StepFailure } from '../../../src/contract/errors.js';
import type { StepContext } from '../../../src/contract/step-type.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { kubeOf } from '../../../src/steps/services.js';

const context = (services: StepContext['services']): StepContext => ({ services }) as StepContext;

describe('kubeOf', () => {
  it('is the run client', () => {
    const kube = {} as KubeClient;
    expect(kubeOf(context({ kube }))).toBe(kube);
  });

  it('fails the step when the run has no cluster', () => {
    expect(() => kubeOf(context({}))).toThrow(StepFailure);
    expect(() => kubeOf(context({}))).toThrow('this step needs a Kubernetes cluster, and none is configured');
  });
});
