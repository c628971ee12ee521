// `runbook validate` remembers a runbook found valid, as ESLint's --cache and tsc's incremental
// builds do: checking the shipped upgrade (some fifty files) takes seconds, and an author
// validates again and again while most of it has not changed. A verdict is reused only when
//   - the same build of runbook gives it (every module's size and time, the package version),
//   - for the same command line (files, --var, --vars-file, flags) and RUNBOOK_VAR_* values,
//   - and every file the load read, every path it looked for and every folder it listed reads
//     the same again (src/runbook/input-log.ts).
// Only success is remembered: problems are always found afresh. A cache entry that cannot be
// read or does not parse is a miss; the cache is never state, and `--no-cache` skips it.
//
// Where: ${RUNBOOK_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/runbook}/validate, private to the user.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../atomic-write.js';
import { inputsUnchanged, type InputRead } from '../runbook/input-log.js';

/** What a valid run printed, to print again, and what it read. */
export interface CachedVerdict {
  stdout: string;
  stderr: string;
  reads: InputRead[];
}

/** Entries kept; older ones are removed when a new one is written. */
const KEEP = 64;

export function validateCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RUNBOOK_CACHE_DIR) return join(env.RUNBOOK_CACHE_DIR, 'validate');
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.cache'), 'runbook', 'validate');
}

export class ValidateCache {
  private constructor(
    private readonly dir: string,
    /** The HMAC key digests are made under: random, per cache folder, readable by its owner only. */
    readonly key: Buffer,
  ) {}

  /** The cache, or undefined when its folder cannot be made or its key read: validate without it. */
  static async open(dir = validateCacheDir()): Promise<ValidateCache | undefined> {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const keyFile = join(dir, 'key');
      let key: Buffer;
      try {
        key = readFileSync(keyFile);
      } catch {
        await writeFileAtomic(keyFile, randomBytes(32), { mode: 0o600 });
        key = readFileSync(keyFile);
      }
      return key.length === 32 ? new ValidateCache(dir, key) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The name of the entry for this command line: the same inputs as given, the same build. */
  entryName(request: unknown): string {
    return createHmac('sha256', this.key).update(JSON.stringify([buildIdentity(), request])).digest('hex');
  }

  /** A remembered verdict whose inputs all read the same, or undefined. */
  async lookup(name: string): Promise<CachedVerdict | undefined> {
    let entry: CachedVerdict;
    try {
      entry = JSON.parse(readFileSync(join(this.dir, `${name}.json`), 'utf8')) as CachedVerdict;
    } catch {
      return undefined;
    }
    if (typeof entry?.stdout !== 'string' || typeof entry.stderr !== 'string' || !Array.isArray(entry.reads)) return undefined;
    return (await inputsUnchanged(entry.reads, this.key)) ? entry : undefined;
  }

  /** Remembers a valid verdict; a cache that cannot be written is left as it is. */
  async store(name: string, verdict: CachedVerdict): Promise<void> {
    try {
      await writeFileAtomic(join(this.dir, `${name}.json`), JSON.stringify(verdict), { mode: 0o600 });
      this.prune();
    } catch {
      // A cache that cannot be written only costs the next validation its speed.
    }
  }

  private prune(): void {
    const entries = readdirSync(this.dir)
      .filter((n) => n.endsWith('.json'))
      .map((n) => ({ n, t: statSync(join(this.dir, n)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const { n } of entries.slice(KEEP)) unlinkSync(join(this.dir, n));
  }
}

let identity: string | undefined;

/**
 * This build of runbook: the size and modification time of every module beside this one (dist/
 * or, under the tests, src/) and the package's version. A rebuild or an upgrade changes it, so
 * a verdict of older checks is never reused.
 */
export function buildIdentity(): string {
  if (identity) return identity;
  const codeRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(js|ts|json)$/.test(entry.name)) {
        const s = statSync(path);
        hash.update(`${relative(codeRoot, path)}\0${s.size}\0${s.mtimeMs}\n`);
      }
    }
  };
  walk(codeRoot);
  try {
    hash.update(readFileSync(join(codeRoot, '..', 'package.json')));
  } catch {
    // No manifest beside the code: its modules identify it.
  }
  return (identity = hash.digest('hex'));
}
