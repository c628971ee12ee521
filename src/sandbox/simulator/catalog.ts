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

/** A site's rendered catalog for one CatalogSource (by name), or for every one (`*`). */
export interface SiteCatalog {
  source: string;
  catalog: Catalog;
}

/**
 * The catalogs by CatalogSource. A site's own catalog serves the CatalogSource it is given for;
 * a package it does not hold (a site may render just rhods-operator) comes from the built-in data,
 * and `fallbacks` names those. A CatalogSource with no data of its own serves the built-in one.
 */
export class Catalogs {
  private readonly builtIn: Map<string, Catalog>;
  private readonly merged = new Map<string, { catalog: Catalog; fallbacks: string[] }>();

  constructor(private readonly site: readonly SiteCatalog[] = []) {
    this.builtIn = builtInCatalogs();
  }

  forSource(namespace: string, name: string): Catalog | undefined {
    return this.resolved(namespace, name)?.catalog;
  }

  /** Whether the site gave a catalog that serves this CatalogSource (by name, or for every one). */
  givenFor(name: string): boolean {
    return this.site.some((c) => c.source === name || c.source === '*');
  }

  /** Packages of a CatalogSource served from the built-in data although the site gave a catalog for it. */
  fallbacks(namespace: string, name: string): string[] {
    return this.resolved(namespace, name)?.fallbacks ?? [];
  }

  private resolved(namespace: string, name: string): { catalog: Catalog; fallbacks: string[] } | undefined {
    const key = `${namespace}/${name}`;
    const cached = this.merged.get(key);
    if (cached) return cached;
    const base = this.builtIn.get(key) ?? this.builtIn.get(`${DEFAULT_CATALOG_SOURCE.namespace}/${DEFAULT_CATALOG_SOURCE.name}`);
    const given = this.site.find((c) => c.source === name) ?? this.site.find((c) => c.source === '*');
    if (!given) return base ? { catalog: base, fallbacks: [] } : undefined;
    const packages = new Map(given.catalog.packages);
    const fallbacks: string[] = [];
    for (const [pkg, data] of base?.packages ?? []) {
      if (!packages.has(pkg)) {
        packages.set(pkg, data);
        fallbacks.push(pkg);
      }
    }
    const result = { catalog: { source: given.catalog.source, packages }, fallbacks };
    this.merged.set(key, result);
    return result;
  }

  /** Every catalog known: the site's first, so a site bundle of the same name wins. */
  private all(): Catalog[] {
    return [...this.site.map((c) => c.catalog), ...this.builtIn.values()];
  }

  /** The package and bundle a CSV name stands for, in any catalog. */
  bundle(csv: string): { pkg: CatalogPackage; bundle: CatalogBundle } | undefined {
    for (const catalog of this.all()) {
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
