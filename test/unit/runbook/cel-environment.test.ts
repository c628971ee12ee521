// The CEL environment: each expression is parsed once per process, its syntax error included, and
// the functions runbooks add are there.
import { describe, expect, it } from 'vitest';
import { env, ExpressionError, parse } from '../../../src/runbook/cel-environment.js';

describe('cel environment', () => {
  it('parses an expression once and shares the result', () => {
    const first = parse('vars.mode == "RawDeployment" && size(items) > 0');
    expect('fn' in first).toBe(true);
    expect(parse('vars.mode == "RawDeployment" && size(items) > 0')).toBe(first);
  });

  it('remembers a syntax error as the parse result', () => {
    const broken = parse('vars.mode ==');
    expect('error' in broken).toBe(true);
    expect(parse('vars.mode ==')).toBe(broken);
  });

  it('has the functions runbooks add', () => {
    const names = new Set((env.getDefinitions().functions as { name: string }[]).map((f) => f.name));
    for (const name of ['semverCompare', 'semverGte', 'semverLt', 'semverSatisfies', 'mergePatch', 'dropKeys', 'shellSplit', 'hasOption', 'dropOption', 'processTemplate']) expect(names).toContain(name);
    const semverGte = parse('semverGte("3.3.1", "3.3.0")');
    expect('fn' in semverGte && semverGte.fn({})).toBe(true);
    const notVersion = parse('semverGte("x", "3.3.0")');
    expect(() => 'fn' in notVersion && notVersion.fn({})).toThrow(ExpressionError);
  });
});
