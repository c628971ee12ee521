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
