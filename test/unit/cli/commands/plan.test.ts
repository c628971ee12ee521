// `runbook plan FILE`: the runbook run as a client dry run (every `when` and `check` evaluated),
// and a line that says what a real run would do. Step types here are in memory: no cluster.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { planCommand } from '../../../../src/cli/commands/plan.js';
import { EXIT } from '../../../../src/cli/exit-codes.js';
import type { RunFlags } from '../../../../src/cli/global-options.js';
import { StepRegistry } from '../../../../src/contract/registry.js';
import { World, standardTypes } from '../../../fixtures/engine/types.js';

const RUNBOOK = `apiVersion: runbook.dev/v1
kind: Runbook
metadata:
  name: plan-sample
sections:
  - name: main
    steps:
      - name: Label the namespace
        id: label
        probe: { key: label }
      - name: Already there
        id: there
        probe: { key: there }
      - name: Not on this cluster
        id: never
        when: "false"
        probe: { key: never }
`;

const flags = (extra: Partial<RunFlags> = {}): RunFlags => ({
  var: [],
  varsFile: [],
  stateDir: '.runbook',
  approve: [],
  only: [],
  skip: [],
  output: 'json',
  kubeconfig: '/nonexistent/kubeconfig',
  ...extra,
});

function capture(): { stdout: string[]; stderr: string[] } {
  const out = { stdout: [] as string[], stderr: [] as string[] };
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => out.stdout.push(String(s)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => out.stderr.push(String(s)) > 0);
  return out;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('plan command', () => {
  it('runs every step as a client dry run, its check first, and says what a run would do', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'runbook-plan-test-')), 'runbook.yaml');
    await writeFile(file, RUNBOOK);
    const world = new World();
    world.holds.add('there');
    const out = capture();
    const code = await planCommand(file, flags(), new StepRegistry(standardTypes(world)));
    // JSON lines reach stdout once the batch is written.
    await new Promise((resolve) => setImmediate(resolve));
    vi.restoreAllMocks();
    expect(code).toBe(EXIT.ok);
    expect(world.of('check')).toEqual(['label', 'there']);
    // A step whose check holds is not applied; the others are, as a client dry run (a step type
    // that cannot dry-run is skipped).
    expect(world.of('apply')).toEqual(['label']);
    expect(out.stderr.join('')).toContain('plan: 1 would change, 1 already hold, 1 skipped, 0 failed to evaluate\n');
    const events = out.stdout.join('').trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; dryRun?: string });
    expect(events[0]).toMatchObject({ type: 'run:start', dryRun: 'client' });
    expect(events.at(-1)).toMatchObject({ type: 'run:end' });
  });
});
