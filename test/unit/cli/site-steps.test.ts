// `runbook plan` of a site overlay marks the site's steps (and the items of a site loop) in the
// step list; the runbook's own steps pass unchanged.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markSiteSteps } from '../../../src/cli/site-steps.js';
import type { NodeInfo, RunEvent } from '../../../src/engine/events.js';
import { loadRunbook } from '../../../src/runbook/loader.js';
import { builtinRegistry } from '../../../src/steps/index.js';

const BASE = `apiVersion: runbook.dev/v1
kind: Runbook
metadata: { name: base }
sections:
  - name: before
    steps:
      - { name: Back up, id: before/backup, set: { value: '2' } }
`;

const SITE = `apiVersion: runbook.dev/v1
kind: Runbook
metadata: { name: site }
imports:
  - file: base.yaml
overlays:
  - before: before/backup
    steps:
      - { name: Scale down, id: site/scale, set: { value: '1' } }
      - name: Each
        id: site/each
        forEach: { items: '["a"]', as: it }
        steps:
          - { name: Touch, id: site/each/touch, set: { value: it } }
`;

const node = (id: string, name: string, kind: NodeInfo['kind'] = 'step'): NodeInfo => ({ id, name, kind, depth: 0 });

describe('markSiteSteps', () => {
  it('names the site steps [site] NAME, and leaves the others and other events alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'site-steps-'));
    await writeFile(join(dir, 'base.yaml'), BASE);
    await writeFile(join(dir, 'site.yaml'), SITE);
    const { plan, problems } = await loadRunbook(join(dir, 'site.yaml'), { registry: builtinRegistry() });
    expect(problems).toEqual([]);
    const seen: RunEvent[] = [];
    const listener = markSiteSteps(plan!, (e) => seen.push(e));
    const result = { status: 'changed', attempts: 1, durationMs: 0 } as const;
    listener({ type: 'node:end', node: node('site/scale', 'Scale down'), result });
    listener({ type: 'node:start', node: node('site/each[a]', 'a', 'item') });
    listener({ type: 'node:end', node: node('before/backup', 'Back up'), result });
    listener({ type: 'section:start', name: 'before' });
    expect(seen.map((e) => ('node' in e ? e.node.name : e.type))).toEqual(['[site] Scale down', '[site] a', 'Back up', 'section:start']);
  });
});
