// Loads a runbook file and everything it imports into a Plan: ordered sections of steps with stable
// ids. Every problem is collected with its file:line:column, so one pass reports them all.
import { createHash } from 'node:crypto';
import { basename, dirname, extname, relative, resolve } from 'node:path';
import { closest } from 'fastest-levenshtein';
import type { Problem, SourcePosition } from '../engine/errors.js';
import type { StepRegistry } from '../engine/registry.js';
import { checkSyntax } from './expressions.js';
import { COMMON_STEP_FIELDS, DEFAULT_BACKOFF, RUNBOOK_SPEC, STRUCTURE_FIELDS, parseDuration } from './format.js';
import { IdAllocator } from './ids.js';
import { checkAgainstSchema } from './schema-check.js';
import { positionOf, readSource, type SourceFile, type YamlPath } from './source.js';
import { HELPER_NAMES, inspectTemplate, isTemplate } from './template.js';
import type { CommonFields, Plan, PlanNode, Section, VarScope, VarSpec, VarType } from './types.js';

export interface LoadOptions {
  registry: StepRegistry;
  /** Values given for the root runbook's vars; used to report missing required vars. */
  provided?: Record<string, unknown>;
}

export interface LoadResult {
  plan?: Plan;
  problems: Problem[];
}

/** Names every template and expression may use besides vars, registers and loop variables. */
const BUILTIN_NAMES = new Set(['vars', 'run']);

interface BuildContext {
  source: SourceFile;
  baseDir: string;
  scope: string;
  parentId: string;
  loopVars: readonly string[];
  /** Absolute paths of the files being imported, for cycle detection. */
  chain: readonly string[];
}

interface PendingTemplate {
  text: string;
  scope: string;
  loopVars: readonly string[];
  at: SourcePosition;
  subject: string;
}

interface RawRunbook {
  metadata?: { name?: string; description?: string };
  vars?: Record<string, Record<string, unknown>>;
  imports?: { file: string; vars?: Record<string, unknown> }[];
  sections?: { name: string; description?: string; steps?: unknown[] }[];
  followUps?: string[];
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
  private readonly sources = new Map<string, SourceFile | null>();

  constructor(private readonly options: LoadOptions) {}

  async load(file: string): Promise<LoadResult> {
    const source = await this.read(file, undefined);
    if (!source) return { problems: this.problems };
    const raw = source.value as RawRunbook;
    this.scopes[''] = { id: '', file, vars: this.readVars(source, raw), bindings: {} };
    const sections = await this.buildSections(source, raw, { scope: '', parentId: '', chain: [file] });
    this.checkRequiredVars();
    this.checkTemplates();
    if (this.problems.length > 0) return { problems: this.problems };
    const plan: Plan = {
      name: raw.metadata?.name ?? basename(file, extname(file)),
      description: raw.metadata?.description,
      file,
      digest: digest(sections.map((s) => ({ name: s.name, nodes: s.nodes.map((n) => n.digest) }))),
      sections,
      scopes: this.scopes,
      followUps: raw.followUps ?? [],
    };
    return { plan, problems: [] };
  }

  private async read(file: string, importedAt: SourcePosition | undefined): Promise<SourceFile | undefined> {
    if (this.sources.has(file)) return this.sources.get(file) ?? undefined;
    const { source, problems } = await readSource(file);
    for (const p of problems) this.problems.push(importedAt && !p.at?.line ? { ...p, at: importedAt } : p);
    if (!source) {
      this.sources.set(file, null);
      return undefined;
    }
    const structural = checkAgainstSchema(source.value, RUNBOOK_SPEC, source, [], { subject: 'runbook' });
    this.problems.push(...structural);
    const ok = structural.length === 0 && problems.length === 0;
    this.sources.set(file, ok ? source : null);
    return ok ? source : undefined;
  }

  private readVars(source: SourceFile, raw: RawRunbook): VarSpec[] {
    const specs: VarSpec[] = [];
    for (const [name, spec] of Object.entries(raw.vars ?? {})) {
      const at = positionOf(source, ['vars', name], true);
      const type = (spec?.type as VarType | undefined) ?? 'string';
      const v: VarSpec = {
        name,
        type,
        default: spec?.default,
        description: spec?.description as string | undefined,
        required: spec?.required === true,
        secret: spec?.secret === true,
        at,
      };
      if (v.default !== undefined && v.default !== null && !isTemplate(v.default) && !matchesType(v.default, type)) {
        this.problems.push({
          message: `var "${name}": default ${JSON.stringify(v.default)} is not a ${type}`,
          hint: `change the default or declare type: ${inferType(v.default)}`,
          at: positionOf(source, ['vars', name, 'default']),
        });
      }
      if (v.secret && v.default !== undefined) {
        this.problems.push({
          message: `var "${name}" is secret but has a default value written in the runbook`,
          hint: 'remove the default and pass the value at run time (--var, --vars-file or RUNBOOK_VAR_' + name + ')',
          at: positionOf(source, ['vars', name, 'default']),
        });
      }
      if (isTemplate(v.default)) {
        this.templates.push({ text: v.default as string, scope: '', loopVars: [], at, subject: `var "${name}"` });
      }
      specs.push(v);
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

    // Top-level imports merge their sections into ours by name, before our own steps.
    for (const [i, imp] of (raw.imports ?? []).entries()) {
      const at = positionOf(source, ['imports', i, 'file']);
      const file = resolve(baseDir, imp.file);
      const stem = basename(imp.file, extname(imp.file));
      const imported = await this.importFile(file, at, { ...ctx, source }, imp.vars ?? {}, ['imports', i, 'vars']);
      if (!imported) continue;
      for (const s of imported.raw.sections ?? []) {
        const target = sectionFor(s.name, s.description);
        const parentId = ctx.parentId ? `${ctx.parentId}/${s.name}/${stem}` : `${s.name}/${stem}`;
        const nodes = await this.buildNodes(s.steps ?? [], ['sections', (imported.raw.sections ?? []).indexOf(s), 'steps'], {
          source: imported.source,
          baseDir: dirname(file),
          scope: imported.scope,
          parentId,
          loopVars: [],
          chain: [...ctx.chain, file],
        });
        target.nodes.push(...nodes);
      }
    }

    for (const [i, s] of (raw.sections ?? []).entries()) {
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

  /** Loads an imported file as a new var scope bound by `bindings`. */
  private async importFile(
    file: string,
    at: SourcePosition,
    ctx: Omit<BuildContext, 'baseDir' | 'loopVars'>,
    bindings: Record<string, unknown>,
    bindingsPath: YamlPath,
    scopeId = `${ctx.scope ? ctx.scope + '>' : ''}${relative(dirname(this.scopes['']!.file), file)}`,
  ): Promise<{ source: SourceFile; raw: RawRunbook; scope: string } | undefined> {
    if (ctx.chain.includes(file)) {
      const cycle = [...ctx.chain.slice(ctx.chain.indexOf(file)), file].map((f) => relative(process.cwd(), f)).join(' → ');
      this.problems.push({
        message: `import cycle: ${cycle}`,
        hint: 'a runbook may not import itself, directly or through other files; move the shared steps into a file both import',
        at,
      });
      return undefined;
    }
    const source = await this.read(file, at);
    if (!source) return undefined;
    const raw = source.value as RawRunbook;
    let id = scopeId;
    for (let n = 2; this.scopes[id]; n++) id = `${scopeId}#${n}`;
    const vars = this.readVars(source, raw);
    this.scopes[id] = { id, file, vars, bindings, parent: ctx.scope };
    const declared = new Set(vars.map((v) => v.name));
    for (const [name, value] of Object.entries(bindings)) {
      if (!declared.has(name)) {
        this.problems.push({
          message: `import of ${relative(process.cwd(), file)}: it declares no var "${name}"`,
          hint: declared.size ? `did you mean "${closest(name, [...declared])}"?` : 'that runbook declares no vars',
          at: positionOf(ctx.source, [...bindingsPath, name], true),
        });
      }
      if (isTemplate(value)) {
        const pos = positionOf(ctx.source, [...bindingsPath, name]);
        this.templates.push({ text: value, scope: ctx.scope, loopVars: [], at: pos, subject: `import binding "${name}"` });
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
      this.problems.push({
        message: 'a step must be a mapping with a name and one step type',
        hint: `e.g. - name: Wait for the DSC\n    wait: { ... }. Known step types: ${this.options.registry.names().join(', ')}`,
        at,
      });
      return undefined;
    }
    const step = raw as Record<string, unknown>;
    const keys = Object.keys(step);
    // `confirm` is both a common field (a question, before any step) and a step type (a mapping).
    const isTypeKey = (k: string): boolean =>
      this.options.registry.has(k) && !(k in COMMON_STEP_FIELDS && typeof step[k] !== 'object');
    const typeKeys = keys.filter(isTypeKey);
    const structure = keys.filter((k) => k in STRUCTURE_FIELDS && !(k in COMMON_STEP_FIELDS));
    const unknown = keys.filter((k) => !(k in COMMON_STEP_FIELDS) && !(k in STRUCTURE_FIELDS) && !typeKeys.includes(k));
    const label = typeof step.name === 'string' ? `step "${step.name}"` : 'step';
    let problemsBefore = this.problems.length;

    const shape = this.classify(step, typeKeys, structure, unknown, path, label, source);
    if (!shape) return undefined;

    const common = this.readCommon(step, path, label, ctx);
    if (!common) return undefined;

    const id = this.allocateId(step, common.name, path, ctx);
    const base = { ...common, id, at, scope: ctx.scope };

    if (shape === 'step') {
      const typeName = typeKeys[0]!;
      const type = this.options.registry.get(typeName)!;
      const input = step[typeName];
      const subject = `${label} (${typeName})`;
      const exprFields = new Set(type.expressionFields ?? []);
      this.problems.push(
        ...checkAgainstSchema(input, type.input, source, [...path, typeName], {
          subject,
          // A template is rendered at run time; its type is checked then.
          ignore: (_p, value) => isTemplate(value),
        }),
      );
      this.collectExpressionsAndTemplates(input, [...path, typeName], exprFields, type.rawFields ?? [], subject, ctx);
      if (this.problems.length > problemsBefore) return undefined;
      return { ...base, kind: 'step', type: typeName, input, digest: digest({ typeName, input, common }) };
    }

    if (shape === 'import') {
      const file = resolve(ctx.baseDir, String(step.import));
      const imported = await this.importFile(
        file,
        positionOf(source, [...path, 'import']),
        ctx,
        (step.vars as Record<string, unknown>) ?? {},
        [...path, 'vars'],
        id,
      );
      if (!imported) return undefined;
      const importedSections = imported.raw.sections ?? [];
      const children: PlanNode[] = [];
      for (const [si, s] of importedSections.entries()) {
        const sectionCtx: BuildContext = {
          source: imported.source,
          baseDir: dirname(file),
          scope: imported.scope,
          parentId: importedSections.length === 1 ? id : `${id}/${s.name}`,
          loopVars: ctx.loopVars,
          chain: [...ctx.chain, file],
        };
        const nodes = await this.buildNodes(s.steps ?? [], ['sections', si, 'steps'], sectionCtx);
        if (importedSections.length === 1) children.push(...nodes);
        else
          children.push({
            ...base,
            ...defaultsOf(s.name),
            id: `${id}/${s.name}`,
            kind: 'group',
            description: s.description,
            children: nodes,
            scope: imported.scope,
            digest: digest(nodes.map((n) => n.digest)),
          });
      }
      return { ...base, kind: 'group', children, digest: digest({ common, children: children.map((c) => c.digest) }) };
    }

    const childSteps = step.steps;
    if (!Array.isArray(childSteps) || childSteps.length === 0) {
      this.problems.push({
        message: `${label}: "steps" must be a non-empty list of steps`,
        at: positionOf(source, [...path, 'steps']),
      });
      return undefined;
    }
    if (shape === 'forEach') {
      const fe = step.forEach as { items: unknown; as?: string; key?: string; concurrency?: number };
      problemsBefore = this.problems.length;
      this.problems.push(
        ...checkAgainstSchema(fe, STRUCTURE_FIELDS.forEach!, source, [...path, 'forEach'], { subject: label }),
      );
      if (this.problems.length > problemsBefore) return undefined;
      const as = fe.as ?? 'item';
      if (typeof fe.items === 'string' && !isTemplate(fe.items)) this.checkExpression(fe.items, [...path, 'forEach', 'items'], label, source);
      else this.collectExpressionsAndTemplates(fe.items, [...path, 'forEach', 'items'], new Set(), [], label, ctx);
      if (fe.key) this.checkExpression(fe.key, [...path, 'forEach', 'key'], label, source);
      const children = await this.buildNodes(childSteps, [...path, 'steps'], {
        ...ctx,
        parentId: id,
        loopVars: [...ctx.loopVars, as],
      });
      return {
        ...base,
        kind: 'forEach',
        items: fe.items,
        as,
        key: fe.key,
        concurrency: fe.concurrency ?? 1,
        children,
        digest: digest({ common, forEach: fe, children: children.map((c) => c.digest) }),
      };
    }
    const children = await this.buildNodes(childSteps, [...path, 'steps'], { ...ctx, parentId: id });
    return { ...base, kind: 'group', children, digest: digest({ common, children: children.map((c) => c.digest) }) };
  }

  /** Decides what a node is, or reports why it is none of them. */
  private classify(
    step: Record<string, unknown>,
    typeKeys: string[],
    structure: string[],
    unknown: string[],
    path: YamlPath,
    label: string,
    source: SourceFile,
  ): 'step' | 'group' | 'forEach' | 'import' | undefined {
    const known = [...this.options.registry.names(), 'steps', 'forEach', 'import'];
    const before = this.problems.length;
    for (const key of unknown) {
      const isTypeGuess = typeKeys.length === 0 && structure.length === 0;
      const candidates = isTypeGuess ? known : [...Object.keys(COMMON_STEP_FIELDS), ...known];
      this.problems.push({
        message: isTypeGuess ? `${label}: unknown step type "${key}"` : `${label}: unknown field "${key}"`,
        hint: `did you mean "${closest(key, candidates)}"? ${isTypeGuess ? `Step types: ${this.options.registry.names().join(', ')}` : ''}`.trim(),
        at: positionOf(source, [...path, key], true),
      });
    }
    const kinds = [...typeKeys, ...(structure.includes('import') ? ['import'] : [])];
    if (kinds.length > 1) {
      this.problems.push({
        message: `${label}: a step has exactly one type, found ${kinds.map((k) => `"${k}"`).join(' and ')}`,
        hint: 'split it into two steps, or nest them under "steps" as a group',
        at: positionOf(source, [...path, kinds[1]!], true),
      });
    }
    if (typeKeys.length > 0 && (structure.includes('steps') || structure.includes('forEach'))) {
      this.problems.push({
        message: `${label}: "${typeKeys[0]}" cannot be combined with "${structure.includes('forEach') ? 'forEach' : 'steps'}"`,
        hint: 'put the step inside the group or loop under "steps"',
        at: positionOf(source, [...path, typeKeys[0]!], true),
      });
    }
    if (structure.includes('vars') && !structure.includes('import')) {
      this.problems.push({
        message: `${label}: "vars" is only allowed together with "import"`,
        at: positionOf(source, [...path, 'vars'], true),
      });
    }
    if (structure.includes('forEach') && !structure.includes('steps')) {
      this.problems.push({
        message: `${label}: "forEach" needs "steps", the steps to run for each item`,
        at: positionOf(source, [...path, 'forEach'], true),
      });
    }
    if (typeKeys.length === 0 && structure.length === 0 && unknown.length === 0) {
      this.problems.push({
        message: `${label}: no step type`,
        hint: `add one of: ${this.options.registry.names().join(', ')}; or "steps" for a group`,
        at: positionOf(source, path),
      });
    }
    if (this.problems.length > before) return undefined;
    if (typeKeys.length === 1) return 'step';
    if (structure.includes('import')) return 'import';
    if (structure.includes('forEach')) return 'forEach';
    return 'group';
  }

  private readCommon(step: Record<string, unknown>, path: YamlPath, label: string, ctx: BuildContext): CommonFields | undefined {
    const { source } = ctx;
    const common: Record<string, unknown> = {};
    for (const k of Object.keys(COMMON_STEP_FIELDS)) {
      if (k in step && !(this.options.registry.has(k) && typeof step[k] === 'object')) common[k] = step[k];
    }
    const before = this.problems.length;
    this.problems.push(
      ...checkAgainstSchema(
        common,
        { type: 'object', required: ['name'], properties: COMMON_STEP_FIELDS },
        source,
        path,
        { subject: label },
      ),
    );
    if (typeof common.when === 'string') this.checkExpression(common.when, [...path, 'when'], label, source);
    if (typeof common.until === 'string') this.checkExpression(common.until, [...path, 'until'], label, source);
    if (typeof common.confirm === 'string' && isTemplate(common.confirm)) {
      this.templates.push({
        text: common.confirm,
        scope: ctx.scope,
        loopVars: ctx.loopVars,
        at: positionOf(source, [...path, 'confirm']),
        subject: label,
      });
    }
    if (typeof common.register === 'string') this.registers.add(common.register);
    if (this.problems.length > before) return undefined;
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
      continueOnError: common.continueOnError === true,
      confirm: common.confirm as string | undefined,
    };
  }

  private allocateId(step: Record<string, unknown>, name: string, path: YamlPath, ctx: BuildContext): string {
    if (typeof step.id === 'string') {
      if (!this.ids.claim(step.id)) {
        this.problems.push({
          message: `duplicate step id "${step.id}"`,
          hint: 'step ids must be unique across the runbook and its imports; rename one of them',
          at: positionOf(ctx.source, [...path, 'id']),
        });
      }
      return step.id;
    }
    return this.ids.derive(ctx.parentId, name);
  }

  private checkExpression(expression: string, path: YamlPath, label: string, source: SourceFile): void {
    if (isTemplate(expression)) {
      this.problems.push({
        message: `${label}: expressions are CEL, not templates: remove the {{ }}`,
        hint: `write e.g. vars.dscName == "default-dsc" instead of "{{ dscName }}" == "default-dsc"`,
        at: positionOf(source, path),
      });
      return;
    }
    const error = checkSyntax(expression);
    if (error) {
      this.problems.push({
        message: `${label}: invalid expression: ${error}`,
        hint: 'expressions use CEL syntax, e.g. vars.mode == "RawDeployment" && size(items) > 0',
        at: positionOf(source, path),
      });
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
    const visit = (v: unknown, p: YamlPath, top: boolean): void => {
      if (isTemplate(v)) {
        this.templates.push({ text: v, scope: ctx.scope, loopVars: ctx.loopVars, at: positionOf(ctx.source, p), subject });
      } else if (Array.isArray(v)) {
        v.forEach((item, i) => visit(item, [...p, i], false));
      } else if (v && typeof v === 'object') {
        for (const [k, child] of Object.entries(v)) {
          if (top && rawFields.includes(k)) continue;
          if (top && exprFields.has(k) && typeof child === 'string') this.checkExpression(child, [...p, k], subject, ctx.source);
          else visit(child, [...p, k], false);
        }
      }
    };
    visit(value, path, true);
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
      if (!scope.parent && scope.id === '') continue;
      const parentNames = this.namesInScope(scope.parent ?? '');
      for (const v of scope.vars) {
        if (v.required && v.default === undefined && !(v.name in scope.bindings) && !parentNames.has(v.name)) {
          this.problems.push({
            message: `missing required var "${v.name}" of ${relative(process.cwd(), scope.file)}`,
            hint: `bind it where the file is imported: vars: { ${v.name}: ... }`,
            at: v.at,
          });
        }
      }
    }
  }

  /** Vars visible in a scope: its own, plus those it inherits from its importers. */
  private namesInScope(scopeId: string): Set<string> {
    const names = new Set<string>();
    for (let s: VarScope | undefined = this.scopes[scopeId]; s; s = s.parent === undefined ? undefined : this.scopes[s.parent]) {
      for (const v of s.vars) names.add(v.name);
      if (s.id === '') break;
    }
    return names;
  }

  private checkTemplates(): void {
    for (const t of this.templates) {
      const { refs, helpers, error } = inspectTemplate(t.text);
      if (error) {
        this.problems.push({ message: `${t.subject}: template syntax: ${error}`, at: t.at });
        continue;
      }
      for (const h of helpers) {
        if (!HELPER_NAMES.has(h)) {
          this.problems.push({
            message: `${t.subject}: unknown template helper "${h}"`,
            hint: `did you mean "${closest(h, [...HELPER_NAMES])}"? Helpers: ${[...HELPER_NAMES].join(', ')}`,
            at: t.at,
          });
        }
      }
      const known = new Set([...this.namesInScope(t.scope), ...this.registers, ...t.loopVars, ...BUILTIN_NAMES]);
      for (const ref of refs) {
        if (!known.has(ref.name)) {
          const guess = known.size ? closest(ref.name, [...known]) : undefined;
          this.problems.push({
            message: `${t.subject}: unknown variable "${ref.path}" in template`,
            hint: `declare it under vars:, register it from an earlier step, or fix the name${guess ? ` (did you mean "${guess}"?)` : ''}`,
            at: t.at,
          });
        }
      }
    }
  }
}

function defaultsOf(name: string): CommonFields {
  return { name, retries: 0, backoff: { ...DEFAULT_BACKOFF }, tags: [], continueOnError: false };
}

function matchesType(value: unknown, type: VarType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'list':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
  }
}

function inferType(value: unknown): VarType {
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'number' || typeof value === 'boolean') return typeof value as VarType;
  if (typeof value === 'object') return 'object';
  return 'string';
}

export function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}
