// A site's own CustomResourceDefinitions (`oc get crd -o yaml`, one file or a folder of them), to
// replace the sandbox's of the same name: the rehearsal then accepts and prunes exactly what the
// site's API server does. Other kinds in the folder are skipped with a notice; what only a server
// sets (metadata.uid…, status) is dropped; a conversion webhook that points at a Service of the
// site cannot be reached here and becomes None, with a notice.
import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { loadYaml, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { LineCounter, parseAllDocuments, stringify } from 'yaml';
import { InputError, type Problem } from '../../contract/errors.js';

export interface SiteCrds {
  crds: V1CustomResourceDefinition[];
  notices: string[];
}

type Plain = Record<string, unknown> & { kind?: unknown; apiVersion?: unknown; metadata?: Record<string, unknown>; spec?: Record<string, unknown> };

export async function loadSiteCrds(path: string): Promise<SiteCrds> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new InputError([{ message: `--crds ${path}: no such file or folder` }]);
  const files = info.isDirectory() ? (await readdir(path)).filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f))).sort().map((f) => join(path, f)) : [path];
  const problems: Problem[] = [];
  const notices: string[] = [];
  const crds: V1CustomResourceDefinition[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const lines = new LineCounter();
    const docs = parseAllDocuments(await readFile(file, 'utf8'), { lineCounter: lines, prettyErrors: false });
    for (const doc of Array.isArray(docs) ? docs : []) {
      const at = (offset: number): { file: string; line: number; column: number } => {
        const p = lines.linePos(offset);
        return { file, line: p.line, column: p.col };
      };
      if (doc.errors[0]) {
        problems.push({ message: `YAML syntax: ${doc.errors[0].message.split('\n')[0]}`, at: at(doc.errors[0].pos[0]) });
        continue;
      }
      const value = doc.toJS() as Plain | null;
      if (!value) continue;
      const start = doc.contents?.range?.[0] ?? 0;
      const items = value.kind === 'List' || value.kind === 'CustomResourceDefinitionList' ? ((value.items as Plain[] | undefined) ?? []) : [value];
      for (const item of items) {
        const where = at(start);
        if (item?.kind !== 'CustomResourceDefinition') {
          notices.push(`skipped ${String(item?.kind ?? 'a document without kind')} ${String(item?.metadata?.name ?? '')} at ${where.file}:${where.line}: not a CustomResourceDefinition`.replace('  ', ' '));
          continue;
        }
        const crd = cleaned(item, notices);
        const problem = checkCrd(crd);
        if (problem) {
          problems.push({ message: `CustomResourceDefinition ${String(crd.metadata?.name ?? '')}: ${problem}`, at: where, hint: 'give the CRD as `oc get crd NAME -o yaml` prints it' });
          continue;
        }
        const name = String(crd.metadata!.name);
        const first = seen.get(name);
        if (first) {
          problems.push({ message: `CustomResourceDefinition ${name} is given twice (first at ${first})`, at: where });
          continue;
        }
        seen.set(name, `${where.file}:${where.line}`);
        // Through client-node's own deserializer: its typed client drops keys it does not model.
        crds.push(loadYaml<V1CustomResourceDefinition>(stringify(crd)));
      }
    }
  }
  if (problems.length) throw new InputError(problems);
  return { crds, notices };
}

/** The site's CRDs replace the sandbox's of the same name; the others are added. */
export function withSiteCrds(own: readonly V1CustomResourceDefinition[], site: SiteCrds): { crds: V1CustomResourceDefinition[]; notices: string[] } {
  const byName = new Map(site.crds.map((c) => [c.metadata?.name ?? '', c]));
  const notices = [...site.notices];
  const crds = own.map((c) => {
    const replacement = byName.get(c.metadata?.name ?? '');
    if (!replacement) return c;
    byName.delete(c.metadata?.name ?? '');
    notices.push(`using the site's CustomResourceDefinition ${c.metadata?.name} in place of the sandbox's`);
    return replacement;
  });
  for (const extra of byName.values()) notices.push(`added the site's CustomResourceDefinition ${extra.metadata?.name}`);
  return { crds: [...crds, ...byName.values()], notices };
}

function cleaned(crd: Plain, notices: string[]): Plain {
  const metadata = crd.metadata ?? {};
  const annotations = { ...((metadata.annotations as Record<string, string> | undefined) ?? {}) };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  const spec = { ...(crd.spec ?? {}) };
  const conversion = spec.conversion as { strategy?: string; webhook?: { clientConfig?: { service?: { namespace?: string; name?: string } } } } | undefined;
  if (conversion?.strategy === 'Webhook') {
    const svc = conversion.webhook?.clientConfig?.service;
    notices.push(`${String(metadata.name)}: its conversion webhook (Service ${svc?.namespace ?? '?'}/${svc?.name ?? '?'}) is not reachable from the sandbox; versions convert as strategy None`);
    spec.conversion = { strategy: 'None' };
  }
  return {
    apiVersion: crd.apiVersion,
    kind: 'CustomResourceDefinition',
    metadata: { name: metadata.name, ...(metadata.labels ? { labels: metadata.labels } : {}), ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec,
  };
}

function checkCrd(crd: Plain): string | undefined {
  if (crd.apiVersion !== 'apiextensions.k8s.io/v1') return `apiVersion must be apiextensions.k8s.io/v1, not ${String(crd.apiVersion)}`;
  const spec = crd.spec as { group?: string; names?: { plural?: string }; versions?: { name?: string; storage?: boolean }[] } | undefined;
  if (!spec?.group || !spec.names?.plural) return 'spec.group and spec.names.plural are required';
  if (crd.metadata?.name !== `${spec.names.plural}.${spec.group}`) return `metadata.name must be ${spec.names.plural}.${spec.group}`;
  if (!Array.isArray(spec.versions) || spec.versions.filter((v) => v?.storage).length !== 1) return 'exactly one version must be the storage version';
  return undefined;
}
