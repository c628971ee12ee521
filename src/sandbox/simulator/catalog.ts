// What the simulated OLM knows of catalogs: the file-based catalog data per CatalogSource (built in,
// or a site's own), and what each operator runs once installed. The upgrade graph itself comes only
// from the catalog data (see ../catalog/); this file adds what a catalog does not carry: the name of
// the Deployment each operator's CSV installs (from each operator's bundle CSV), which the
// simulator starts as the operator's pod.
import { builtInCatalogs, DEFAULT_CATALOG_SOURCE } from '../catalog/load.js';
import type { Catalog, CatalogBundle, CatalogPackage } from '../catalog/fbc.js';

/** Deployment of each operator's CSV (install strategy), by package. Unknown packages run `<package>`. */
const OPERATOR_DEPLOYMENTS: Readonly<Record<string, string>> = {
  // red-hat-data-services/RHOAI-Build-Config bundle/manifests/rhods-operator.clusterserviceversion.yaml
  'rhods-operator': 'rhods-operator',
  'serverless-operator': 'knative-operator-webhook',
  servicemeshoperator: 'istio-operator',
  'authorino-operator': 'authorino-operator',
  'openshift-cert-manager-operator': 'cert-manager-operator-controller-manager',
  'rhcl-operator': 'kuadrant-operator-controller-manager',
  'leader-worker-set': 'openshift-lws-operator',
  'kueue-operator': 'openshift-kueue-operator',
  'job-set': 'jobset-operator',
};

export function operatorDeployment(pkg: string): string {
  return OPERATOR_DEPLOYMENTS[pkg] ?? pkg;
}

/** The catalogs by CatalogSource `namespace/name`; a site's own replace or add to the built-in ones. */
export class Catalogs {
  private readonly byRef: Map<string, Catalog>;

  constructor(extra: ReadonlyMap<string, Catalog> = new Map()) {
    this.byRef = new Map([...builtInCatalogs(), ...extra]);
  }

  /** The catalog a CatalogSource serves; one with no data of its own serves the built-in one. */
  forSource(namespace: string, name: string): Catalog | undefined {
    return this.byRef.get(`${namespace}/${name}`) ?? this.byRef.get(`${DEFAULT_CATALOG_SOURCE.namespace}/${DEFAULT_CATALOG_SOURCE.name}`);
  }

  /** The package and bundle a CSV name stands for, in any catalog. */
  bundle(csv: string): { pkg: CatalogPackage; bundle: CatalogBundle } | undefined {
    for (const catalog of this.byRef.values()) {
      for (const pkg of catalog.packages.values()) {
        const bundle = pkg.bundles.get(csv);
        if (bundle) return { pkg, bundle };
      }
    }
    return undefined;
  }

  /** The bundle of a package at a version, e.g. rhods-operator 2.25.4 → rhods-operator.2.25.4. */
  bundleOfVersion(packageName: string, version: string, source = DEFAULT_CATALOG_SOURCE): CatalogBundle | undefined {
    const pkg = this.forSource(source.namespace, source.name)?.packages.get(packageName);
    return pkg ? [...pkg.bundles.values()].find((b) => b.version === version) : undefined;
  }

  /** Versions a package has, for messages. */
  versions(packageName: string, source = DEFAULT_CATALOG_SOURCE): string[] {
    const pkg = this.forSource(source.namespace, source.name)?.packages.get(packageName);
    return pkg ? [...pkg.bundles.values()].map((b) => b.version) : [];
  }
}
