// A templated value skips the schema at load time and meets it once rendered: a version range a
// template renders must still parse, or the step would wait for a plan that never comes.
import { describe, expect, it } from 'vitest';
import { checkRendered } from '../../../src/runbook/schema-check.js';
import { approveInstallPlanStep } from '../../../src/steps/olm/approve-install-plan.js';

const input = (version: string) => ({ subscription: 'rhods-operator', namespace: 'redhat-ods-operator', version });

describe('checkRendered', () => {
  it('refuses a rendered semver range that does not parse', () => {
    expect(checkRendered(input('>=3.3.2 <<3.4'), approveInstallPlanStep.input, 'step s/approve (approveInstallPlan)')).toEqual([
      expect.objectContaining({ message: 'step s/approve (approveInstallPlan): "version" is not a valid semver range (e.g. ">=3.3.2 <3.4.0")' }),
    ]);
  });

  it('accepts a rendered range that parses', () => {
    expect(checkRendered(input('>=3.3.2 <3.4.0'), approveInstallPlanStep.input, 'step s/approve (approveInstallPlan)')).toEqual([]);
  });
});

describe('the schemas the loader compiles', () => {
  it('are all valid JSON Schemas, as the loader no longer checks each against the meta-schema', async () => {
    const { loadRunbook } = await import('../../../src/runbook/loader.js');
    const { builtinRegistry } = await import('../../../src/steps/index.js');
    const { compiledSchemas } = await import('../../../src/runbook/schema-check.js');
    const { Ajv } = await import('ajv');
    const loaded = await loadRunbook('runbooks/upgrade-2.25-to-3.3.yaml', { registry: builtinRegistry(), provided: {} });
    expect(loaded.problems).toEqual([]);
    const registry = builtinRegistry();
    const metaCheck = new Ajv({ strict: false, allowUnionTypes: true, validateFormats: false });
    metaCheck.addFormat('semverRange', true);
    const schemas = [...compiledSchemas(), ...registry.all().map((t) => t.input)];
    expect(schemas.length).toBeGreaterThan(20);
    for (const schema of schemas) expect(metaCheck.validateSchema(schema), JSON.stringify(metaCheck.errors)).toBe(true);
  }, 60_000);
});
