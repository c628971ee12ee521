// The services the step types use, declared here by the steps that use them: whoever runs the
// engine fills them (the CLI, the tests' harnesses), and the contract itself names none, so the
// engine never imports them.
import { StepFailure } from '../contract/errors.js';
import type { StepContext } from '../contract/step-type.js';
import type { KubeClient } from '../kube/client.js';
import type { HttpRouting } from './http-routing.js';

declare module '../contract/step-type.js' {
  interface StepServices {
    /** The client of the run's cluster: every step under kube/ and olm/. */
    kube: KubeClient;
    /** Where `http` connects and which CAs it trusts beyond the system's. */
    http: HttpRouting;
  }
}

/** The run's Kubernetes client; a step that needs one fails without it. */
export function kubeOf(ctx: StepContext): KubeClient {
  const kube = ctx.services.kube;
  if (!kube) throw new StepFailure('this step needs a Kubernetes cluster, and none is configured');
  return kube;
}
