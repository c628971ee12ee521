// Overlays: a site runbook imports ours and adds steps before or after a step id, replaces one, or
// skips one. Checked at load time (an id that does not exist is an error at its line, with a
// suggestion), and visible in the plan (the nodes carry where they came from).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/engine/selection.js';
import { loadRunbook } from '../../../src/runbook/loader.js';
import type { PlanNode, Section } from '../../../src/runbook/types.js';
import { builtinRegistry } from '../../../src/steps/index.js';

const BASE = `apiVersion: runbook.dev/v1
kind: Runbook
metadata: { name: base }
vars:
  target: { default: "3.3" }
sections:
  - name: before
    steps:
      - { name: Back up, id: before/backup, set: { value: 'true' } }
      - name: Each item
        id: before/each
        forEach: { items: '["a", "b"]', as: thing }
        steps:
          - { name: Touch, id: before/each/touch, set: { value: thing } }
  - name: during
    steps:
      - { name: Upgrade, id: during/upgrade, set: { value: 'true' } }
      - { name: Verify, id: during/verify, set: { value: 'true' } }
`;

async function load(site: string) {
  const dir = await mkdtemp(join(tmpdir(), 'overlay-'));
  await writeFile(join(dir, 'base.yaml'), BASE);
  await writeFile(join(dir, 'site.yaml'), site);
  return { ...(await loadRunbook(join(dir, 'site.yaml'), { registry: builtinRegistry() })), dir };
}

const site = (overlays: string) => `apiVersion: runbook.dev/v1
kind: Runbook
metadata: { name: site }
vars:
  batchJob: { default: nightly }
imports:
  - file: base.yaml
overlays:
${overlays}
`;

const ids = (sections: Section[] | undefined, name: string): string[] => {
  const out: string[] = [];
  const walk = (n: PlanNode): void => {
    out.push(n.id);
    if (n.kind !== 'step') n.children.forEach(walk);
  };
  sections?.find((s) => s.name === name)?.nodes.forEach(walk);
  return out;
};

describe('overlays', () => {
  it('adds steps before and after an id, replaces one, and skips one, in the site scope', async () => {
    const { plan, problems } = await load(
      site(`  - before: during/upgrade
    reason: the nightly batch must not run during the upgrade
    steps:
      - { name: Scale down the batch job, id: site/scale-down, set: { value: vars.batchJob } }
  - after: during/upgrade
    steps:
      - { name: Tell the team, id: site/notify, set: { value: 'true' } }
  - replace: before/backup
    steps:
      - { name: Site backup, id: site/backup, set: { value: 'true' } }
  - skip: during/verify
    reason: verified by the site's own checks`),
    );
    expect(problems).toEqual([]);
    expect(ids(plan!.sections, 'during')).toEqual(['site/scale-down', 'during/upgrade', 'site/notify', 'during/verify']);
    expect(ids(plan!.sections, 'before')[0]).toBe('site/backup');
    const during = plan!.sections.find((s) => s.name === 'during')!.nodes;
    expect(during[0]!.overlay).toMatchObject({ op: 'before', target: 'during/upgrade', reason: 'the nightly batch must not run during the upgrade' });
    expect(during[0]!.scope).toBe('');
    expect(during[1]!.overlay).toBeUndefined();
    // A skipped step never runs, whatever the selection; the reason names the overlay.
    const decision = decide(during[3]!, { only: [], skip: [] }, false);
    expect(decision).toEqual({ run: false, reason: expect.stringMatching(/^skipped by the overlay at site\.yaml:\d+: verified by the site's own checks$/) });
    expect(plan!.overlays?.map((o) => [o.op, o.added])).toEqual([['before', ['site/scale-down']], ['after', ['site/notify']], ['replace', ['site/backup']], ['skip', []]]);
  });

  it('a step added inside a loop body sees the loop variable', async () => {
    const { problems } = await load(
      site(`  - after: before/each/touch
    steps:
      - { name: Log, id: site/log, set: { value: thing } }`),
    );
    expect(problems).toEqual([]);
  });

  it('an id that does not exist is an error at the overlay, with a suggestion', async () => {
    const { problems } = await load(
      site(`  - before: during/upgrad
    steps:
      - { name: X, set: { value: '1' } }`),
    );
    expect(problems).toEqual([
      expect.objectContaining({ message: 'overlay before: no step has the id "during/upgrad"', hint: expect.stringContaining('did you mean "during/upgrade"?'), at: expect.objectContaining({ line: 9, column: 13 }) }),
    ]);
  });

  it('an overlay that names no action, or two, is refused by the format check', async () => {
    const { problems } = await load(site(`  - reason: nothing to do`));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/overlays/);
    const two = await load(site(`  - { skip: during/verify, before: during/upgrade, steps: [{ name: X, set: { value: '1' } }] }`));
    expect(two.problems).toHaveLength(1);
  });
});
