// The exit codes are documented in one place, the README's table: every code the CLI uses is in
// it, and it lists no other.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { reportError } from '../../../src/cli/fail.js';
import { RunbookError } from '../../../src/contract/errors.js';
import { LockHeld } from '../../../src/engine/lock.js';

describe('exit codes', () => {
  it('the README table lists exactly the codes the CLI uses', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const documented = [...readme.matchAll(/^\| (\d+) \| /gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
    expect(documented).toEqual(Object.values(EXIT).sort((a, b) => a - b));
  });

  it('runbook --help lists the same codes', () => {
    const help = spawnSync(process.execPath, [fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url)), '--help'], { encoding: 'utf8' }).stdout;
    const listed = [...help.slice(help.indexOf('Exit codes:')).matchAll(/^ {2}(\d+) /gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
    expect(listed).toEqual(Object.values(EXIT).sort((a, b) => a - b));
  });

  it('maps each kind of failure to its own code, with a message and no stack', () => {
    const out: string[] = [];
    const code = (err: unknown): number => reportError(err, (s) => out.push(s));
    expect(code(new LockHeld('run x is being executed by pid 1'))).toBe(EXIT.locked);
    expect(code(new RunbookError('cannot reach the API server (ECONNREFUSED)', { transient: true, connection: true }))).toBe(EXIT.clusterUnreachable);
    expect(code(new RunbookError('401 Unauthorized', { data: { code: 401 } }))).toBe(EXIT.clusterUnreachable);
    expect(code(new RunbookError('API server host not found', { data: { networkCode: 'ENOTFOUND' } }))).toBe(EXIT.clusterUnreachable);
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write', path: '/srv/state/runs/r/state.log' });
    expect(code(full)).toBe(EXIT.ioFailure);
    expect(out.at(-1)).toBe('error: cannot write /srv/state/runs/r/state.log: no space left on the device (ENOSPC)\n');
    expect(code(new RunbookError('bad flag'))).toBe(EXIT.invalidInput);
    expect(out.join('')).not.toContain('this is unexpected');
  });
});
