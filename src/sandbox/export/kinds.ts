// Which kinds `runbook sandbox export` reads: every kind the runbooks' steps read or write, as
// their types' `permissions()` state it (the same source as the permission preflight), plus the
// kinds an upgrade always looks at (OLM, ClusterVersion, the DSC and DSCI). Nothing here asks the
// cluster; export.ts maps the kinds through discovery.
import { InputError, type Problem } from '../../contract/errors.js';
import type { StepRegistry } from '../../contract/registry.js';
import { splitApiVersion } from '../../kube/types.js';
import { loadRunbook } from '../../runbook/loader.js';
import { walkNodes } from '../../runbook/plan-walk.js';
import type { Plan, PlanNode } from '../../runbook/types.js';
import { parseVarFlags, readVarsFile, resolveVars, type ResolvedVars } from '../../runbook/vars.js';
import { varsFromEnv } from '../../runbook/env-vars.js';
import { dedupeNotes, neededAccess } from '../../runbook/permission-needs.js';

/** Stands for a template that cannot be rendered before the run (a loop item, a registered value). */
export const UNRESOLVED = '\u0000unresolved\u0000';

export interface WantedKind {
  /** '' for the core group. */
  group: string;
  kind: string;
  /** The versions it is named with, in the order first seen. */
  versions: string[];
  /** Step ids that name it; empty for the kinds always read. */
  steps: string[];
  /** Why it is read although no step names it. */
  always?: string;
  /** Namespaces the steps name for it (rendered; templates known only at run time left out). */
  namespaces: string[];
  /** Some step names it without a namespace: the default namespace, if the kind is namespaced. */
  defaultNamespace: boolean;
  /** Object names the steps name (for CustomResourceDefinition: the CRDs read by name). */
  names: string[];
}

export interface RunbookKinds {
  runbooks: { file: string; name: string }[];
  kinds: WantedKind[];
  /** Steps whose kinds could not be known before the run, and why. */
  notes: { stepId: string; reason: string }[];
}

const OLM_V1ALPHA1 = 'operators.coreos.com/v1alpha1';

/** Read on every export: what the upgrade starts from, whether or not a step names it. */
export const ALWAYS: readonly { apiVersion: string; kind: string; why: string }[] = [
  { apiVersion: OLM_V1ALPHA1, kind: 'Subscription', why: 'OLM' },
  { apiVersion: OLM_V1ALPHA1, kind: 'ClusterServiceVersion', why: 'OLM' },
  { apiVersion: OLM_V1ALPHA1, kind: 'CatalogSource', why: 'OLM' },
  { apiVersion: OLM_V1ALPHA1, kind: 'InstallPlan', why: 'OLM' },
  { apiVersion: 'operators.coreos.com/v1', kind: 'OperatorGroup', why: 'OLM' },
  { apiVersion: 'config.openshift.io/v1', kind: 'ClusterVersion', why: 'the OpenShift version' },
  { apiVersion: 'datasciencecluster.opendatahub.io/v1', kind: 'DataScienceCluster', why: 'the OpenShift AI operator' },
  { apiVersion: 'dscinitialization.opendatahub.io/v1', kind: 'DSCInitialization', why: 'the OpenShift AI operator' },
  { apiVersion: 'v1', kind: 'Namespace', why: 'the namespaces of the exported objects' },
];

export interface VarFlags {
  var: string[];
  varsFile: string[];
}

export interface LoadedRunbook {
  file: string;
  plan: Plan;
  vars: ResolvedVars;
}

/**
 * Loads each runbook through the normal loader and resolves its vars. Var values (files, --var,
 * RUNBOOK_VAR_*) go to every runbook that declares them; a value no runbook declares is an error.
 */
export async function loadRunbooks(files: readonly string[], flags: VarFlags, registry: StepRegistry): Promise<LoadedRunbook[]> {
  const problems: Problem[] = [];
  const fromFiles: Record<string, unknown> = {};
  for (const f of flags.varsFile) {
    const r = await readVarsFile(f);
    problems.push(...r.problems);
    Object.assign(fromFiles, r.values);
  }
  const flagged = parseVarFlags(flags.var);
  problems.push(...flagged.problems);
  if (problems.length) throw new InputError(problems);
  const env = varsFromEnv();
  const given = { ...fromFiles, ...flagged.values };

  const out: LoadedRunbook[] = [];
  const declaredAnywhere = new Set<string>();
  for (const file of files) {
    const loaded = await loadRunbook(file, { registry, provided: { ...given, ...env } });
    if (!loaded.plan) throw new InputError(loaded.problems);
    const declared = new Set(loaded.plan.scopes['']!.vars.map((v) => v.name));
    for (const name of declared) declaredAnywhere.add(name);
    const own = Object.fromEntries(Object.entries({ ...fromFiles, ...env, ...flagged.values }).filter(([k]) => declared.has(k)));
    const resolved = resolveVars(loaded.plan, own);
    if (resolved.problems.length || !resolved.vars) throw new InputError(resolved.problems);
    out.push({ file, plan: loaded.plan, vars: resolved.vars });
  }
  const unknown = Object.keys(given).filter((k) => !declaredAnywhere.has(k));
  if (unknown.length) {
    throw new InputError(unknown.map((name) => ({ message: `unknown var "${name}": none of the runbooks declares it`, hint: `runbooks: ${files.join(', ')}` })));
  }
  return out;
}

/** The kinds the runbooks' steps read or write, plus the ones always read. */
export function kindsOf(runbooks: readonly LoadedRunbook[], registry: StepRegistry): RunbookKinds {
  const byKey = new Map<string, WantedKind>();
  const notes: RunbookKinds['notes'] = [];
  const want = (apiVersion: string, kind: string): WantedKind => {
    const { group, version } = splitApiVersion(apiVersion);
    const key = `${group}/${kind}`;
    let entry = byKey.get(key);
    if (!entry) {
      entry = { group, kind, versions: [], steps: [], namespaces: [], defaultNamespace: false, names: [] };
      byKey.set(key, entry);
    }
    if (!entry.versions.includes(version)) entry.versions.push(version);
    return entry;
  };
  const add = <T>(list: T[], value: T): void => {
    if (!list.includes(value)) list.push(value);
  };

  for (const { plan, vars } of runbooks) {
    const inputs = stepInputs(plan.sections.flatMap((s) => s.nodes));
    for (const step of neededAccess(plan, registry, vars, { unresolved: UNRESOLVED })) {
      if ('reason' in step) {
        notes.push({ stepId: step.stepId, reason: step.reason });
        continue;
      }
      for (const need of step.needs) {
        if (!need.apiVersion || !need.kind) {
          notes.push({ stepId: step.stepId, reason: `a need names no kind (${need.verb} ${need.resource ?? '?'}); not exported` });
          continue;
        }
        if (need.apiVersion.includes(UNRESOLVED) || need.kind.includes(UNRESOLVED)) {
          notes.push({ stepId: step.stepId, reason: 'its kind is a template known only at run time; not exported' });
          continue;
        }
        const entry = want(need.apiVersion, need.kind);
        add(entry.steps, step.stepId);
        if (need.namespace !== undefined) {
          if (!need.namespace.includes(UNRESOLVED) && need.namespace !== '') add(entry.namespaces, need.namespace);
        } else if (!need.allNamespaces) entry.defaultNamespace = true;
        if (need.name && !need.name.includes(UNRESOLVED)) add(entry.names, need.name);
      }
      // A step that writes objects given whole (a manifest, a template file) names their kinds only
      // once it renders them at run time; a step with nothing of the kind (an assertion on values
      // read earlier) talks to no cluster and is not worth a note.
      const input = inputs.get(step.stepId);
      if (step.needs.length === 0 && input && OBJECT_FIELDS.some((f) => f in input)) {
        notes.push({ stepId: step.stepId, reason: 'the objects it writes are known only at run time; their kinds are exported only when another step names them' });
      }
    }
  }
  for (const a of ALWAYS) {
    const entry = want(a.apiVersion, a.kind);
    if (entry.steps.length === 0) entry.always = a.why;
  }
  return {
    runbooks: runbooks.map((r) => ({ file: r.file, name: r.plan.name })),
    kinds: [...byKey.values()],
    notes: dedupeNotes(notes),
  };
}

/** Input fields that carry whole objects (apply's manifest and template, backup's objects). */
const OBJECT_FIELDS = ['manifest', 'template', 'objects'];

function stepInputs(nodes: readonly PlanNode[]): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const { node } of walkNodes(nodes)) {
    if (node.kind === 'step' && node.input && typeof node.input === 'object' && !Array.isArray(node.input)) out.set(node.id, node.input as Record<string, unknown>);
  }
  return out;
}
