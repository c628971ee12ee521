// A plan for CLI tests, loaded from YAML written inline with the in-memory step types of the
// engine tests: no cluster, no files beyond a temp folder.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StepRegistry } from '../../../src/contract/registry.js';
import { loadRunbook } from '../../../src/runbook/loader.js';
import type { Plan } from '../../../src/runbook/types.js';
import { World, standardTypes } from '../../fixtures/engine/types.js';

export async function planOf(yaml: string): Promise<Plan> {
  const file = join(await mkdtemp(join(tmpdir(), 'runbook-cli-')), 'runbook.yaml');
  await writeFile(file, yaml);
  const loaded = await loadRunbook(file, { registry: new StepRegistry(standardTypes(new World())) });
  if (!loaded.plan) throw new Error(loaded.problems.map((p) => p.message).join('\n'));
  return loaded.plan;
}

/** A runbook with a gate outside any loop, one in a loop and one in two nested loops. */
export const GATES = `apiVersion: runbook.dev/v1
kind: Runbook
metadata:
  name: gates
sections:
  - name: main
    steps:
      - name: Notify the users
        id: notify
        gate: { message: "Told the users?" }
      - name: Convert each model
        id: convert
        forEach: { items: '["a", "b"]', as: m }
        steps:
          - name: Replace it
            id: replace
            gate: { message: "Replace {{ m }}?" }
      - name: Each cluster
        id: outer
        forEach: { items: '["east", "west"]', as: c }
        steps:
          - name: Each namespace
            id: inner
            forEach: { items: '["x"]', as: ns }
            steps:
              - name: Restart
                id: restart
                gate: { message: "Restart {{ ns }} on {{ c }}?" }
`;
