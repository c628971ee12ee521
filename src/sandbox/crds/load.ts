import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAllYaml, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { packageRoot } from '../../package-root.js';

// The YAML ships as data under src/sandbox/crds (see package.json "files") while this code runs
// from dist/ after tsc or from src/ under vitest, so the folder is found from the package root
// rather than from this file's own directory.
export function crdDirectory(): string {
  return join(packageRoot(), 'src', 'sandbox', 'crds');
}

/**
 * Every CustomResourceDefinition in the *.yaml files, in file then document order, as client-node
 * model objects. The conversion matters: the typed ApiextensionsV1Api serializes through the model,
 * so plain JSON keys such as `enum` or `x-kubernetes-preserve-unknown-fields` (model names `_enum`,
 * `x_kubernetes_preserve_unknown_fields`) would be dropped silently on the way to the API server.
 */
export async function loadCrds(): Promise<V1CustomResourceDefinition[]> {
  const dir = crdDirectory();
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  const crds: V1CustomResourceDefinition[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8');
    let docs: unknown[];
    try {
      docs = loadAllYaml(text);
    } catch (err) {
      throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    for (const value of docs) {
      if (value === null || value === undefined) continue;
      const crd = asCrd(value, file);
      const name = crd.metadata?.name ?? '';
      const previous = seen.get(name);
      if (previous !== undefined) throw new Error(`${file}: CRD ${name} is also defined in ${previous}`);
      seen.set(name, file);
      crds.push(crd);
    }
  }
  return crds;
}

// A light shape check so a typo fails here with the file name, not as a 400 from the API server.
function asCrd(value: unknown, file: string): V1CustomResourceDefinition {
  const v = value as Partial<V1CustomResourceDefinition>;
  if (v.kind !== 'CustomResourceDefinition' || v.apiVersion !== 'apiextensions.k8s.io/v1') {
    throw new Error(`${file}: expected an apiextensions.k8s.io/v1 CustomResourceDefinition, got ${String(v.apiVersion)} ${String(v.kind)}`);
  }
  const spec = v.spec;
  const name = v.metadata?.name;
  if (!spec || !name) throw new Error(`${file}: CustomResourceDefinition without metadata.name or spec`);
  if (name !== `${spec.names.plural}.${spec.group}`) {
    throw new Error(`${file}: CRD name ${name} must be <plural>.<group> = ${spec.names.plural}.${spec.group}`);
  }
  if (spec.versions.filter((ver) => ver.storage).length !== 1) throw new Error(`${file}: ${name} needs exactly one storage version`);
  return v as V1CustomResourceDefinition;
}
