// What the YAML parser's errors become: the first of a cascade, every duplicate key, and for the
// usual mistakes the place where the mistake was made, with a fix.
import { LineCounter, parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { syntaxProblems, templateKeyProblem } from '../../../src/runbook/yaml-problems.js';

function problemsOf(text: string) {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  return syntaxProblems('f.yaml', text, lines, doc.errors).map((p) => ({ message: p.message, hint: p.hint, at: `${p.at!.line}:${p.at!.column}` }));
}

describe('syntaxProblems', () => {
  it('reports a quote never closed where it opens', () => {
    expect(problemsOf('a: 1\nb: "open\nc: 2\n')).toEqual([
      { message: 'YAML syntax: the quote " opened here is never closed', hint: 'close it at the end of the value, e.g. name: "assess"', at: '2:4' },
    ]);
  });

  it('reports a flow mapping never closed where it opens', () => {
    const [first] = problemsOf('a: { b: 1\nc: 2\n');
    expect(first).toMatchObject({ message: 'YAML syntax: the mapping { opened here is never closed', at: '1:4' });
  });

  it('reports an unquoted template key, not what the parser said after it', () => {
    const problems = problemsOf('steps:\n  - name: x\n    {{ key }}: value\n');
    expect(problems.map((p) => p.message)).toEqual(['a mapping key starting with "{{" must be quoted: YAML reads an unquoted {{ as the start of a mapping, not a template']);
  });

  it('reports only the first error of a cascade, but every duplicate key', () => {
    const problems = problemsOf('a: 1\na: 2\nb:\n\t- x\n\t- y\nb: 3\n');
    expect(problems.filter((p) => p.message.startsWith('YAML syntax: duplicate key')).map((p) => p.at)).toEqual(['2:1', '6:1']);
    expect(problems.filter((p) => !p.message.startsWith('YAML syntax: duplicate key'))).toHaveLength(1);
  });
});

describe('templateKeyProblem', () => {
  it('points at the key', () => {
    const lines = new LineCounter();
    parseDocument('a: 1\n"{{ k }}": 2\n', { lineCounter: lines });
    expect(templateKeyProblem('f.yaml', lines, 5).at).toEqual({ file: 'f.yaml', line: 2, column: 1 });
  });
});
