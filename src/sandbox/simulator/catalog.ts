// The operator catalog the simulated OLM serves, as data: packages, channels and CSV versions
// (with replaces and skipRange, as the real bundles declare them), and what each operator runs.
// Versions of the RHOAI operator follow the guides: 2.25.0–2.25.5 on the 2.25 channels, 3.3.0–3.3.2
// on the 3.x channels, whose skipRange lets 2.25.x upgrade straight to 3.3.z.

export interface CatalogCsv {
  version: string;
  replaces?: string;
  skipRange?: string;
}

export interface CatalogPackage {
  name: string;
  displayName: string;
  /** Prefix of CSV names: `<prefix><version>`, e.g. rhods-operator. or servicemeshoperator.v */
  csvPrefix: string;
  defaultChannel: string;
  channels: Record<string, CatalogCsv[]>;
  /** The operator Deployment its CSV installs, in the subscription's namespace. */
  deployment: string;
  /** The namespace the product docs install it in. */
  suggestedNamespace: string;
}

function chain(versions: string[], prefix: string, skipRange?: (v: string) => string): CatalogCsv[] {
  return versions.map((version, i) => ({
    version,
    ...(i > 0 ? { replaces: `${prefix}${versions[i - 1]}` } : {}),
    ...(skipRange ? { skipRange: skipRange(version) } : {}),
  }));
}

const RHOAI_225 = ['2.25.0', '2.25.1', '2.25.2', '2.25.3', '2.25.4', '2.25.5'];
const RHOAI_33 = ['3.3.0', '3.3.1', '3.3.2'];
const rhoai33 = chain(RHOAI_33, 'rhods-operator.', (v) => `>=2.25.0 <${v}`);

export const CATALOG: readonly CatalogPackage[] = [
  {
    name: 'rhods-operator',
    displayName: 'Red Hat OpenShift AI',
    csvPrefix: 'rhods-operator.',
    defaultChannel: 'stable-3.x',
    channels: {
      'stable-2.25': chain(RHOAI_225, 'rhods-operator.'),
      'eus-2.25': chain(RHOAI_225, 'rhods-operator.'),
      'stable-3.3': rhoai33,
      'stable-3.x': rhoai33,
      'fast-3.x': rhoai33,
    },
    deployment: 'rhods-operator',
    suggestedNamespace: 'redhat-ods-operator',
  },
  {
    name: 'serverless-operator',
    displayName: 'Red Hat OpenShift Serverless',
    csvPrefix: 'serverless-operator.v',
    defaultChannel: 'stable',
    channels: { stable: chain(['1.35.1', '1.36.1'], 'serverless-operator.v') },
    deployment: 'knative-operator-webhook',
    suggestedNamespace: 'openshift-serverless',
  },
  {
    name: 'servicemeshoperator',
    displayName: 'Red Hat OpenShift Service Mesh 2',
    csvPrefix: 'servicemeshoperator.v',
    defaultChannel: 'stable',
    channels: { stable: chain(['2.6.7', '2.6.8'], 'servicemeshoperator.v') },
    deployment: 'istio-operator',
    suggestedNamespace: 'openshift-operators',
  },
  {
    name: 'authorino-operator',
    displayName: 'Authorino Operator',
    csvPrefix: 'authorino-operator.v',
    defaultChannel: 'stable',
    channels: { stable: chain(['1.1.3', '1.2.1'], 'authorino-operator.v') },
    deployment: 'authorino-operator',
    suggestedNamespace: 'openshift-operators',
  },
  {
    name: 'openshift-cert-manager-operator',
    displayName: 'cert-manager Operator for Red Hat OpenShift',
    csvPrefix: 'cert-manager-operator.v',
    defaultChannel: 'stable-v1',
    channels: { 'stable-v1': chain(['1.16.1', '1.17.0'], 'cert-manager-operator.v') },
    deployment: 'cert-manager-operator-controller-manager',
    suggestedNamespace: 'cert-manager-operator',
  },
  {
    name: 'rhcl-operator',
    displayName: 'Red Hat Connectivity Link',
    csvPrefix: 'rhcl-operator.v',
    defaultChannel: 'stable',
    channels: { stable: chain(['1.1.1', '1.2.0'], 'rhcl-operator.v') },
    deployment: 'kuadrant-operator-controller-manager',
    suggestedNamespace: 'kuadrant-system',
  },
  {
    name: 'leader-worker-set',
    displayName: 'Red Hat build of Leader Worker Set',
    csvPrefix: 'leader-worker-set.v',
    defaultChannel: 'stable-v1.0',
    channels: { 'stable-v1.0': chain(['1.0.0'], 'leader-worker-set.v') },
    deployment: 'openshift-lws-operator',
    suggestedNamespace: 'openshift-lws-operator',
  },
  {
    name: 'kueue-operator',
    displayName: 'Red Hat build of Kueue',
    csvPrefix: 'kueue-operator.v',
    defaultChannel: 'stable-v1.1',
    channels: { 'stable-v1.0': chain(['1.0.1'], 'kueue-operator.v'), 'stable-v1.1': chain(['1.1.0'], 'kueue-operator.v') },
    deployment: 'openshift-kueue-operator',
    suggestedNamespace: 'openshift-kueue-operator',
  },
  {
    name: 'job-set',
    displayName: 'Job Set Operator',
    csvPrefix: 'jobset-operator.v',
    defaultChannel: 'stable-v1.0',
    channels: { 'stable-v1.0': chain(['1.0.0'], 'jobset-operator.v') },
    deployment: 'jobset-operator',
    suggestedNamespace: 'openshift-jobset-operator',
  },
];

export function findPackage(name: string): CatalogPackage | undefined {
  return CATALOG.find((p) => p.name === name);
}

export function csvName(pkg: CatalogPackage, version: string): string {
  return `${pkg.csvPrefix}${version}`;
}

export function versionOfCsv(pkg: CatalogPackage, name: string): string | undefined {
  return name.startsWith(pkg.csvPrefix) ? name.slice(pkg.csvPrefix.length) : undefined;
}

/** The newest CSV of a channel: what OLM resolves a subscription to. */
export function channelHead(pkg: CatalogPackage, channel: string): CatalogCsv | undefined {
  const entries = pkg.channels[channel];
  return entries?.[entries.length - 1];
}
