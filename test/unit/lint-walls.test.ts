// The walls between the rooms of src/ are lint rules (eslint.config.js): an import across a wall
// fails `npm test`. Shown here on the rules themselves, with the files as they would be written.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO } from '../integration/support/cli-run.js';

const lint = new ESLint({ cwd: REPO });

async function messages(file: string, text: string): Promise<string[]> {
  const [result] = await lint.lintText(text, { filePath: `${REPO}/${file}` });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('the walls between rooms', () => {
  it('refuses the kube library importing the engine', { timeout: 60_000 }, async () => {
    expect(await messages('src/kube/example.ts', "import { Executor } from '../engine/executor.js';\nexport const x = Executor;\n")).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*src\/kube may not import src\/engine/),
    ]);
  });

  it('refuses the runbook format importing the engine, and the contracts importing anything', async () => {
    expect(await messages('src/runbook/example.ts', "import { Executor } from '../engine/executor.js';\nexport const x = Executor;\n")).toEqual([expect.stringContaining('src/runbook may not import src/engine')]);
    expect(await messages('src/contract/example.ts', "import type { KubeClient } from '../kube/client.js';\nexport type X = KubeClient;\n")).toEqual([expect.stringContaining('src/contract may not import src/kube')]);
  });

  it('lets every room import the contracts, and the CLI import any room', async () => {
    expect(await messages('src/kube/example.ts', "import { StepFailure } from '../contract/errors.js';\nexport const x = StepFailure;\n")).toEqual([]);
    expect(await messages('src/cli/example.ts', "import { Executor } from '../engine/executor.js';\nexport const x = Executor;\n")).toEqual([]);
  });
});
