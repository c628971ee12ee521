// What steps see: vars, registered outputs and loop variables, in templates (handlebars) and in
// expressions (CEL), and that registered outputs outlive the process that registered them.
import { describe, expect, it } from 'vitest';
import type { StepType } from '../../../src/contract/step-type.js';
import { Harness, runbook, statusOf } from '../../fixtures/engine/harness.js';
import { World, standardTypes } from '../../fixtures/engine/types.js';

/** Records the input it was given after templating, and what ctx.evaluate/render return. */
function echo(seen: unknown[]): StepType<{ value?: unknown; expr?: string; tmpl?: string }> {
  return {
    name: 'echo',
    summary: 'records its rendered input',
    input: { type: 'object' },
    examples: [],
    dryRun: 'native',
    expressionFields: ['expr'],
    rawFields: ['tmpl'],
    async apply(ctx, input) {
      const record = {
        value: input.value,
        expr: input.expr === undefined ? undefined : ctx.evaluate(input.expr),
        tmpl: input.tmpl === undefined ? undefined : ctx.render(input.tmpl, { extra: 'x' }),
      };
      seen.push(record);
      return { changed: false, output: record };
    },
  };
}

const vars = `vars:
  name: { default: demo }
  replicas: { type: number, default: 3 }
  zones: { type: list, default: [east, west] }
`;

async function setup(steps: string, given: Record<string, unknown> = {}) {
  const seen: unknown[] = [];
  const world = new World();
  const h = await Harness.create(runbook({ main: steps }, vars), [...standardTypes(world), echo(seen)], { given });
  return { h, seen, world };
}

describe('templates and expressions', () => {
  const cases: { name: string; step: string; want: Record<string, unknown> }[] = [
    { name: 'a var in a template', step: 'echo: { value: "app-{{ name }}" }', want: { value: 'app-demo' } },
    { name: 'a single reference keeps its type', step: 'echo: { value: "{{ replicas }}" }', want: { value: 3 } },
    { name: 'vars.x is the same var', step: 'echo: { value: "{{ vars.name }}" }', want: { value: 'demo' } },
    { name: 'a helper', step: 'echo: { value: "{{ upper name }}" }', want: { value: 'DEMO' } },
    { name: 'an expression field is CEL, not rendered', step: 'echo: { expr: "name + string(size(zones))" }', want: { expr: 'demo2' } },
    { name: 'run.id and run.dryRun', step: 'echo: { expr: "run.id + \\":\\" + string(run.dryRun)" }', want: { expr: 'test-run:false' } },
    { name: 'a raw field is left for the step to render', step: 'echo: { tmpl: "{{ name }}-{{ extra }}" }', want: { tmpl: 'demo-x' } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { h, seen } = await setup(`- name: s\n  ${c.step}`);
      const out = await h.run();
      expect(out.summary.status).toBe('succeeded');
      expect(seen[0]).toMatchObject(c.want);
    });
  }

  it('given values override defaults', async () => {
    const { h, seen } = await setup('- name: s\n  echo: { value: "{{ name }}/{{ replicas }}" }', { name: 'prod', replicas: '5' });
    await h.run();
    expect(seen[0]).toMatchObject({ value: 'prod/5' });
  });

  it('a template that fails at run time fails the step with a hint', async () => {
    const { h } = await setup('- name: s\n  echo: { value: "{{ semverLt name \\"1.0\\" }}" }');
    const out = await h.run();
    expect(out.results.get('main/s')?.error).toMatchObject({ message: expect.stringMatching(/^template: not a version/) });
  });
});

describe('register', () => {
  it('makes the output available to later templates, when and until', async () => {
    const { h, seen } = await setup(
      [
        '- name: produce',
        '  probe: { key: p, output: { size: 2, label: big } }',
        '  register: made',
        '- name: use',
        '  when: made.size == 2 && made.count == 1',
        '  echo: { value: "{{ made.label }}-{{ made.count }}", expr: "made.size + replicas" }',
        '- name: skipped',
        '  when: made.size > 5',
        '  echo: { value: never }',
      ].join('\n'),
    );
    const out = await h.run();
    expect(seen).toEqual([{ value: 'big-1', expr: 5, tmpl: undefined }]);
    expect(statusOf(out, 'main/skipped')).toBe('skipped');
    expect(out.state.registered.made).toEqual({ key: 'p', count: 1, size: 2, label: 'big' });
  });

  it('registers the check output when the effect already holds', async () => {
    const { h, seen, world } = await setup('- name: produce\n  probe: { key: p }\n  register: made\n- name: use\n  echo: { expr: "made.held" }');
    world.holds.add('p');
    await h.run();
    expect(seen[0]).toMatchObject({ expr: true });
  });

  it('a registered output outlives the run: a resume reads it from the state', async () => {
    const { h, seen, world } = await setup(
      '- name: produce\n  probe: { key: p, output: { answer: 42 } }\n  register: made\n- name: use\n  probe: { key: u }\n- name: show\n  echo: { value: "{{ made.answer }}" }',
    );
    world.fail('u', 1, false);
    expect((await h.run()).summary.status).toBe('failed');
    world.calls.length = 0;
    const out = await h.run({ resume: true });
    expect(out.summary.status).toBe('succeeded');
    expect(world.of('apply')).toEqual(['u']);
    expect(seen).toEqual([{ value: 42, expr: undefined, tmpl: undefined }]);
  });

  it('the loop variable is seen in templates, expressions and when', async () => {
    const { h, seen } = await setup(
      [
        '- name: loop',
        '  forEach:',
        '    items: zones',
        '    as: zone',
        '  steps:',
        '    - name: s',
        '      when: zone != "north"',
        '      echo: { value: "{{ name }}-{{ zone }}", expr: "zone + string(replicas)" }',
      ].join('\n'),
    );
    await h.run();
    expect(seen).toEqual([
      { value: 'demo-east', expr: 'east3', tmpl: undefined },
      { value: 'demo-west', expr: 'west3', tmpl: undefined },
    ]);
  });

  it('items can be a template that renders to a list', async () => {
    const { h, seen } = await setup('- name: loop\n  forEach:\n    items: "{{ zones }}"\n  steps:\n    - name: s\n      echo: { value: "{{ item }}" }');
    await h.run();
    expect(seen.map((s) => (s as { value: string }).value)).toEqual(['east', 'west']);
  });
});

describe('registers no step has set', () => {
  it('read as null, so a when over them works when their step was skipped', async () => {
    const world = new World();
    const h = await Harness.create(
      runbook({
        main: [
          '- name: decide',
          '  id: decide',
          '  probe: { key: decide, output: { upgraded: true } }',
          '  register: decision',
          '- name: act',
          '  id: act',
          '  when: decision == null || decision.upgraded != true',
          '  probe: { key: act }',
        ].join('\n'),
      }),
      standardTypes(world),
    );
    const out = await h.run({ selection: { skip: ['decide'] } });
    expect(out.summary.status).toBe('succeeded');
    expect(statusOf(out, 'act')).toBe('changed');
    expect(world.of('apply')).toEqual(['act']);
  });
});

describe('a step input is checked again once its templates are rendered', () => {
  /** Takes a name and a count, as a step's schema would declare them. */
  const typed: StepType<{ name: string; count: number }> = {
    name: 'typed',
    summary: 'a step with typed input',
    input: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', minLength: 1 }, count: { type: 'integer' } } },
    examples: [],
    dryRun: 'native',
    async apply() {
      return { changed: false };
    },
  };

  it('a template that renders a value of the wrong type fails the step by id, not inside it', async () => {
    const world = new World();
    const h = await Harness.create(runbook({ main: '- name: Take a list\n  id: main/take\n  typed: { name: "{{ zones }}", count: "{{ replicas }}" }' }, vars), [...standardTypes(world), typed]);
    const out = await h.run();
    expect(out.summary.status).toBe('failed');
    const failed = out.results.get('main/take');
    expect(failed?.status).toBe('failed');
    expect(failed?.error?.message).toMatch(/^step main\/take \(typed\), after its templates were rendered: .*name.* must be a string/);
  });

  it('a rendered value of the right type passes', async () => {
    const world = new World();
    const h = await Harness.create(runbook({ main: '- name: Take a name\n  id: main/take\n  typed: { name: "{{ name }}", count: "{{ replicas }}" }' }, vars), [...standardTypes(world), typed]);
    expect((await h.run()).summary.status).toBe('succeeded');
  });
});


describe('registered values a step sees', () => {
  /** Records the names of the values it sees. */
  const names = (seen: string[][]): StepType<Record<string, unknown>> => ({
    name: 'names',
    summary: 'records the names it can read',
    input: { type: 'object' },
    examples: [],
    dryRun: 'native',
    async apply(ctx) {
      seen.push(Object.keys(ctx.vars));
      return { changed: false, output: { seen: true } };
    },
  });
  const steps = [
    '- name: before',
    '  names: {}',
    '  register: first',
    '- name: loop',
    '  forEach: { items: \'["a", "b", "c"]\' }',
    '  steps:',
    '    - name: compute',
    '      probe: { key: "c-{{ item }}", output: { for: "{{ item }}" } }',
    '      register: computed',
    '- name: after',
    '  names: {}',
  ].join('\n');

  it('sees what steps outside loops registered, and none of the values kept for loop items', async () => {
    const seen: string[][] = [];
    const world = new World();
    const h = await Harness.create(runbook({ main: steps }, vars), [...standardTypes(world), names(seen)]);
    const out = await h.run();
    expect(out.summary.status).toBe('succeeded');
    expect(Object.keys(out.state.registered)).toEqual(expect.arrayContaining(['first', 'computed[a]', 'computed[c]']));
    const after = seen.at(-1)!;
    expect(after).toEqual(expect.arrayContaining(['first', 'computed', 'name', 'vars', 'run']));
    expect(after.filter((n) => n.includes('['))).toEqual([]);
  });

  it('a resumed run sees what the earlier run registered', async () => {
    const seen: string[][] = [];
    const world = new World();
    world.fail('c-b', 1, false);
    const h = await Harness.create(runbook({ main: steps.replace('- name: after\n  names: {}', '- name: after\n  probe: { key: "after-{{ first.seen }}" }') }, vars), [...standardTypes(world), names(seen)]);
    expect((await h.run()).summary.status).toBe('failed');
    expect((await h.run({ resume: true })).summary.status).toBe('succeeded');
    // `before` ran once, in the first run; the resumed run's last step read what it registered.
    expect(seen).toHaveLength(1);
    expect(world.of('apply')).toContain('after-true');
  });
});
