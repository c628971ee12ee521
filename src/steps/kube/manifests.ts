// Manifests for `apply`: inline objects, or a handlebars template file rendered with the step's
// vars (multi-document YAML). Template paths resolve against the runbook's folder first, then the
// templates/ folder shipped with runbook.
import { access, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { StepFailure } from '../../contract/errors.js';
import type { StepContext } from '../../contract/step-type.js';
import type { KubeObject } from '../../kube/types.js';
import { packageRoot } from '../../package-root.js';

const PACKAGE_TEMPLATES = join(packageRoot(), 'templates');

export async function loadManifests(ctx: StepContext, manifest: unknown, template: string | undefined, extra: Record<string, unknown> = {}): Promise<KubeObject[]> {
  const objects: unknown[] = [];
  if (manifest !== undefined) objects.push(...(Array.isArray(manifest) ? manifest : [manifest]));
  if (template) objects.push(...(await renderTemplateFile(ctx, template, extra)));
  return objects.map((o, i) => checkObject(o, i));
}

async function renderTemplateFile(ctx: StepContext, template: string, extra: Record<string, unknown>): Promise<unknown[]> {
  const candidates = [resolve(ctx.baseDir, template), resolve(PACKAGE_TEMPLATES, template)];
  let file: string | undefined;
  for (const c of candidates) {
    if (await access(c).then(() => true, () => false)) {
      file = c;
      break;
    }
  }
  if (!file) throw new StepFailure(`template not found: ${template}`, { hint: `looked in ${candidates.join(' and ')}` });
  let text: string;
  try {
    text = ctx.render(await readFile(file, 'utf8'), extra);
  } catch (err) {
    throw new StepFailure(`template ${template}: ${(err as Error).message}`, { hint: 'declare the variable, or pass it in the step vars' });
  }
  const docs = parseAllDocuments(text);
  const out: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new StepFailure(`template ${template} renders invalid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

function checkObject(o: unknown, index: number): KubeObject {
  const obj = o as Partial<KubeObject> | null;
  if (!obj || typeof obj !== 'object' || !obj.apiVersion || !obj.kind || !obj.metadata?.name && !obj.metadata?.generateName) {
    throw new StepFailure(`manifest ${index + 1} needs apiVersion, kind and metadata.name`);
  }
  return obj as KubeObject;
}
