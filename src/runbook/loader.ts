// Loads a runbook file and everything it imports into a Plan: ordered sections of steps with stable
// ids. Every problem is collected with its file:line:column, so one pass reports them all.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import type { Problem, SourcePosition } from '../contract/errors.js';
import type { StepRegistry } from '../contract/registry.js';
import type { JsonSchema } from '../contract/step-type.js';
import { packageRoot } from '../package-root.js';
import { checkExpressionNames, type PendingExpression } from './expression-check.js';
import { functionNames, syntaxError, unknownFunction } from './expressions.js';
import { COMMON_STEP_FIELDS, DEFAULT_BACKOFF, RUNBOOK_SPEC, STRUCTURE_FIELDS, parseDuration } from './format.js';
import { IdAllocator } from './ids.js';
import { inFileOrder } from './problems.js';
import { checkAgainstSchema } from './schema-check.js';
import { positionOf, positionWithin, readSource, type SourceFile, type YamlPath } from './source.js';
import { classifyStep, notAMapping, type Shape } from './step-shape.js';
import { didYouMean, suggestion } from './suggest.js';
import { isTemplate } from './template.js';
import { checkTemplates, type PendingTemplate, type ScopeNames } from './template-check.js';
import { API_VERSION, type AppliedOverlay, type CommonFields, type Plan, type PlanNode, type RunbookNote, type Section, type VarScope, type VarSpec } from './types.js';
import { findNode, markSkipped, stepIds } from './overlays.js';
import { checkRegisterFlow } from './flow-check.js';
import { checkGuideRefs, readNotes, sourceIds, type GuideRef } from './guide-refs.js';
import { helperNameProblem, readVarSpecs } from './var-specs.js';

export interface LoadOptions {
  registry: StepRegistry;
  /** Values given for the root runbook's vars; used to report missing required vars. */
  provided?: Record<string, unknown>;
}

export interface LoadResult {
  plan?: Plan;
  problems: Problem[];
}

interface BuildContext {
  source: SourceFile;
  baseDir: string;
  scope: string;
  parentId: string;
  loopVars: readonly string[];
  /** Absolute paths of the files being imported, for cycle detection. */
  chain: readonly string[];
}

interface RawSection {
  name: string;
  description?: string;
  source?: unknown;
  steps?: unknown[];
}

interface RawRunbook {
  metadata?: { name?: string; description?: string };
  vars?: Record<string, Record<string, unknown>>;
  imports?: { file: string; vars?: Record<string, unknown> }[];
  sections?: RawSection[];
  overlays?: RawOverlay[];
  followUps?: unknown[];
  guides?: string[];
}

interface RawOverlay {
  before?: string;
  after?: string;
  replace?: string;
  skip?: string;
  reason?: string;
  steps?: unknown[];
}

// Schemas for parts of a step node, checked in place so messages name fields as written. Module
// constants: the schema checker caches compiled validators per schema object.
const COMMON_NODE: JsonSchema = { type: 'object', required: ['name'], properties: COMMON_STEP_FIELDS };
const IMPORT_NODE: JsonSchema = {
  type: 'object',
  properties: { import: STRUCTURE_FIELDS.import!, vars: STRUCTURE_FIELDS.vars! },
};
const FOR_EACH_NODE: JsonSchema = { type: 'object', properties: { forEach: STRUCTURE_FIELDS.forEach! } };

/**
 * An import path: relative to the importing file, or `runbook:NAME` for a runbook shipped with
 * runbook (runbook:upgrade-2.25-to-3.3.yaml), so a site's runbook follows the installed release.
 */
export const SHIPPED_PREFIX = 'runbook:';

function resolveImport(baseDir: string, written: string): string {
  return written.startsWith(SHIPPED_PREFIX) ? join(packageRoot(), 'runbooks', written.slice(SHIPPED_PREFIX.length)) : resolve(baseDir, written);
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const RUNBOOK_START = `a runbook is a mapping that starts with apiVersion: ${API_VERSION}, kind: Runbook and metadata: { name: ... }`;

function notARunbook(source: SourceFile): Problem {
  const v = source.value;
  const at = { file: source.file, line: 1, column: 1 };
  if (v === null || v === undefined) return { message: 'the file is empty', hint: RUNBOOK_START, at };
  const what = Array.isArray(v) ? 'a list' : `a ${typeof v}`;
  return {
    message: `the file holds ${what}, not a runbook`,
    hint: `${RUNBOOK_START}${Array.isArray(v) ? '; steps go under sections: - name: ... steps:' : ''}`,
    at: positionOf(source, []),
  };
}

/**
 * Whether a file that failed the format check can still be walked for more problems: only the
 * parts the loader reads (vars, imports, sections) need the right shape.
 */
function hasUsableShape(value: unknown): boolean {
  if (!isMapping(value)) return false;
  const { vars, imports, sections } = value;
  if (vars !== undefined && !(isMapping(vars) && Object.values(vars).every(isMapping))) return false;
  if (imports !== undefined && !(Array.isArray(imports) && imports.every((i) => isMapping(i) && typeof i.file === 'string' && (i.vars === undefined || isMapping(i.vars))))) {
    return false;
  }
  if (sections !== undefined) {
    if (!Array.isArray(sections)) return false;
    return sections.every((s) => isMapping(s) && typeof s.name === 'string' && (s.steps === undefined || Array.isArray(s.steps)));
  }
  return true;
}

export async function loadRunbook(file: string, options: LoadOptions): Promise<LoadResult> {
  return new Loader(options).load(resolve(file));
}

class Loader {
  private readonly problems: Problem[] = [];
  private readonly ids = new IdAllocator();
  private readonly scopes: Record<string, VarScope> = {};
  private readonly registers = new Set<string>();
  private readonly templates: PendingTemplate[] = [];
  private readonly expressions: PendingExpression[] = [];
  private readonly sources = new Map<string, SourceFile | null>();
  /** Where each id was taken, to say where a duplicate was first used. */
  private readonly idSites = new Map<string, { at: SourcePosition; name: string }>();
  /** Where each imported scope was imported: its unbound required vars are reported there. */
  private readonly importSites = new Map<string, SourcePosition>();
  private rootDir = '';
  /** Every `source:` written, checked against the shipped guide items once the plan is built. */
  private readonly guideRefs: GuideRef[] = [];
  private readonly followUps: RunbookNote[] = [];
  private readonly signOffs: RunbookNote[] = [];
  private readonly sectionSources = new Map<string, string[]>();

  constructor(private readonly options: LoadOptions) {}

  async load(file: string): Promise<LoadResult> {
    this.rootDir = dirname(file);
    const source = await this.read(file, undefined);
    if (!source) return { problems: inFileOrder(this.problems) };
    const raw = source.value as RawRunbook;
    this.scopes[''] = { id: '', file, vars: this.readVars(source, raw), bindings: {} };
    this.readNotesOf(source);
    const sections = await this.buildSections(source, raw, { scope: '', parentId: '', chain: [file] });
    const overlays = await this.applyOverlays(source, raw, sections);
    this.checkRequiredVars();
    const names: ScopeNames = {
      varNames: (scope) => this.varNames(scope),
      parentOf: (scope) => this.scopes[scope]?.parent,
      registers: this.registers,
    };
    this.problems.push(...checkTemplates(this.templates, names), ...checkExpressionNames(this.expressions, names));
    this.problems.push(...(await checkGuideRefs(this.guideRefs)));
    if (this.problems.length > 0) return { problems: inFileOrder(this.problems) };
    for (const section of sections) {
      const ids = this.sectionSources.get(section.name);
      if (ids?.length) section.source = [...new Set(ids)];
    }
    const plan: Plan = {
      name: raw.metadata?.name ?? basename(file, extname(file)),
      description: raw.metadata?.description,
      file,
      digest: digest(sections.map((s) => ({ name: s.name, nodes: s.nodes.map((n) => n.digest) }))),
      sections,
      scopes: this.scopes,
      followUps: this.followUps,
      signOffs: this.signOffs,
      ...(raw.guides?.length ? { guides: raw.guides } : {}),
      ...(overlays.length ? { overlays } : {}),
    };
    const flow = checkRegisterFlow(plan, this.options.registry);
    if (flow.length) return { problems: inFileOrder(flow) };
    return { plan, problems: [] };
  }

  /**
   * The run runbook's overlays, in order, on the plan its sections and imports make: each finds its
   * step by id (an id that does not exist is an error with a suggestion) and adds the site's steps
   * beside it, in its place, or marks it skipped. Site steps are built in the root scope, with the
   * loop variables in force where they land.
   */
  private async applyOverlays(source: SourceFile, raw: RawRunbook, sections: Section[]): Promise<AppliedOverlay[]> {
    const applied: AppliedOverlay[] = [];
    for (const [i, o] of (raw.overlays ?? []).entries()) {
      if (!o || typeof o !== 'object' || Array.isArray(o)) continue; // The format check reported it.
      const op = (['before', 'after', 'replace', 'skip'] as const).find((k) => typeof o[k] === 'string');
      if (!op) continue;
      const target = o[op]!;
      const at = positionOf(source, ['overlays', i]);
      const site = findNode(sections, target);
      if (!site) {
        this.problems.push({
          message: `overlay ${op}: no step has the id "${target}"`,
          hint: suggestion(target, stepIds(sections), 'runbook validate FILE --list-steps prints every step id'),
          at: positionOf(source, ['overlays', i, op]),
        });
        continue;
      }
      const record: AppliedOverlay = { op, target, at, ...(o.reason ? { reason: o.reason } : {}), added: [] };
      applied.push(record);
      if (op === 'skip') {
        markSkipped(site.node, `skipped by the overlay at ${this.display(at.file)}:${at.line}${o.reason ? `: ${o.reason}` : ''}`);
        continue;
      }
      if (!Array.isArray(o.steps)) continue;
      const nodes = await this.buildNodes(o.steps, ['overlays', i, 'steps'], {
        source,
        baseDir: dirname(source.file),
        scope: '',
        parentId: site.parentId,
        loopVars: site.loopVars,
        chain: [source.file],
      });
      for (const n of nodes) n.overlay = record;
      record.added = nodes.map((n) => n.id);
      const index = site.list.indexOf(site.node);
      if (op === 'before') site.list.splice(index, 0, ...nodes);
      else if (op === 'after') site.list.splice(index + 1, 0, ...nodes);
      else site.list.splice(index, 1, ...nodes);
    }
    return applied;
  }

  /** A file's name for messages: relative to the root runbook, which is how imports are written. */
  private display(file: string): string {
    return relative(this.rootDir, file) || basename(file);
  }

  private async read(
    file: string,
    importedAt: { at: SourcePosition; written: string } | undefined,
  ): Promise<SourceFile | undefined> {
    if (this.sources.has(file)) return this.sources.get(file) ?? undefined;
    const { source, problems } = await readSource(file);
    if (!source && importedAt && problems.every((p) => !p.at)) {
      // The file itself has no line to show; the import that names it does.
      this.problems.push({
        message: `import "${importedAt.written}": ${problems[0]?.message.replace(/: .*$/, '') ?? 'cannot read'}`,
        hint: `import paths are relative to the importing file; looked for ${this.display(file)}`,
        at: importedAt.at,
      });
    } else {
      this.problems.push(...problems);
    }
    if (!source) {
      this.sources.set(file, null);
      return undefined;
    }
    if (!isMapping(source.value)) {
      // Nothing else can be said about a file that is not a runbook at all.
      this.problems.push(notARunbook(source));
      this.sources.set(file, null);
      return undefined;
    }
    const kind = source.value.kind;
    if (typeof kind === 'string' && kind !== 'Runbook') {
      // Another kind of document (a scenario, a Kubernetes manifest): its fields are no mistakes.
      this.problems.push({
        message: `the file is a ${kind}, not a Runbook`,
        hint: `a runbook has kind: Runbook; check that this is the file you meant`,
        at: positionOf(source, ['kind']),
      });
      this.sources.set(file, null);
      return undefined;
    }
    const structural = checkAgainstSchema(source.value, RUNBOOK_SPEC, source, [], { subject: 'runbook' });
    this.problems.push(...structural);
    // Problems outside the file's shape (a misspelt top-level field, a bad name) leave it usable:
    // keep going, so one pass reports the rest too.
    const ok = problems.length === 0 && (structural.length === 0 || hasUsableShape(source.value));
    this.sources.set(file, ok ? source : null);
    return ok ? source : undefined;
  }

  /** The vars a file declares; templated defaults are checked with the other templates. */
  private readVars(source: SourceFile, raw: RawRunbook): VarSpec[] {
    const { specs, problems, defaults } = readVarSpecs(source, raw.vars ?? {});
    this.problems.push(...problems);
    for (const d of defaults) {
      this.templates.push({ text: d.text, scope: '', known: d.known, loopVars: [], source, path: d.path, subject: `var "${d.name}"` });
    }
    return specs;
  }

  private async buildSections(
    source: SourceFile,
    raw: RawRunbook,
    ctx: Omit<BuildContext, 'source' | 'baseDir' | 'loopVars'>,
  ): Promise<Section[]> {
    const baseDir = dirname(source.file);
    const sections: Section[] = [];
    const byName = new Map<string, Section>();
    const sectionFor = (name: string, description?: string): Section => {
      let s = byName.get(name);
      if (!s) {
        s = { name, description, nodes: [] };
        byName.set(name, s);
        sections.push(s);
      }
      return s;
    };
    for (const s of raw.sections ?? []) sectionFor(s.name, s.description);

    await this.mergeImports(source, raw, ctx, sectionFor);

    for (const [i, s] of (raw.sections ?? []).entries()) {
      this.readSectionSource(source, s, i);
      const parentId = ctx.parentId ? `${ctx.parentId}/${s.name}` : s.name;
      const nodes = await this.buildNodes(s.steps ?? [], ['sections', i, 'steps'], {
        source,
        baseDir,
        scope: ctx.scope,
        parentId,
        loopVars: [],
        chain: ctx.chain,
      });
      sectionFor(s.name).nodes.push(...nodes);
    }
    return sections;
  }

  /**
   * Top-level imports merge their sections into ours by name, before our own steps; an imported
   * file's own top-level imports are merged the same way, before its steps.
   */
  private async mergeImports(
    source: SourceFile,
    raw: RawRunbook,
    ctx: Omit<BuildContext, 'source' | 'baseDir' | 'loopVars'>,
    sectionFor: (name: string, description?: string) => Section,
  ): Promise<void> {
    for (const [i, imp] of (raw.imports ?? []).entries()) {
      const at = positionOf(source, ['imports', i, 'file']);
      const file = resolveImport(dirname(source.file), imp.file);
      const written = imp.file.startsWith(SHIPPED_PREFIX) ? imp.file.slice(SHIPPED_PREFIX.length) : imp.file;
      const stem = basename(written, extname(written));
      const imported = await this.importFile(file, imp.file, at, { ...ctx, source }, imp.vars ?? {}, ['imports', i, 'vars']);
      if (!imported) continue;
      const chain = [...ctx.chain, file];
      await this.mergeImports(imported.source, imported.raw, { ...ctx, scope: imported.scope, chain }, sectionFor);
      for (const [si, s] of (imported.raw.sections ?? []).entries()) {
        this.readSectionSource(imported.source, s, si);
        const nodes = await this.buildNodes(s.steps ?? [], ['sections', si, 'steps'], {
          source: imported.source,
          baseDir: dirname(file),
          scope: imported.scope,
          parentId: ctx.parentId ? `${ctx.parentId}/${s.name}/${stem}` : `${s.name}/${stem}`,
          loopVars: [],
          chain,
        });
        sectionFor(s.name, s.description).nodes.push(...nodes);
      }
    }
  }

  /** Loads an imported file as a new var scope bound by `bindings`. */
  private async importFile(
    file: string,
    written: string,
    at: SourcePosition,
    ctx: Omit<BuildContext, 'baseDir' | 'loopVars'> & { loopVars?: readonly string[] },
    bindings: Record<string, unknown>,
    bindingsPath: YamlPath,
    scopeId = `${ctx.scope ? ctx.scope + '>' : ''}${relative(this.rootDir, file)}`,
  ): Promise<{ source: SourceFile; raw: RawRunbook; scope: string } | undefined> {
    if (ctx.chain.includes(file)) {
      const cycle = [...ctx.chain.slice(ctx.chain.indexOf(file)), file].map((f) => this.display(f)).join(' → ');
      this.problems.push({
        message: `import cycle: ${cycle}`,
        hint: 'a runbook may not import itself, directly or through other files; move the shared steps into a file both import',
        at,
      });
      return undefined;
    }
    const source = await this.read(file, { at, written });
    if (!source) return undefined;
    const raw = source.value as RawRunbook;
    let id = scopeId;
    for (let n = 2; this.scopes[id]; n++) id = `${scopeId}#${n}`;
    const vars = this.readVars(source, raw);
    this.readNotesOf(source);
    const path = relative(this.rootDir, file);
    const qualifiers = [...new Set([raw.metadata?.name, path.slice(0, path.length - extname(path).length), path].filter((q): q is string => typeof q === 'string' && q !== ''))];
    this.scopes[id] = { id, file, vars, bindings, parent: ctx.scope, qualifiers };
    this.importSites.set(id, at);
    const declared = vars.map((v) => v.name);
    for (const [name, value] of Object.entries(bindings)) {
      if (!declared.includes(name)) {
        this.problems.push({
          message: `import of ${this.display(file)}: it declares no var "${name}"`,
          hint: declared.length ? suggestion(name, declared, `Its vars: ${declared.join(', ')}`) : 'that runbook declares no vars',
          at: positionOf(ctx.source, [...bindingsPath, name], true),
        });
      }
      if (isTemplate(value)) {
        // Bindings are rendered once, before the run, with the importer's vars only: no registered
        // outputs or loop variables exist yet (loopVars is kept for the hint only).
        this.templates.push({
          text: value,
          scope: ctx.scope,
          known: [...this.varNames(ctx.scope)],
          loopVars: ctx.loopVars ?? [],
          source: ctx.source,
          path: [...bindingsPath, name],
          subject: `import binding "${name}"`,
        });
      }
    }
    return { source, raw, scope: id };
  }

  private async buildNodes(steps: unknown[], path: YamlPath, ctx: BuildContext): Promise<PlanNode[]> {
    const nodes: PlanNode[] = [];
    for (const [i, raw] of steps.entries()) {
      const node = await this.buildNode(raw, [...path, i], ctx);
      if (node) nodes.push(node);
    }
    return nodes;
  }

  private async buildNode(raw: unknown, path: YamlPath, ctx: BuildContext): Promise<PlanNode | undefined> {
    const { source } = ctx;
    const at = positionOf(source, path);
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      this.problems.push(notAMapping(raw, this.options.registry.names(), at));
      return undefined;
    }
    const step = raw as Record<string, unknown>;
    const label = typeof step.name === 'string' ? `step "${step.name}"` : 'step';
    const before = this.problems.length;

    // Shape, common fields and contents are each checked even when another part is wrong, so one
    // pass reports every problem; the node is built only when none was found.
    const { shape, problems: shapeProblems } = classifyStep(step, path, label, source, this.options.registry);
    this.problems.push(...shapeProblems);
    const common = this.readCommon(step, path, label, ctx);
    const id = this.allocateId(step, common?.name, path, ctx);
    if (!shape) return undefined;
    const built = await this.buildShape(shape, step, path, label, ctx, id);
    if (!built || !common || this.problems.length > before) return undefined;
    const base = { ...common, id, at, scope: ctx.scope };
    if (built.kind === 'step') {
      return { ...base, kind: 'step', type: built.type, input: built.input, digest: digest({ typeName: built.type, input: built.input, common }) };
    }
    if (built.kind === 'forEach') {
      const { forEach: fe } = built;
      const childDigests = built.children.map((c) => c.digest);
      return {
        ...base,
        kind: 'forEach',
        items: fe.items,
        as: fe.as ?? 'item',
        key: fe.key,
        concurrency: fe.concurrency ?? 1,
        children: built.children,
        digest: digest({ common, forEach: fe, children: childDigests }),
      };
    }
    const children = built.kind === 'import' ? built.sections(base) : built.children;
    return { ...base, kind: 'group', children, digest: digest({ common, children: children.map((c) => c.digest) }) };
  }

  /** Checks (and builds the parts of) a node of a known shape. */
  private async buildShape(
    shape: Shape,
    step: Record<string, unknown>,
    path: YamlPath,
    label: string,
    ctx: BuildContext,
    id: string,
  ): Promise<BuiltShape | undefined> {
    const { source } = ctx;
    if (shape.kind === 'step') {
      const type = this.options.registry.get(shape.type)!;
      const input = step[shape.type];
      const subject = `${label} (${shape.type})`;
      this.problems.push(
        ...checkAgainstSchema(input, type.input, source, [...path, shape.type], {
          subject,
          // A template is rendered at run time; its type is checked then.
          ignore: (_p, value) => isTemplate(value),
        }),
      );
      this.checkFileFields(input, type.fileFields ?? [], [...path, shape.type], subject, ctx);
      const exprFields = new Set(type.expressionFields ?? []);
      this.collectExpressionsAndTemplates(input, [...path, shape.type], exprFields, type.rawFields ?? [], subject, ctx);
      return { kind: 'step', type: shape.type, input };
    }

    if (shape.kind === 'import') {
      const structural = checkAgainstSchema(step, IMPORT_NODE, source, path, { subject: label });
      this.problems.push(...structural);
      if (structural.length) return undefined;
      const written = step.import as string;
      const file = resolveImport(ctx.baseDir, written);
      const bindings = (step.vars as Record<string, unknown> | undefined) ?? {};
      const imported = await this.importFile(file, written, positionOf(source, [...path, 'import']), ctx, bindings, [...path, 'vars'], id);
      if (!imported) return undefined;
      const importedSections = imported.raw.sections ?? [];
      const single = importedSections.length === 1;
      const perSection: { section: RawSection; id: string; nodes: PlanNode[] }[] = [];
      for (const [si, s] of importedSections.entries()) {
        // One section is inlined; several become one group each, named after the section.
        const sectionId = single ? id : this.ids.derive(id, s.name);
        const nodes = await this.buildNodes(s.steps ?? [], ['sections', si, 'steps'], {
          source: imported.source,
          baseDir: dirname(file),
          scope: imported.scope,
          parentId: sectionId,
          loopVars: ctx.loopVars,
          chain: [...ctx.chain, file],
        });
        perSection.push({ section: s, id: sectionId, nodes });
      }
      return {
        kind: 'import',
        sections: (base) =>
          single
            ? perSection[0]!.nodes
            : perSection.map(({ section, id: groupId, nodes }) => ({
                ...base,
                ...defaultsOf(section.name),
                id: groupId,
                kind: 'group' as const,
                description: section.description,
                children: nodes,
                scope: imported.scope,
                digest: digest(nodes.map((n) => n.digest)),
              })),
      };
    }

    const childSteps = step.steps;
    if (!Array.isArray(childSteps) || childSteps.length === 0) {
      this.problems.push({
        message: `${label}: "steps" must be a non-empty list of steps`,
        hint:
          shape.kind === 'forEach'
            ? 'list the steps to run for each item under "steps"'
            : 'list the steps of the group under "steps", or remove the group',
        at: positionOf(source, [...path, 'steps']),
      });
      return undefined;
    }
    if (shape.kind === 'forEach') {
      // Checked inside its parent, so messages name "forEach.as" rather than a bare "as".
      const structural = checkAgainstSchema({ forEach: step.forEach }, FOR_EACH_NODE, source, path, { subject: label });
      this.problems.push(...structural);
      const fe = (step.forEach ?? {}) as ForEachSpec;
      const as = typeof fe.as === 'string' ? fe.as : 'item';
      const taken = helperNameProblem(as, 'forEach.as', positionOf(source, [...path, 'forEach', 'as']));
      if (taken) this.problems.push(taken);
      if (typeof fe.items === 'string' && !isTemplate(fe.items)) {
        this.checkExpression(fe.items, [...path, 'forEach', 'items'], label, source, { ctx });
      } else {
        this.collectExpressionsAndTemplates(fe.items, [...path, 'forEach', 'items'], new Set(), [], label, ctx);
      }
      if (typeof fe.key === 'string') this.checkExpression(fe.key, [...path, 'forEach', 'key'], label, source, { ctx, extra: [as] });
      const children = await this.buildNodes(childSteps, [...path, 'steps'], { ...ctx, parentId: id, loopVars: [...ctx.loopVars, as] });
      return structural.length ? undefined : { kind: 'forEach', forEach: fe, children };
    }
    const children = await this.buildNodes(childSteps, [...path, 'steps'], { ...ctx, parentId: id });
    return { kind: 'group', children };
  }

  /** A node's `source:` as ids, each remembered with its place to be checked against the guide items. */
  private readSource(source: SourceFile, value: unknown, path: YamlPath): { source?: string[] } {
    const ids = sourceIds(value);
    if (!ids) return {};
    for (const [i, id] of ids.entries()) this.guideRefs.push({ id, at: positionOf(source, typeof value === 'string' ? path : [...path, i]) });
    return { source: ids };
  }

  private readSectionSource(source: SourceFile, section: RawSection, index: number): void {
    const read = this.readSource(source, section.source, ['sections', index, 'source']).source;
    if (read) this.sectionSources.set(section.name, [...(this.sectionSources.get(section.name) ?? []), ...read]);
  }

  /** Follow-ups and sign-offs of every file, the imported ones included, each said once. */
  private readNotesOf(source: SourceFile): void {
    for (const [key, into] of [['followUps', this.followUps], ['signOffs', this.signOffs]] as const) {
      for (const { note, refs } of readNotes(source, key)) {
        this.guideRefs.push(...refs);
        const same = into.find((n) => n.text === note.text);
        if (same) same.source = [...new Set([...same.source, ...note.source])];
        else into.push(note);
      }
    }
  }

  private readCommon(step: Record<string, unknown>, path: YamlPath, label: string, ctx: BuildContext): CommonFields | undefined {
    const { source } = ctx;
    const common: Record<string, unknown> = {};
    for (const k of Object.keys(COMMON_STEP_FIELDS)) {
      if (k in step && !(this.options.registry.has(k) && typeof step[k] === 'object')) common[k] = step[k];
    }
    const before = this.problems.length;
    this.problems.push(...checkAgainstSchema(common, COMMON_NODE, source, path, { subject: label }));
    if (typeof common.when === 'string') this.checkExpression(common.when, [...path, 'when'], label, source, { ctx });
    // until reads the attempt's output as `result`.
    if (typeof common.until === 'string') this.checkExpression(common.until, [...path, 'until'], label, source, { ctx, extra: ['result'] });
    if (typeof common.confirm === 'string' && isTemplate(common.confirm)) {
      this.templates.push({
        text: common.confirm,
        scope: ctx.scope,
        loopVars: ctx.loopVars,
        source,
        path: [...path, 'confirm'],
        subject: label,
      });
    }
    if (typeof common.register === 'string') this.registers.add(common.register);
    if (this.problems.length > before) return undefined;
    // Reported without dropping the step: the rest of it is still checked.
    const taken = typeof common.register === 'string' && helperNameProblem(common.register, 'register', positionOf(source, [...path, 'register']));
    if (taken) this.problems.push(taken);
    const backoff = common.backoff as { delay?: unknown; factor?: number; max?: unknown } | undefined;
    return {
      name: common.name as string,
      description: common.description as string | undefined,
      when: common.when as string | undefined,
      until: common.until as string | undefined,
      retries: (common.retries as number | undefined) ?? 0,
      backoff: {
        delayMs: parseDuration(backoff?.delay) ?? DEFAULT_BACKOFF.delayMs,
        factor: backoff?.factor ?? DEFAULT_BACKOFF.factor,
        maxDelayMs: parseDuration(backoff?.max) ?? DEFAULT_BACKOFF.maxDelayMs,
      },
      timeoutMs: parseDuration(common.timeout),
      register: common.register as string | undefined,
      tags: (common.tags as string[] | undefined) ?? [],
      ...this.readSource(source, common.source, [...path, 'source']),
      continueOnError: common.continueOnError === true,
      confirm: common.confirm as string | undefined,
    };
  }

  /** An explicit id is claimed (even on an otherwise broken step, to find duplicates); else derived. */
  private allocateId(step: Record<string, unknown>, name: string | undefined, path: YamlPath, ctx: BuildContext): string {
    const at = positionOf(ctx.source, path);
    const stepName = typeof step.name === 'string' ? step.name : '(unnamed)';
    if (typeof step.id === 'string') {
      const idAt = positionOf(ctx.source, [...path, 'id']);
      if (!this.ids.claim(step.id)) {
        const first = this.idSites.get(step.id);
        this.problems.push({
          message: `duplicate step id "${step.id}"${first ? `: step "${first.name}" at ${this.where(first.at)} has it too` : ''}`,
          hint: 'step ids must be unique across the runbook and its imports; rename one of them',
          at: idAt,
        });
      } else {
        this.idSites.set(step.id, { at: idAt, name: stepName });
      }
      return step.id;
    }
    if (name === undefined) return '';
    const id = this.ids.derive(ctx.parentId, name);
    this.idSites.set(id, { at, name: stepName });
    return id;
  }

  private where(at: SourcePosition): string {
    return `${this.display(at.file)}:${at.line}:${at.column}`;
  }

  /**
   * Checks an expression's syntax now and, given the names in force (`names`), the names it reads
   * once every register is known.
   */
  private checkExpression(
    expression: string,
    path: YamlPath,
    label: string,
    source: SourceFile,
    names?: { ctx: BuildContext; extra?: readonly string[] },
  ): void {
    if (isTemplate(expression)) {
      this.problems.push({
        message: `${label}: expressions are CEL, not templates: remove the {{ }}`,
        hint: `write e.g. vars.dscName == "default-dsc" instead of "{{ dscName }}" == "default-dsc"`,
        at: positionOf(source, path),
      });
      return;
    }
    const error = syntaxError(expression);
    const unknown = error ? undefined : unknownFunction(expression);
    if (error) {
      this.problems.push({
        message: `${label}: invalid expression: ${error.message}`,
        hint: 'expressions use CEL syntax, e.g. vars.mode == "RawDeployment" && size(items) > 0',
        at: positionWithin(source, path, error.offset),
      });
    } else if (unknown) {
      const known = functionNames();
      const guess = didYouMean(unknown.name, known);
      this.problems.push({
        message: `${label}: unknown function "${unknown.name}" in expression`,
        hint: `${guess ? `did you mean "${guess}"? ` : ''}the functions: ${[...known].filter((f) => /^[a-z]/.test(f)).sort().join(', ')}`,
        at: positionWithin(source, path, unknown.offset),
      });
    } else if (names) {
      const { ctx, extra = [] } = names;
      this.expressions.push({ expression, scope: ctx.scope, loopVars: ctx.loopVars, extra, source, path, subject: label });
    }
  }

  private collectExpressionsAndTemplates(
    value: unknown,
    path: YamlPath,
    exprFields: ReadonlySet<string>,
    rawFields: readonly string[],
    subject: string,
    ctx: BuildContext,
  ): void {
    // `field` names where a value sits in the input as the step type declares its expression
    // fields: `for.expression`, `failWhen[].expression` (a list element is `[]`).
    const visit = (v: unknown, p: YamlPath, field: string): void => {
      if (field && exprFields.has(field)) {
        this.collectExpressions(v, p, subject, ctx.source);
      } else if (isTemplate(v)) {
        this.templates.push({ text: v, scope: ctx.scope, loopVars: ctx.loopVars, source: ctx.source, path: p, subject });
      } else if (Array.isArray(v)) {
        v.forEach((item, i) => visit(item, [...p, i], `${field}[]`));
      } else if (v && typeof v === 'object') {
        for (const [k, child] of Object.entries(v)) {
          if (!field && rawFields.includes(k)) continue;
          visit(child, [...p, k], field ? `${field}.${k}` : k);
        }
      }
    };
    visit(value, path, '');
  }

  /** Files a step names (an apply template) must exist now, not when the step is reached. */
  private checkFileFields(input: unknown, fields: readonly string[], path: YamlPath, subject: string, ctx: BuildContext): void {
    if (!isMapping(input)) return;
    for (const field of fields) {
      const written = input[field];
      if (typeof written !== 'string' || isTemplate(written)) continue;
      const candidates = [resolve(ctx.baseDir, written), join(packageRoot(), 'templates', written)];
      if (candidates.some((c) => existsSync(c))) continue;
      this.problems.push({
        message: `${subject}: ${field} ${written}: no such file`,
        hint: `looked in ${candidates.join(' and ')}; paths are relative to the runbook file`,
        at: positionOf(ctx.source, [...path, field]),
      });
    }
  }

  /** An expression field holds one CEL expression or a list of them (assert's `that`). */
  private collectExpressions(value: unknown, path: YamlPath, subject: string, source: SourceFile): void {
    if (typeof value === 'string') this.checkExpression(value, path, subject, source);
    else if (Array.isArray(value)) value.forEach((v, i) => this.collectExpressions(v, [...path, i], subject, source));
  }

  private checkRequiredVars(): void {
    const provided = this.options.provided ?? {};
    for (const v of this.scopes['']?.vars ?? []) {
      if (v.required && v.default === undefined && provided[v.name] === undefined) {
        this.problems.push({
          message: `missing required var "${v.name}"${v.description ? ` (${v.description})` : ''}`,
          hint: `give it with --var ${v.name}=VALUE, in a --vars-file, or as RUNBOOK_VAR_${v.name}`,
          at: v.at,
        });
      }
    }
    for (const scope of Object.values(this.scopes)) {
      if (scope.id === '') continue;
      // A var the importer declares under the same name is passed on (inheritance by name).
      const parentNames = this.varNames(scope.parent ?? '');
      for (const v of scope.vars) {
        // Given from the top, by its plain name or a qualified one, it needs no binding.
        const givenFromTop = provided[v.name] !== undefined || (scope.qualifiers ?? []).some((q) => provided[`${q}.${v.name}`] !== undefined);
        if (v.required && v.default === undefined && !(v.name in scope.bindings) && !parentNames.has(v.name) && !givenFromTop) {
          this.problems.push({
            message: `import of ${this.display(scope.file)}: missing required var "${v.name}"${v.description ? ` (${v.description})` : ''}`,
            hint: `bind it under vars: of the import, e.g. vars: { ${v.name}: "..." }, or declare a var "${v.name}" in the importing runbook: a var of the same name is passed on`,
            at: this.importSites.get(scope.id) ?? v.at,
          });
        }
      }
    }
  }

  /**
   * Vars a scope's templates can use: the ones its file declares. An imported runbook gets values
   * for them from bindings or, by name, from its importer; it cannot see the importer's others.
   */
  private varNames(scopeId: string): Set<string> {
    return new Set(this.scopes[scopeId]?.vars.map((v) => v.name) ?? []);
  }

}

interface ForEachSpec {
  items: unknown;
  as?: string;
  key?: string;
  concurrency?: number;
}

type NodeBase = CommonFields & { id: string; at: SourcePosition; scope: string };

type BuiltShape =
  | { kind: 'step'; type: string; input: unknown }
  | { kind: 'group'; children: PlanNode[] }
  | { kind: 'forEach'; forEach: ForEachSpec; children: PlanNode[] }
  | { kind: 'import'; sections: (base: NodeBase) => PlanNode[] };

function defaultsOf(name: string): CommonFields {
  return { name, retries: 0, backoff: { ...DEFAULT_BACKOFF }, tags: [], continueOnError: false };
}

export function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}
