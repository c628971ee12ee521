import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { readPlainYaml } from '../../../src/runbook/plain-yaml.js';

/** What the full parser reads, or 'error' when it finds anything wrong. */
function fully(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) return 'error';
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch {
    return 'error';
  }
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFilesUnder(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

describe('readPlainYaml', () => {
  it.each([
    // The YAML 1.2 core schema's plain scalars.
    ['a: 1', { a: 1 }],
    ['a: -17', { a: -17 }],
    ['a: 0o17', { a: 15 }],
    ['a: 0x1F', { a: 31 }],
    ['a: 017', { a: 17 }],
    ['a: 1_000', { a: '1_000' }],
    ['a: 0b101', { a: '0b101' }],
    ['a: 1.5', { a: 1.5 }],
    ['a: 1e3', { a: 1000 }],
    ['a: 1.', { a: 1 }],
    ['a: .5', { a: 0.5 }],
    ['a: -.inf', { a: Number.NEGATIVE_INFINITY }],
    ['a: .NaN', { a: NaN }],
    ['a: .nan', { a: NaN }],
    ['a: ~', { a: null }],
    ['a: Null', { a: null }],
    ['a:', { a: null }],
    ['a: nULL', { a: 'nULL' }],
    ['a: True', { a: true }],
    ['a: FALSE', { a: false }],
    ['a: yes', { a: 'yes' }],
    ['a: on', { a: 'on' }],
    ['a: 2024-01-02', { a: '2024-01-02' }],
    ['a: "1"', { a: '1' }],
    ["a: 'true'", { a: 'true' }],
    ['<<: {b: 1}', { '<<': { b: 1 } }],
    ['1: a\ntrue: b', { '1': 'a', true: 'b' }],
    ['a: &x {b: 1}\nc: *x', { a: { b: 1 }, c: { b: 1 } }],
    ['- &x [1]\n- *x\n- a && b', [[1], [1], 'a && b']],
    ['a: "x&y"\nb: c&&d', { a: 'x&y', b: 'c&&d' }],
    ['a: |\n  one\n  two\n', { a: 'one\ntwo\n' }],
    ['a: >-\n  one\n  two\n\n  three\n', { a: 'one two\nthree' }],
    ['a: "x {{ y }}"', { a: 'x {{ y }}' }],
    ['- 1\n- b', [1, 'b']],
    ['a: |\r\n  one\r\n  two\r\nb: x\r\n', { a: 'one\ntwo\n', b: 'x' }],
    ['', null],
    ['# only a comment\n', null],
  ])('reads %j as the full parser does', (text, expected) => {
    const read = readPlainYaml(text);
    expect(read).toBeDefined();
    expect(read!.value).toEqual(expected);
    expect(read!.value).toEqual(fully(text));
  });

  it.each([
    ['an unquoted template value', 'a: {{ name }}'],
    ['an unquoted template key', '{{ name }}: a'],
    ['an unquoted template in a list', '- {{ name }}'],
    ['a null key', '~: a'],
    ['a collection key', '? [a, b]\n: c'],
    ['a duplicate key', 'a: 1\na: 2'],
    ['a second document', 'a: 1\n---\nb: 2'],
    ['a YAML 1.1 directive', '%YAML 1.1\n---\na: yes'],
    ['a tag', 'a: !!binary aGVsbG8='],
    ['a local tag', 'a: !custom x'],
    ['a syntax error', 'a: "open'],
    ['an alias to nothing', 'a: *nothing'],
    ['a bad indentation', 'a:\n  b: 1\n c: 2'],
  ])('leaves %s to the full parser', (_what, text) => {
    expect(readPlainYaml(text)).toBeUndefined();
  });

  it('leaves a value that holds itself to the full parser, anchored anywhere', () => {
    for (const text of ['a: &x\n  b: *x', 'a: [&x {b: *x}]', 'a:\n- &x\n  - *x']) expect(() => readPlainYaml(text)).not.toThrow();
  });

  it('reads every YAML file of the project as the full parser does', () => {
    const files = ['runbooks', 'templates', 'src/sandbox', 'test/fixtures'].flatMap(yamlFilesUnder);
    expect(files.length).toBeGreaterThan(100);
    let read = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const plain = readPlainYaml(text);
      if (!plain) continue;
      read++;
      expect(plain.value, file).toEqual(fully(text));
    }
    // Nearly all of them are well formed and take the fast reading.
    expect(read).toBeGreaterThan(files.length * 0.8);
  });
});
