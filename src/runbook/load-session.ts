// What loading one runbook gathers as it reads its files: the problems found, the ids and var
// scopes taken, the registers set, and the templates, expressions and guide references that are
// checked once every file has been read. Each part of the loader adds to one session.
import type { Problem, SourcePosition } from '../contract/errors.js';
import type { StepRegistry } from '../contract/registry.js';
import { basename, relative } from 'node:path';
import type { PendingExpression } from './expression-check.js';
import type { GuideRef } from './guide-refs.js';
import { IdAllocator } from './ids.js';
import type { SourceFile } from './source.js';
import type { PendingTemplate } from './template-check.js';
import type { RunbookNote, VarScope } from './types.js';

export interface LoadOptions {
  registry: StepRegistry;
  /** Values given for the root runbook's vars; used to report missing required vars. */
  provided?: Record<string, unknown>;
}

/** Where nodes are being built: the file, its var scope, the parent id and the loops around. */
export interface BuildContext {
  source: SourceFile;
  baseDir: string;
  scope: string;
  parentId: string;
  loopVars: readonly string[];
  /** Absolute paths of the files being imported, for cycle detection. */
  chain: readonly string[];
}

export interface RawSection {
  name: string;
  description?: string;
  source?: unknown;
  steps?: unknown[];
}

export interface RawRunbook {
  metadata?: { name?: string; description?: string };
  vars?: Record<string, Record<string, unknown>>;
  imports?: { file: string; vars?: Record<string, unknown> }[];
  sections?: RawSection[];
  overlays?: RawOverlay[];
  followUps?: unknown[];
  guides?: string[];
}

export interface RawOverlay {
  before?: string;
  after?: string;
  replace?: string;
  skip?: string;
  reason?: string;
  steps?: unknown[];
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class LoadSession {
  readonly problems: Problem[] = [];
  readonly ids = new IdAllocator();
  readonly scopes: Record<string, VarScope> = {};
  readonly registers = new Set<string>();
  readonly templates: PendingTemplate[] = [];
  readonly expressions: PendingExpression[] = [];
  /** Every file read, or null for one that cannot be used. */
  readonly sources = new Map<string, SourceFile | null>();
  /** Where each id was taken, to say where a duplicate was first used. */
  readonly idSites = new Map<string, { at: SourcePosition; name: string }>();
  /** Where each imported scope was imported: its unbound required vars are reported there. */
  readonly importSites = new Map<string, SourcePosition>();
  /** Every `source:` written, checked against the shipped guide items once the plan is built. */
  readonly guideRefs: GuideRef[] = [];
  readonly followUps: RunbookNote[] = [];
  readonly signOffs: RunbookNote[] = [];
  /** The guide items each section names, over every file that adds to it. */
  readonly sectionSources = new Map<string, string[]>();

  constructor(
    readonly options: LoadOptions,
    /** The root runbook's directory: imports and scopes are named relative to it. */
    readonly rootDir: string,
  ) {}

  get registry(): StepRegistry {
    return this.options.registry;
  }

  /** A file's name for messages: relative to the root runbook, which is how imports are written. */
  display(file: string): string {
    return relative(this.rootDir, file) || basename(file);
  }

  where(at: SourcePosition): string {
    return `${this.display(at.file)}:${at.line}:${at.column}`;
  }

  /**
   * Vars a scope's templates can use: the ones its file declares. An imported runbook gets values
   * for them from bindings or, by name, from its importer; it cannot see the importer's others.
   */
  varNames(scopeId: string): Set<string> {
    return new Set(this.scopes[scopeId]?.vars.map((v) => v.name) ?? []);
  }
}
