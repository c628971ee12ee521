// Step ids: derived from the section, groups and name so that inserting a step does not renumber
// its neighbours; siblings with one name get -2, -3; explicit ids are used as written.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allIds } from '../../../src/engine/selection.js';
import { IdAllocator, slug } from '../../../src/runbook/ids.js';
import { loadRunbook } from '../../../src/runbook/loader.js';
import { builtinRegistry } from '../../../src/steps/index.js';

describe('slug', () => {
  const cases: [string, string][] = [
    ['Wait for the DSC', 'wait-for-the-dsc'],
    ['  Upgrade: 2.25 → 3.3!  ', 'upgrade-2-25-3-3'],
    ['Über Größe', 'uber-grosse'],
    ['CamelCase_and_snake', 'camelcase-and-snake'],
    ['!!!', 'step'],
    ['', 'step'],
    ['a'.repeat(59) + ' tail', 'a'.repeat(59)],
  ];
  for (const [name, want] of cases) {
    it(`${JSON.stringify(name)} → ${want}`, () => expect(slug(name)).toBe(want));
  }

  it('is at most 60 characters and never ends with a dash', () => {
    const s = slug('word '.repeat(30));
    expect(s.length).toBeLessThanOrEqual(60);
    expect(s).not.toMatch(/-$/);
  });
});

describe('IdAllocator', () => {
  it('derives under the parent and numbers siblings that share a name', () => {
    const ids = new IdAllocator();
    expect(ids.derive('before', 'Stop notebooks')).toBe('before/stop-notebooks');
    expect(ids.derive('before', 'Stop notebooks')).toBe('before/stop-notebooks-2');
    expect(ids.derive('before', 'Stop  notebooks!')).toBe('before/stop-notebooks-3');
    expect(ids.derive('after', 'Stop notebooks')).toBe('after/stop-notebooks');
    expect(ids.derive('', 'Top')).toBe('top');
  });

  it('claims explicit ids once; a derived id steps around a claimed one', () => {
    const ids = new IdAllocator();
    expect(ids.claim('before/check')).toBe(true);
    expect(ids.claim('before/check')).toBe(false);
    expect(ids.derive('before', 'Check')).toBe('before/check-2');
    expect(ids.has('before/check-2')).toBe(true);
  });
});

describe('ids of a loaded runbook', () => {
  async function idsOf(files: Record<string, string>): Promise<string[]> {
    const dir = await mkdtemp(join(tmpdir(), 'runbook-ids-'));
    for (const [name, text] of Object.entries(files)) {
      await mkdir(join(dir, name, '..'), { recursive: true });
      await writeFile(join(dir, name), text);
    }
    const { plan, problems } = await loadRunbook(join(dir, 'main.yaml'), { registry: builtinRegistry() });
    expect(problems).toEqual([]);
    return allIds(plan!.sections);
  }

  const head = 'apiVersion: runbook.dev/v1\nkind: Runbook\nmetadata: { name: demo }\n';
  const step = (name: string, extra = ''): string => `      - name: ${name}\n${extra}        exec: { command: [oc, whoami] }\n`;

  it('follows sections, groups and loops; explicit ids are kept; repeats are numbered', async () => {
    const ids = await idsOf({
      'main.yaml':
        head +
        'sections:\n  - name: before\n    steps:\n' +
        step('Check') +
        step('Check') +
        step('Pinned', '        id: pinned-check\n') +
        '      - name: Per zone\n        forEach: { items: [a, b] }\n        steps:\n          - name: Label\n            exec: { command: [oc, label] }\n' +
        '      - name: Group\n        steps:\n          - name: Check\n            exec: { command: [oc, whoami] }\n' +
        '  - name: after\n    steps:\n' +
        step('Check'),
    });
    expect(ids).toEqual([
      'before/check',
      'before/check-2',
      'pinned-check',
      'before/per-zone',
      'before/per-zone/label',
      'before/group',
      'before/group/check',
      'after/check',
    ]);
  });

  it('puts the steps of an imported file under the import, or under section/file for top-level imports', async () => {
    const shared = head.replace('demo', 'shared') + 'sections:\n  - name: before\n    steps:\n' + step('Check');
    const ids = await idsOf({
      'main.yaml':
        head +
        'imports:\n  - file: parts/shared.yaml\n' +
        'sections:\n  - name: before\n    steps:\n' +
        '      - name: Again\n        import: parts/shared.yaml\n' +
        '      - name: Again\n        import: parts/shared.yaml\n',
      'parts/shared.yaml': shared,
    });
    expect(ids).toEqual(['before/shared/check', 'before/again', 'before/again/check', 'before/again-2', 'before/again-2/check']);
  });

  it('merges the top-level imports of an imported file before its own steps', async () => {
    const inner = head.replace('demo', 'inner') + 'sections:\n  - name: before\n    steps:\n' + step('Inner step');
    const outer =
      head.replace('demo', 'outer') + 'imports:\n  - file: inner.yaml\nsections:\n  - name: before\n    steps:\n' + step('Outer step');
    const ids = await idsOf({
      'main.yaml': head + 'imports:\n  - file: parts/outer.yaml\nsections:\n  - name: before\n    steps:\n' + step('Own step'),
      'parts/outer.yaml': outer,
      'parts/inner.yaml': inner,
    });
    expect(ids).toEqual(['before/inner/inner-step', 'before/outer/outer-step', 'before/own-step']);
  });

  it('an imported file with several sections gets one group per section', async () => {
    const two =
      head.replace('demo', 'two') + 'sections:\n  - name: first\n    steps:\n' + step('A') + '  - name: second\n    steps:\n' + step('B');
    const ids = await idsOf({
      'main.yaml': head + 'sections:\n  - name: main\n    steps:\n      - name: Both\n        import: two.yaml\n',
      'two.yaml': two,
    });
    expect(ids).toEqual(['main/both', 'main/both/first', 'main/both/first/a', 'main/both/second', 'main/both/second/b']);
  });
});
