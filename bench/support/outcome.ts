// How every bench and matrix finds what it runs and how it ends. Benches are compiled into
// node_modules/.cache/runbook-bench/, so the built CLI and the runbooks are found from the package
// root, never from the compiled file's depth or the working directory. Each bench prints its
// counts beside their goals and exits non-zero, saying why, when its baseline fails, when it ran
// nothing, or when any case fails: a check that cannot fail proves nothing. Performance figures
// are printed beside their goals, never asserted (a busy machine is not a defect).
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { packageRoot } from '../../src/package-root.js';

/** A bench that cannot vouch for its figures: its message is the whole explanation. */
export class BenchFailure extends Error {}

export function fail(message: string): never {
  throw new BenchFailure(message);
}

/** A path inside the runbook package (the runbooks, dist/…), whatever the working directory. */
export function fromRoot(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}

/**
 * The built CLI: dist/cli/main.js at the package root, or the one given (relative to the working
 * directory, as a user types it). Missing: the bench fails before anything runs.
 */
export function builtCli(given?: string): string {
  const cli = given ? (isAbsolute(given) ? given : resolve(given)) : fromRoot('dist', 'cli', 'main.js');
  if (!existsSync(cli)) fail(`the CLI ${cli} does not exist: build first (npm run build)`);
  return cli;
}

/** A count given on the command line: a whole number of at least `min`. */
export function wholeNumber(name: string, text: string | undefined, min = 1): number {
  const n = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isInteger(n) || n < min) fail(`${name} must be a whole number of at least ${min}, got ${text}`);
  return n;
}

export interface Counts {
  /** What a case is, plural: "kill points", "scenarios", "runs". */
  unit: string;
  tried: number;
  /** Cases that kept their promise. */
  passed: number;
  /** The promise, as it reads after the count: "resumed to the same end state". */
  promise: string;
}

/**
 * Prints the counts beside their goal (every case tried keeps its promise, and at least one is
 * tried); fails the bench when it ran nothing or when a case failed.
 */
export function tally(name: string, c: Counts): void {
  const failed = c.tried - c.passed;
  console.log(`${name}: ${c.tried} ${c.unit} tried, ${c.passed} ${c.promise}, ${failed} failed (goal: at least 1 tried, every one ${c.promise}, 0 failed)`);
  if (c.tried === 0) fail(`ran nothing: 0 ${c.unit} tried`);
  if (failed > 0) fail(`${failed} of ${c.tried} ${c.unit} failed`);
}

/**
 * The cases of a bench, each run on its own: a failing case is reported on its line and counted,
 * the others still run, and tally() fails the bench at the end.
 */
export class Cases {
  tried = 0;
  passed = 0;

  constructor(
    readonly unit: string,
    readonly promise: string,
  ) {}

  /** Runs one case; its result, or undefined when it failed (said on a line of its own). */
  async run<T>(name: string, body: () => Promise<T>): Promise<T | undefined> {
    this.tried++;
    try {
      const result = await body();
      this.passed++;
      return result;
    } catch (error) {
      console.log(`  FAIL ${name}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  tally(name: string): void {
    tally(name, { unit: this.unit, tried: this.tried, passed: this.passed, promise: this.promise });
  }
}

/**
 * Runs a bench's body. Any failure ends it with one line saying what failed (a stack only for an
 * unexpected error) and exit code 1; success sets nothing, so an earlier failure is never hidden.
 */
export async function runBench(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    process.exitCode = 1;
    const why = error instanceof BenchFailure ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.error(`\n${name} FAILED: ${why}`);
  }
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
