// The `set` step and the CEL helpers runbooks build objects with (mergePatch, dropKeys): values
// reach later steps with their types, loops see their own item, errors name the expression, and
// every example of the step loads.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadRunbook } from '../../../src/runbook/loader.js';
import { evaluate } from '../../../src/runbook/expressions.js';
import { builtinRegistry } from '../../../src/steps/index.js';
import { setStep } from '../../../src/steps/set.js';
import { Harness, runbook, statusOf } from '../../fixtures/engine/harness.js';
import { World, standardTypes } from '../../fixtures/engine/types.js';

describe('mergePatch', () => {
  const isvc = {
    metadata: { name: 'granite', annotations: { 'sidecar.istio.io/inject': 'true', keep: 'yes' }, finalizers: ['x'] },
    spec: { predictor: { model: { runtime: 'vllm', replicas: 2 } } },
    status: { url: 'https://granite' },
  };

  it('merges maps, replaces other values and removes keys set to null', () => {
    expect(evaluate('mergePatch(o, {"metadata": {"name": "granite-raw", "finalizers": null}, "spec": {"predictor": {"model": {"runtime": "vllm-raw"}}}, "status": null})', { o: isvc })).toEqual({
      metadata: { name: 'granite-raw', annotations: { 'sidecar.istio.io/inject': 'true', keep: 'yes' } },
      spec: { predictor: { model: { runtime: 'vllm-raw', replicas: 2 } } },
    });
  });

  it('leaves its input alone', () => {
    const before = JSON.stringify(isvc);
    evaluate('mergePatch(o, {"metadata": null})', { o: isvc });
    expect(JSON.stringify(isvc)).toBe(before);
  });

  it('builds a map where the target has none, without the nulls of the patch', () => {
    expect(evaluate('mergePatch(o.metadata, {"labels": {"a": "1", "b": null}}).labels', { o: isvc })).toEqual({ a: '1' });
    expect(evaluate('mergePatch(null, {"a": {"b": null}})', {})).toEqual({ a: {} });
  });

  it('replaces lists whole, as JSON merge patch does', () => {
    expect(evaluate('mergePatch({"xs": [1, 2, 3]}, {"xs": [4]})', {})).toEqual({ xs: [4] });
  });

  it('keeps whole numbers as ints inside CEL', () => {
    expect(evaluate('mergePatch(o, {}).spec.predictor.model.replicas * 2', { o: isvc })).toBe(4);
  });

  it('a patch that is not a map replaces the target', () => {
    expect(evaluate('mergePatch({"a": 1}, "text")', {})).toBe('text');
  });
});

describe('dropKeys', () => {
  it('leaves out the keys a regular expression matches', () => {
    const labels = { 'networking.knative.dev/visibility': 'cluster-local', 'sidecar.istio.io/inject': 'true', 'opendatahub.io/dashboard': 'true' };
    expect(evaluate('dropKeys(l, "istio|knative")', { l: labels })).toEqual({ 'opendatahub.io/dashboard': 'true' });
    expect(evaluate('dropKeys(l, "^opendatahub")', { l: labels })).toEqual({ 'networking.knative.dev/visibility': 'cluster-local', 'sidecar.istio.io/inject': 'true' });
  });

  it('works on map literals and empty maps', () => {
    expect(evaluate('dropKeys({"a": 1, "b": 2}, "a")', {})).toEqual({ b: 2 });
    expect(evaluate('dropKeys({}, "a")', {})).toEqual({});
  });

  it('names a bad regular expression', () => {
    expect(() => evaluate('dropKeys({"a": 1}, "(")', {})).toThrow(/dropKeys: invalid regular expression "\("/);
  });
});

async function setup(steps: string, vars = '') {
  const world = new World();
  return Harness.create(runbook({ main: steps }, vars), [...standardTypes(world), setStep]);
}

describe('set', () => {
  it('registers the value of its expression, with its type', async () => {
    const h = await setup(
      [
        '- name: build',
        '  set:',
        '    value: \'{"name": base + "-raw", "replicas": replicas + 1, "zones": zones.map(z, z + "-1")}\'',
        '  register: built',
        '- name: use',
        '  set:',
        '    value: built.name + "/" + string(built.replicas)',
        '  register: used',
      ].join('\n'),
      'vars:\n  base: { default: granite }\n  replicas: { type: number, default: 2 }\n  zones: { type: list, default: [east] }\n',
    );
    const out = await h.run();
    expect(out.summary.status).toBe('succeeded');
    expect(out.state.registered.built).toEqual({ name: 'granite-raw', replicas: 3, zones: ['east-1'] });
    expect(out.state.registered.used).toBe('granite-raw/3');
    expect(statusOf(out, 'main/build')).toBe('ok');
    expect(out.results.get('main/build')?.summary).toBe('a map of 3 keys');
  });

  it('gives a whole "{{ name }}" reference its value in later step inputs', async () => {
    const h = await setup(
      [
        '- name: build',
        '  set: { value: \'{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}\' }',
        '  register: cm',
        '- name: again',
        '  set: { value: \'cm.kind == "ConfigMap" && cm.metadata.name == "x"\' }',
        '  register: same',
      ].join('\n'),
    );
    const out = await h.run();
    expect(out.results.get('main/build')?.summary).toBe('ConfigMap x');
    expect(out.state.registered.same).toBe(true);
  });

  it('sees the loop item, and its value belongs to the item', async () => {
    const h = await setup(
      [
        '- name: each',
        '  forEach: { items: \'["a", "b"]\', as: n }',
        '  steps:',
        '    - name: name it',
        '      set: { value: n + "-raw" }',
        '      register: named',
        '    - name: use it',
        '      set: { value: named + "!" }',
        '      register: used',
      ].join('\n'),
    );
    const out = await h.run();
    expect(out.summary.status).toBe('succeeded');
    expect(out.state.registered).toMatchObject({ 'named[a]': 'a-raw', 'used[a]': 'a-raw!', 'named[b]': 'b-raw', 'used[b]': 'b-raw!' });
  });

  it('registers null for an expression that gives null', async () => {
    const h = await setup('- name: nothing\n  set: { value: "null" }\n  register: v');
    const out = await h.run();
    expect(out.state.registered.v).toBeNull();
  });

  it('fails with the expression when it cannot be evaluated', async () => {
    const h = await setup('- name: bad\n  set: { value: "{}.missing + 1" }\n  register: v');
    const out = await h.run();
    expect(out.summary.status).toBe('failed');
    const error = out.results.get('main/bad')?.error;
    expect(error?.message).toMatch(/^set: /);
    expect(error?.hint).toBe('check the expression: {}.missing + 1');
  });

  it('runs in a dry run', async () => {
    const h = await setup('- name: build\n  set: { value: "1 + 1" }\n  register: v');
    const out = await h.run({ dryRun: 'client' });
    expect(statusOf(out, 'main/build')).toBe('ok');
    expect(out.state.registered.v).toBe(2);
  });

  it('reports a syntax error when the runbook is loaded, not when it runs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runbook-set-'));
    const file = join(dir, 'runbook.yaml');
    await writeFile(file, runbook({ main: '- name: bad\n  set: { value: "1 +" }' }));
    const loaded = await loadRunbook(file, { registry: builtinRegistry() });
    expect(loaded.problems.map((p) => p.message)).toEqual([expect.stringMatching(/step "bad" \(set\): invalid expression: unexpected end of expression/)]);
  });

  it('every example loads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runbook-set-'));
    for (const [i, example] of setStep.examples.entries()) {
      const file = join(dir, `example-${i}.yaml`);
      const names = ['isvc', 'naming', 'newName'];
      const vars = `vars:\n${names.map((n) => `  ${n}: {}`).join('\n')}\n`;
      await writeFile(file, runbook({ main: example }, vars));
      const loaded = await loadRunbook(file, { registry: builtinRegistry() });
      expect(loaded.problems, `example ${i}`).toEqual([]);
      expect(parse(example)).toBeInstanceOf(Array);
    }
  });
});
