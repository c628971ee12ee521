// The catalogs the simulated OLM resolves from. The built-in ones ship as file-based catalog data
// under src/sandbox/catalog/<catalog-source-name>/ (one file per package, as catalog repositories
// lay them out), read with the same reader as a site's own `opm render` output.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../contract/errors.js';
import { packageRoot } from '../../package-root.js';
import { parseCatalog, type Catalog } from './fbc.js';

/** The CatalogSource the built-in data stands for, as on every OpenShift cluster. */
export const DEFAULT_CATALOG_SOURCE = { name: 'redhat-operators', namespace: 'openshift-marketplace' } as const;

export function catalogDirectory(): string {
  return join(packageRoot(), 'src', 'sandbox', 'catalog');
}

/** Reads one catalog file (YAML documents or a JSON stream); bad input is an InputError with positions. */
export function loadCatalogFile(path: string, label = path): Catalog {
  const { catalog, problems } = parseCatalog(readFileSync(path, 'utf8'), label);
  if (problems.length > 0) throw new InputError(problems);
  return catalog;
}

/** Merges catalogs package by package: a later package of the same name replaces an earlier one. */
export function mergeCatalogs(source: string, parts: readonly Catalog[]): Catalog {
  const merged: Catalog = { source, packages: new Map() };
  for (const part of parts) for (const [name, pkg] of part.packages) merged.packages.set(name, pkg);
  return merged;
}

let builtIn: Map<string, Catalog> | undefined;

/** Built-in catalogs by CatalogSource `namespace/name`: every folder is one CatalogSource in openshift-marketplace. */
export function builtInCatalogs(): Map<string, Catalog> {
  if (builtIn) return builtIn;
  const root = catalogDirectory();
  const out = new Map<string, Catalog>();
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    if (!statSync(dir).isDirectory()) continue;
    const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
    const parts = files.map((f) => loadCatalogFile(join(dir, f), `src/sandbox/catalog/${name}/${f}`));
    out.set(`${DEFAULT_CATALOG_SOURCE.namespace}/${name}`, mergeCatalogs(`built-in ${name}`, parts));
  }
  return (builtIn = out);
}

/** `--catalog` as given: `NAME=FILE` for the CatalogSource NAME, or `FILE` for every one (`*`). */
export function parseCatalogSpec(spec: string): { source: string; file: string } {
  const eq = spec.indexOf('=');
  return eq > 0 && !spec.slice(0, eq).includes('/') ? { source: spec.slice(0, eq), file: spec.slice(eq + 1) } : { source: '*', file: spec };
}

