// What installing a RHOAI release puts around the operator's own controllers, as OLM does from the
// bundle: the release's DSC/DSCI CRDs and the operator's webhooks (conversion and validating). The
// simulator runs the webhook server itself (../webhooks/server.ts) and registers it by URL.
//
// Order, as on a cluster (the operator pod serves before OLM points anything at it): the server
// listens first; then, for 3.3, the DSC and DSCI CRDs are replaced by the 3.3 ones (v1 + v2, v2
// storage, conversion Webhook to this server) and we wait until the API server serves v2 and
// converts; then the ValidatingWebhookConfigurations of 3.3 are registered and any of the other
// release removed (OLM deletes the webhooks of a replaced CSV).
// On 2.25 the CRDs are the base install's (../crds/opendatahub.yaml: v1 only, no conversion) and
// no validating webhook is registered (see registerValidating).
import type { KubeClient } from '../../kube/client.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/types.js';
import { type CountObjects, DSC_GROUP, DSCI_GROUP, type Release, VALIDATING_WEBHOOKS } from '../webhooks/admission.js';
import { startWebhookServer, type WebhookServer } from '../webhooks/server.js';
import { dataScienceClusterCrd33, dscInitializationCrd33 } from './rhoai-crds.js';
import type { SimRuntime } from './runtime.js';

const CRD = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };
const VWC = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration' };

/** The version the operator of a release works with (its storage version). */
export function hubVersion(release: Release): 'v1' | 'v2' {
  return release === '3.3' ? 'v2' : 'v1';
}

export class RhoaiPlatform {
  private server: WebhookServer | undefined;
  private starting: Promise<WebhookServer> | undefined;
  private applied: string | undefined;
  /** The version the webhooks list DSCs and DSCIs with: the storage version of the CRDs in place. */
  private listVersion: 'v1' | 'v2' = 'v1';

  constructor(private readonly rt: SimRuntime) {}

  /** Makes the cluster carry what the operator of `release` (its CSV) brings. Idempotent. */
  async ensure(release: Release, csv: { name: string; namespace: string }): Promise<void> {
    const key = `${release}/${csv.namespace}/${csv.name}`;
    if (this.applied === key) return;
    const server = await this.startServer();
    if (release === '3.3') {
      const endpoint = { url: `${server.url}/convert`, caBundle: server.caBundle };
      for (const crd of [dataScienceClusterCrd33(endpoint), dscInitializationCrd33(endpoint)]) await this.applyCrd(crd as unknown as KubeObject);
      await this.waitConverting();
      this.listVersion = 'v2';
    }
    await this.registerValidating(release, csv, server);
    this.applied = key;
    this.rt.log(`rhoai: ${release} CRDs and webhooks in place (webhooks at ${server.url})`);
  }

  /** Stops serving; the registrations stay (see ../webhooks/server.ts). */
  stop(): void {
    this.server?.close();
  }

  private startServer(): Promise<WebhookServer> {
    this.starting ??= startWebhookServer({ count: this.count, log: (m) => this.rt.log(`rhoai: ${m}`) }).then((s) => (this.server = s));
    return this.starting;
  }

  private readonly count: CountObjects = async (kind) => {
    const group = kind === 'DataScienceCluster' ? DSC_GROUP : DSCI_GROUP;
    return (await this.rt.kube.list({ apiVersion: `${group}/${this.listVersion}`, kind })).items.length;
  };

  private async applyCrd(crd: KubeObject): Promise<void> {
    const kube: KubeClient = this.rt.kube;
    const ref = { ...CRD, name: crd.metadata.name! };
    for (let attempt = 1; ; attempt++) {
      const live = await kube.get(ref);
      try {
        if (!live) await kube.create(crd);
        else await kube.replace({ ...crd, metadata: { ...crd.metadata, resourceVersion: live.metadata.resourceVersion } });
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= 5) throw err;
      }
    }
  }

  /** Until both DSC and DSCI are served as v1 and v2 with the new conversion in effect. */
  private async waitConverting(): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const problems: string[] = [];
      for (const [group, kind] of [[DSC_GROUP, 'DataScienceCluster'], [DSCI_GROUP, 'DSCInitialization']] as const) {
        for (const version of ['v1', 'v2']) {
          try {
            await this.rt.kube.list({ apiVersion: `${group}/${version}`, kind }, { signal: this.rt.signal });
          } catch (err) {
            problems.push(`${kind} ${version}: ${(err as Error).message}`);
          }
        }
      }
      if (problems.length === 0) return;
      if (Date.now() > deadline || this.rt.signal.aborted) throw new Error(`the 3.3 CRDs were not served after 15 s: ${problems.join('; ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async registerValidating(release: Release, csv: { name: string; namespace: string }, server: WebhookServer): Promise<void> {
    const kube = this.rt.kube;
    for (const other of Object.keys(VALIDATING_WEBHOOKS) as Release[]) {
      if (other === release) continue;
      for (const def of VALIDATING_WEBHOOKS[other]) {
        await kube.delete({ ...VWC, name: def.name }).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
      }
    }
    // The 2.25 webhooks (a second DSC or DSCI refused) are served but not registered: loading a
    // scenario over a running sandbox (bench/sandbox.ts, scenario/apply.ts) creates the default
    // DSC and DSCI again and counts on AlreadyExists, which a registered singleton webhook would turn
    // into a denial, as it does on a real cluster (admission runs before the existence check).
    for (const def of release === '2.25' ? [] : VALIDATING_WEBHOOKS[release]) {
      // OLM names the configuration after the webhookdefinition's generateName (plus a suffix).
      const desired: KubeObject = {
        ...VWC,
        metadata: {
          name: def.name,
          labels: { 'olm.owner': csv.name, 'olm.owner.kind': 'ClusterServiceVersion', 'olm.owner.namespace': csv.namespace, 'olm.webhook-description-generate-name': def.name },
        },
        webhooks: [
          {
            name: def.name,
            clientConfig: { url: `${server.url}${def.path}`, caBundle: server.caBundle },
            rules: [{ apiGroups: [def.group], apiVersions: def.versions, operations: def.operations, resources: [def.resource], scope: '*' }],
            failurePolicy: 'Fail',
            sideEffects: 'None',
            admissionReviewVersions: ['v1'],
            matchPolicy: release === '3.3' ? 'Exact' : 'Equivalent',
            timeoutSeconds: 10,
          },
        ],
      } as KubeObject;
      const live = await kube.get({ ...VWC, name: def.name });
      if (live) await kube.replace({ ...desired, metadata: { ...desired.metadata, resourceVersion: live.metadata.resourceVersion } });
      else await kube.create(desired);
    }
  }
}
