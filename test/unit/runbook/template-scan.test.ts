// The scan reads most templates without handlebars' parser, so it must find exactly what the
// parser-based inspection finds, in the same order, or decline: held to the parser over crafted
// templates, every template of the project, and thousands of generated ones.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { scanTemplate } from '../../../src/runbook/template-scan.js';
import { HELPER_NAMES, inspectWithParser } from '../../../src/runbook/template.js';

const scan = (t: string) => scanTemplate(t, HELPER_NAMES);

describe('scanTemplate', () => {
  it.each([
    ['{{ name }}', true],
    ['a-{{name}}-{{ obj.a.b }} }} {', true],
    ['{{\n  vars.my-var\n}}', true],
    ['{{ json }}', true],
    ['{{ thisOne }} {{ this.x }} {{ this }}', true],
    ['{{ lower name }}', true],
    ['{{ join names ", " }} and {{ join more \'; \' }}', true],
    ['{{ default a.b "not set" }}', true],
    ['{{ base64decode (lookup s.data key) }}\n{{ base64decode ( lookup s.data other ) }}', true],
    ['{{ add 1 -2.5 }}', true],
    ['{{ join x "}}" }}', true],
    ['{{#if a}}{{ b }}{{/if}}', true],
    ['{{# if a }}x{{ else }}{{#unless (not c)}}{{ d }}{{/unless}}{{/ if }}', true],
    ['{{#if a}}{{#if b}}x{{else}}y{{/if}}{{else}}z{{/if}}', true],
    ['{{#if}}{{/if}}', true],
    ['{{elsewhere}}', true],
    ['{{{ name }}}', false],
    ['{{ name }}}', false],
    ['\\{{ name }}', false],
    ['{{ true }}', false],
    ['{{ default a true }}', false],
    ['{{ else }}', false],
    ['{{ 1 }}', false],
    ['{{ a.0 }}', false],
    ['{{ a/b }}', false],
    ['{{ a.[b] }}', false],
    ['{{~ name ~}}', false],
    ['{{ @root.x }}', false],
    ['{{ ../x }}', false],
    ['{{! note }}', false],
    ['{{> partial }}', false],
    ['{{ name', false],
    ['{{ name }', false],
    ['{{ join a sep=", " }}', false],
    ['{{ join "a"b }}', false],
    ['{{ join a "x\\"y" }}', false],
    ['{{ f (g a }}', false],
    ['{{ f () }}', false],
    ['{{#each xs}}{{ name }}{{/each}}', false],
    ['{{#with x}}{{ name }}{{/with}}', false],
    ['{{#if a}}x', false],
    ['{{#if a}}x{{/unless}}', false],
    ['{{/if}}', false],
    ['{{#if a}}x{{else}}y{{else}}z{{/if}}', false],
    ['{{#if a}}x{{else if b}}y{{/if}}', false],
    ['{{^}}', false],
    ['{{&name}}', false],
  ])('%j: read without the parser: %s, and as the parser reads it', (template, scanned) => {
    const found = scan(template);
    expect(found !== undefined).toBe(scanned);
    if (found) expect(found).toEqual(inspectWithParser(template));
  });

  it('reads nearly every template of the project, as the parser does', () => {
    const templates = new Set<string>();
    const collect = (v: unknown): void => {
      if (typeof v === 'string' && v.includes('{{')) templates.add(v);
      else if (Array.isArray(v)) v.forEach(collect);
      else if (v && typeof v === 'object') Object.values(v).forEach(collect);
    };
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.ya?ml$/.test(name)) {
          try {
            collect(load(readFileSync(path, 'utf8')));
          } catch {
            // Not one YAML document (a multi-document manifest, a fixture of a mistake).
          }
        }
      }
    };
    ['runbooks', 'templates', 'test/fixtures'].forEach(walk);
    let scanned = 0;
    for (const t of templates) {
      const found = scan(t);
      if (!found) continue;
      scanned++;
      expect(found, t).toEqual(inspectWithParser(t));
    }
    expect(templates.size).toBeGreaterThan(300);
    expect(scanned).toBeGreaterThan(templates.size * 0.9);
  });

  it('agrees with the parser on generated templates, and declines every one the parser refuses', () => {
    // A small deterministic generator (mulberry32): the same templates on every run.
    let seed = 20261201;
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    // Mostly what the scan reads, with now and then something it must leave to the parser.
    const rarely = <T>(usual: () => T, odd: () => T): T => (random() < 0.08 ? odd() : usual());
    const space = () => pick(['', ' ', ' ', '  ', '\n']);
    const name = () => rarely(() => pick(['a', 'b.c', 'vars.x', 'my-var', 'this.y', 'thisOne', 'join', 'default', 'json', 'lower']), () => pick(['this', 'else', 'true', 'null', '1', 'a.0', '@index', '../up', 'a/b']));
    const arg = (depth: number): string =>
      rarely(
        () =>
          pick([
            name,
            name,
            () => pick(['"s"', "'t'", '"}}"', '""', '"{{"', '3', '-2.5']),
            () => (depth > 1 ? 'x' : `(${space()}${name()}${pick(['', ` ${arg(depth + 1)}`, ` ${arg(depth + 1)} ${arg(depth + 1)}`])}${space()})`),
          ])(),
        () => pick(['k=v', 'k="v"', '(', ')', '"a\\"b"', '()']),
      );
    const mustache = (): string => {
      const args = Array.from({ length: pick([0, 0, 1, 2, 3]) }, () => arg(0));
      const open = rarely(() => '', () => pick(['~', '{', '!', '&', '>']));
      const after = rarely(() => '', () => '}');
      return `{{${open}${space()}${name()}${args.map((a) => ` ${a}`).join('')}${space()}}}${after}`;
    };
    const body = (depth: number): string =>
      Array.from({ length: pick([1, 2, 3]) }, () =>
        pick([
          () => rarely(() => pick(['text ', '} ', '{ ', ' }} ']), () => pick(['\\{{ x }}', '{{'])),
          mustache,
          mustache,
          () => {
            if (depth > 2) return 'leaf';
            const block = rarely(() => pick(['if', 'unless']), () => pick(['each', 'with']));
            const inverse = rarely(() => pick(['', '{{else}}', '{{ else }}']), () => pick(['{{else}}x{{else}}', '{{else if c}}']));
            const close = rarely(() => block, () => pick(['if', 'unless', 'each']));
            return `{{#${space()}${block}${rarely(() => ` ${arg(0)}`, () => '')}}}${body(depth + 1)}${inverse}${inverse ? body(depth + 1) : ''}{{/${close}}}`;
          },
        ])(),
      ).join('');

    let scanned = 0;
    let refused = 0;
    for (let i = 0; i < 4000; i++) {
      const t = body(0);
      if (!t.includes('{{')) continue;
      const parsed = inspectWithParser(t);
      const found = scan(t);
      if (parsed.error) {
        refused++;
        expect(found, t).toBeUndefined();
      } else if (found) {
        scanned++;
        expect(found, t).toEqual(parsed);
      }
    }
    // The generator must reach both sides, or this holds nothing to anything.
    expect(scanned).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(500);
  });
});
