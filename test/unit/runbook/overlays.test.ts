// Where an overlay lands, and what to say when it lands nowhere: a step an earlier overlay
// replaced is named as replaced (where, and by which ids), not as an id that never existed; the
// site's nodes are found for marking in the plan.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRunbook } from '../../../src/runbook/loader.js';
import { missingTarget, replacedBy, siteNodeIds } from '../../../src/runbook/overlays.js';
import type { Plan } from '../../../src/runbook/types.js';
import { builtinRegistry } from '../../../src/steps/index.js';

const BASE = `apiVersion: runbook.dev/v1
kind: Runbook
metadata: { name: base }
sections:
  - name: before
    steps:
      - { name: Read, id: before/read, set: { value: '1' } }
      - { name: Back up, id: before/backup, set: { value: '2' } }
`;

const SITE = `apiVersion: runbook.dev/v1
kind: Runbook
metadata: { name: site }
imports:
  - file: base.yaml
overlays:
  - replace: before/read
    steps:
      - { name: Read all, id: site/read, set: { value: '3' } }
  - after: before/backup
    steps:
      - name: Each
        id: site/each
        forEach: { items: '["a"]', as: it }
        steps:
          - { name: Touch, id: site/each/touch, set: { value: it } }
`;

let plan: Plan;
const at = { file: '/x/site.yaml', line: 14, column: 12 };

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'overlay-target-'));
  await writeFile(join(dir, 'base.yaml'), BASE);
  await writeFile(join(dir, 'site.yaml'), SITE);
  const loaded = await loadRunbook(join(dir, 'site.yaml'), { registry: builtinRegistry() });
  expect(loaded.problems).toEqual([]);
  plan = loaded.plan!;
});

describe('an overlay target that is not in the plan', () => {
  it('a replaced step: says by which overlay, and suggests the id that took its place', () => {
    expect(replacedBy(plan.sections, 'before/read')?.added).toEqual(['site/read']);
    expect(missingTarget(plan.sections, 'after', 'before/read', at, basename)).toEqual({
      message: 'overlay after: the step "before/read" was replaced by the overlay at site.yaml:7',
      hint: 'did you mean "site/read"? name a step that replaced it: site/read',
      at,
    });
  });

  it('an id that never existed: the closest id', () => {
    expect(missingTarget(plan.sections, 'skip', 'before/bakup', at, basename)).toEqual({
      message: 'overlay skip: no step has the id "before/bakup"',
      hint: 'did you mean "before/backup"? runbook validate FILE --list-steps prints every step id',
      at,
    });
  });
});

describe('site nodes', () => {
  it('are the nodes an overlay put in, and everything under them', () => {
    expect([...siteNodeIds(plan.sections)].sort()).toEqual(['site/each', 'site/each/touch', 'site/read']);
  });
});
