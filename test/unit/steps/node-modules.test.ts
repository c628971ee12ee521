// The Node modules only some steps use are loaded by their first use, and are Node's own.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { nodeModule } from '../../../src/steps/node-modules.js';

describe('nodeModule', () => {
  it("gives Node's own module", () => {
    const require = createRequire(import.meta.url);
    for (const name of ['node:child_process', 'node:http', 'node:https', 'node:net', 'node:tls'] as const) expect(nodeModule(name)).toBe(require(name));
  });
});
