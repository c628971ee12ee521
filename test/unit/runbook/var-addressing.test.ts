// A var of a file deep in the shipped upgrade, set from a site overlay that imports the upgrade:
// by its path from the site file, by its path from the runbook that imports it (as the upgrade's
// docs write it), or in the shipped form `runbook:PATH.var`.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRunbook } from '../../../src/runbook/loader.js';
import type { Plan } from '../../../src/runbook/types.js';
import { qualifiersOf, routeValues, shippedName } from '../../../src/runbook/var-addressing.js';
import { listVars, varsTable } from '../../../src/runbook/vars-listing.js';
import { packageRoot } from '../../../src/package-root.js';
import { builtinRegistry } from '../../../src/steps/index.js';

const SITE = `apiVersion: runbook.dev/v1
kind: Runbook
metadata: { name: site }
vars:
  batchNamespace: { default: batch, description: Namespace of the nightly batch job }
imports:
  - file: runbook:upgrade-2.25-to-3.3.yaml
`;

let plan: Plan;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runbook-site-vars-'));
  await writeFile(join(dir, 'site.yaml'), SITE);
  const loaded = await loadRunbook(join(dir, 'site.yaml'), { registry: builtinRegistry(), provided: new Proxy({}, { get: () => true }) });
  expect(loaded.problems).toEqual([]);
  plan = loaded.plan!;
}, 120_000);

describe('qualified var names from a site overlay', () => {
  it.each([
    'rhoai-2.25-to-3.3/before/model-serving.pinLlmConfigs',
    'rhoai-2.25-to-3.3/before/model-serving.yaml.pinLlmConfigs',
    'runbook:rhoai-2.25-to-3.3/before/model-serving.pinLlmConfigs',
    'runbook:rhoai-2.25-to-3.3/before/model-serving.yaml.pinLlmConfigs',
    'pinLlmConfigs',
  ])('%s sets the var', (name) => {
    const routed = routeValues(plan, { [name]: true });
    expect(routed.unknown).toEqual([]);
    const scope = Object.values(plan.scopes).find((s) => s.file.endsWith(join('before', 'model-serving.yaml')))!;
    expect(routed.scoped[scope.id]?.pinLlmConfigs?.value).toBe(true);
  });

  it('a path that names no import stays unknown', () => {
    expect(routeValues(plan, { 'before/model-serving.pinLlmConfigs': true }).unknown).toEqual(['before/model-serving.pinLlmConfigs']);
  });

  it('without the plan, only the loader\'s qualifiers', () => {
    const scope = Object.values(plan.scopes).find((s) => s.file.endsWith(join('before', 'model-serving.yaml')))!;
    expect(qualifiersOf(scope)).not.toContain('runbook:rhoai-2.25-to-3.3/before/model-serving');
    expect(qualifiersOf(scope, plan)).toContain('runbook:rhoai-2.25-to-3.3/before/model-serving');
  });

  it('shippedName names only files under the shipped runbooks', () => {
    expect(shippedName(join(packageRoot(), 'runbooks', 'upgrade-2.25-to-3.3.yaml'))).toBe('runbook:upgrade-2.25-to-3.3.yaml');
    expect(shippedName(join(dir, 'site.yaml'))).toBeUndefined();
  });
});

describe('runbook vars table for a site overlay', () => {
  it('has a description column and says each declaring file once, in its shipped form', () => {
    const vars = listVars(plan, dir);
    expect(vars.find((v) => v.name === 'pinLlmConfigs')?.declaredIn).toEqual(['runbook:rhoai-2.25-to-3.3/before/model-serving.yaml']);
    const table = varsTable(vars).split('\n');
    expect(table[0]).toMatch(/^NAME +TYPE +DEFAULT +DESCRIPTION$/);
    expect(table[1]).toBe('# site.yaml');
    expect(table[2]).toMatch(/^batchNamespace +string +batch +Namespace of the nightly batch job$/);
    expect(table).toContain('# runbook:rhoai-2.25-to-3.3/before/model-serving.yaml');
    expect(table.filter((l) => l === '# runbook:upgrade-2.25-to-3.3.yaml')).toHaveLength(1);
    expect(table.join('\n')).not.toContain('../');
    // A var declared alike in many files says how many more; -o json lists them.
    expect(table.find((l) => l.startsWith('dscName '))).toMatch(/\(\+\d+ files\) DataScienceCluster name/);
  });
});
