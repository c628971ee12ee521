// The options every runbook-loading command shares, as commander parses them: repeatable ones
// collect, defaults hold, --dry-run takes an optional mode and --output only known formats.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { withKubeOptions, withRunOptions, withVarOptions, type RunFlags } from '../../../src/cli/global-options.js';

function parse(args: string[]): RunFlags {
  const cmd = withRunOptions(withKubeOptions(withVarOptions(new Command('run'))))
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  cmd.parse(args, { from: 'user' });
  return cmd.opts<RunFlags>();
}

describe('run options', () => {
  it('defaults: the state in .runbook, automatic output, nothing repeated given', () => {
    expect(parse([])).toEqual({ var: [], varsFile: [], stateDir: '.runbook', approve: [], only: [], skip: [], connectTo: [], cacert: [], output: 'auto' });
  });

  it('repeatable options collect in order; kube globals and the short forms are read', () => {
    const flags = parse([
      '--var', 'a=1', '--var', 'b=2', '--vars-file', 'x.yaml', '--approve', 'gate', '--approve', 'replace[*]',
      '--only', 'backup', '--skip', 'tag:slow', '-n', 'ns1', '--context', 'admin', '--kubeconfig', 'k.yaml', '-y', '-o', 'json',
    ]);
    expect(flags).toMatchObject({
      var: ['a=1', 'b=2'],
      varsFile: ['x.yaml'],
      approve: ['gate', 'replace[*]'],
      only: ['backup'],
      skip: ['tag:slow'],
      namespace: 'ns1',
      context: 'admin',
      kubeconfig: 'k.yaml',
      yes: true,
      output: 'json',
    });
  });

  it('--dry-run alone is a client dry run; server is asked by name; another mode is refused', () => {
    expect(parse(['--dry-run']).dryRun).toBe('client');
    expect(parse(['--dry-run', 'server']).dryRun).toBe('server');
    expect(() => parse(['--dry-run', 'maybe'])).toThrow(/Allowed choices are client, server/);
    expect(() => parse(['-o', 'yaml'])).toThrow(/Allowed choices are auto, tty, plain, json/);
  });
});
