// The `writeFile` step: YAML, JSON and text from values built by earlier steps, one file or many,
// private by default, skipped when the files already hold exactly that text (a re-run and a resume
// write nothing), and written in dry runs too.
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRunbook } from '../../../src/runbook/loader.js';
import { builtinRegistry } from '../../../src/steps/index.js';
import { setStep } from '../../../src/steps/set.js';
import { writeFileStep } from '../../../src/steps/write-file.js';
import { Harness, runbook, statusOf } from '../../fixtures/engine/harness.js';
import { World, standardTypes } from '../../fixtures/engine/types.js';

let dir: string;
let cwd: string;

beforeEach(async () => {
  // Paths are relative to the directory runbook was started in.
  dir = await mkdtemp(join(tmpdir(), 'runbook-write-'));
  cwd = process.cwd();
  process.chdir(dir);
});

afterEach(() => {
  process.chdir(cwd);
});

async function setup(steps: string, vars = '') {
  const world = new World();
  return Harness.create(runbook({ main: steps }, vars), [...standardTypes(world), setStep, writeFileStep]);
}

const BUILD = [
  '- name: build',
  '  set:',
  '    value: >-',
  '      {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",',
  '       "metadata": {"name": "granite-raw", "annotations": {"serving.kserve.io/deploymentMode": "RawDeployment"}},',
  '       "spec": {"predictor": {"model": {"runtime": "vllm-raw", "storageUri": "oci://registry.example.com/models/granite-3.1-8b-instruct-with-a-long-name:1.0"}}}}',
  '  register: isvc',
].join('\n');

describe('writeFile', () => {
  it('writes an object as YAML, keys in the order built and long strings unfolded', async () => {
    const h = await setup(`${BUILD}\n- name: write\n  writeFile:\n    path: out/granite/raw/granite-raw-isvc.yaml\n    content: "{{ isvc }}"\n  register: w`);
    const out = await h.run();
    expect(out.summary.status).toBe('succeeded');
    expect(statusOf(out, 'main/write')).toBe('changed');
    expect(await readFile(join(dir, 'out/granite/raw/granite-raw-isvc.yaml'), 'utf8')).toBe(
      [
        'apiVersion: serving.kserve.io/v1beta1',
        'kind: InferenceService',
        'metadata:',
        '  name: granite-raw',
        '  annotations:',
        '    serving.kserve.io/deploymentMode: RawDeployment',
        'spec:',
        '  predictor:',
        '    model:',
        '      runtime: vllm-raw',
        '      storageUri: oci://registry.example.com/models/granite-3.1-8b-instruct-with-a-long-name:1.0',
        '',
      ].join('\n'),
    );
    expect(out.state.registered.w).toEqual({ written: ['out/granite/raw/granite-raw-isvc.yaml'], unchanged: [], files: ['out/granite/raw/granite-raw-isvc.yaml'] });
    expect(out.results.get('main/write')?.summary).toBe('wrote out/granite/raw/granite-raw-isvc.yaml');
  });

  it('is skipped when the file already holds that text, and writes again when it differs', async () => {
    const steps = `${BUILD}\n- name: write\n  writeFile: { path: isvc.yaml, content: "{{ isvc }}" }`;
    const first = await (await setup(steps)).run();
    expect(statusOf(first, 'main/write')).toBe('changed');
    const written = await stat(join(dir, 'isvc.yaml'));

    const second = await (await setup(steps)).run();
    expect(statusOf(second, 'main/write')).toBe('ok');
    expect(second.results.get('main/write')?.reason).toBe('isvc.yaml already holds this content');
    expect((await stat(join(dir, 'isvc.yaml'))).mtimeMs).toBe(written.mtimeMs);

    await writeFile(join(dir, 'isvc.yaml'), 'edited by hand\n');
    const third = await (await setup(steps)).run();
    expect(statusOf(third, 'main/write')).toBe('changed');
    expect(await readFile(join(dir, 'isvc.yaml'), 'utf8')).toMatch(/^apiVersion: serving.kserve.io\/v1beta1\n/);
  });

  it('writes several files from a list built by an earlier step, only those that differ', async () => {
    const steps = [
      '- name: list',
      '  set:',
      '    value: \'[{"path": "d/a.yaml", "content": {"a": 1}}, {"path": "d/b.json", "content": {"b": [1, 2]}}, {"path": "d/c.txt", "content": "plain\\n"}]\'',
      '  register: files',
      '- name: write',
      '  writeFile: { files: "{{ files }}" }',
      '  register: w',
    ].join('\n');
    await writeFile(join(dir, 'seed'), '');
    const first = await (await setup(steps)).run();
    expect(first.summary.status).toBe('succeeded');
    expect(await readFile(join(dir, 'd/a.yaml'), 'utf8')).toBe('a: 1\n');
    expect(await readFile(join(dir, 'd/b.json'), 'utf8')).toBe('{\n  "b": [\n    1,\n    2\n  ]\n}\n');
    expect(await readFile(join(dir, 'd/c.txt'), 'utf8')).toBe('plain\n');

    await writeFile(join(dir, 'd/a.yaml'), 'a: 0\n');
    const second = await (await setup(steps)).run();
    expect(second.state.registered.w).toEqual({ written: ['d/a.yaml'], unchanged: ['d/b.json', 'd/c.txt'], files: ['d/a.yaml', 'd/b.json', 'd/c.txt'] });
    expect(second.results.get('main/write')?.summary).toBe('wrote 1 file, 2 unchanged');
  });

  it('makes files and folders private unless a mode is given', async () => {
    const h = await setup('- name: a\n  writeFile: { path: p/secret.yaml, content: { kind: Secret } }\n- name: b\n  writeFile: { path: p/readme.txt, content: hello, mode: "0644" }');
    await h.run();
    expect((await stat(join(dir, 'p/secret.yaml'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'p'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'p/readme.txt'))).mode & 0o777).toBe(0o644);
  });

  it('follows the format given over the extension', async () => {
    const h = await setup('- name: a\n  writeFile: { path: x.txt, content: { a: 1 }, format: json }\n- name: b\n  writeFile: { path: y.yaml, content: "text", format: text }');
    await h.run();
    expect(await readFile(join(dir, 'x.txt'), 'utf8')).toBe('{\n  "a": 1\n}\n');
    expect(await readFile(join(dir, 'y.yaml'), 'utf8')).toBe('text');
  });

  it('writes in a dry run: the files change nothing on the cluster', async () => {
    const h = await setup(`${BUILD}\n- name: write\n  writeFile: { path: dry/isvc.yaml, content: "{{ isvc }}" }`);
    const out = await h.run({ dryRun: 'client' });
    expect(statusOf(out, 'main/write')).toBe('changed');
    expect(await readFile(join(dir, 'dry/isvc.yaml'), 'utf8')).toMatch(/name: granite-raw/);
  });

  it('fails on a bad list of files, and on one path listed twice with different contents', async () => {
    const bad = await (await setup('- name: l\n  set: { value: \'[{"path": "a.yaml"}]\' }\n  register: f\n- name: w\n  writeFile: { files: "{{ f }}" }')).run();
    // Caught by the schema once the template is rendered, before the step runs.
    expect(bad.results.get('main/w')?.error?.message).toBe('step main/w (writeFile), after its templates were rendered: missing required field "files[0].content"');
    const twice = await (
      await setup('- name: l\n  set: { value: \'[{"path": "a.yaml", "content": 1}, {"path": "./a.yaml", "content": 2}]\' }\n  register: f\n- name: w\n  writeFile: { files: "{{ f }}" }')
    ).run();
    expect(twice.results.get('main/w')?.error?.message).toBe('writeFile: ./a.yaml is listed twice with different contents');
    const text = await (await setup('- name: o\n  set: { value: \'{"a": 1}\' }\n  register: o\n- name: w\n  writeFile: { path: a.txt, content: "{{ o }}", format: text }')).run();
    expect(text.results.get('main/w')?.error?.message).toBe('step main/w (writeFile), after its templates were rendered: "content" must be a string');
  });

  it('every example loads', async () => {
    for (const [i, example] of writeFileStep.examples.entries()) {
      const file = join(dir, `example-${i}.yaml`);
      const vars = 'vars:\n  outputDir: {}\n  isvc: {}\n  convertedFiles: {}\n  count: {}\n';
      await writeFile(file, runbook({ main: example }, vars));
      const loaded = await loadRunbook(file, { registry: builtinRegistry() });
      expect(loaded.problems, `example ${i}`).toEqual([]);
    }
  });
});
