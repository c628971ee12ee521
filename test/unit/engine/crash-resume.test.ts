// SIGKILL the built CLI at seeded points of a run and resume it until it succeeds: the outcome is
// an uninterrupted run's, no completed step is entered again, and only applies that a kill cut
// short are repeated (through their check). `npm run crash-matrix` runs every point.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CrashDriver, allScenarios, sampleScenarios, type Reference } from '../../fixtures/engine/crash.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const cli = join(root, 'dist', 'cli', 'main.js');
const SEED = Number(process.env.CRASH_SEED ?? 20261122);
const SAMPLE = 8;

/** Builds dist/ when it is missing or older than a source file: the test runs the real CLI. */
function ensureBuilt(): void {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
    }, 0);
  if (existsSync(cli) && statSync(cli).mtimeMs >= newest(join(root, 'src'))) return;
  // The whole build (tsc, then the bundles): the test runs the CLI as it ships.
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(cli)) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
}

describe('crash and resume', () => {
  const driver = new CrashDriver(cli);
  let reference: Reference;

  beforeAll(async () => {
    ensureBuilt();
    reference = await driver.reference();
  }, 180_000);

  it('the uninterrupted run applies every step once', () => {
    expect(reference.markers).toHaveLength(17);
    expect(reference.applies).toBe(17);
  });

  // Scenarios depend on the reference run's shape, known only once it ran: pick by index.
  for (let i = 0; i < SAMPLE; i++) {
    it(`seeded scenario ${i + 1} of ${SAMPLE} (seed ${SEED})`, async () => {
      const scenario = sampleScenarios(allScenarios(reference), SAMPLE, SEED)[i]!;
      const result = await driver.run(scenario, reference);
      expect(result.violations, `${scenario.name}${result.kept ? ` (kept ${result.kept})` : ''}`).toEqual([]);
      expect(result.kills).toBeGreaterThanOrEqual(1);
    }, 120_000);
  }
});
