// Runs a command: argv by default, a shell only when asked. Idempotent through `creates`,
// `unless` or `check`; stdout can be parsed as JSON and registered. Secret values never reach the
// output: everything printed passes through the run's redactor.
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { StepFailure } from '../contract/errors.js';
import type { JsonSchema, StepContext, StepType } from '../contract/step-type.js';
import { nodeModule } from './node-modules.js';
import { defaultsOf, type InputOf } from './schema.js';

interface ExecOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
  json?: unknown;
}

const INPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['command'],
  // A command string is a shell script: it runs only with shell: true.
  if: { properties: { command: { type: 'string' } }, required: ['command'] },
  then: { required: ['shell'], properties: { shell: { const: true, description: 'A command string is a shell script: set shell: true, or give the command as a list.' } } },
  properties: {
    command: {
      description: 'argv as a list (no shell), or a script string (needs shell: true).',
      anyOf: [{ type: 'array', items: { type: 'string' }, minItems: 1 }, { type: 'string', minLength: 1 }],
    },
    shell: { type: 'boolean', description: 'Run `command` with /bin/sh -c (a string only).' },
    env: { type: 'object', additionalProperties: { type: 'string' }, description: 'Extra environment variables (templates allowed).' },
    cwd: { type: 'string', description: 'Working directory, relative to the runbook file.' },
    stdin: { type: 'string', description: 'Text written to the command standard input.' },
    creates: { type: 'string', description: 'Skip when this path exists (relative to the runbook file).' },
    unless: {
      description: 'Skip when this command (argv list, or a shell string) exits 0.',
      anyOf: [{ type: 'array', items: { type: 'string' }, minItems: 1 }, { type: 'string' }],
    },
    parseJson: { type: 'boolean', description: 'Parse stdout as JSON into the output field `json`.' },
    successCodes: { type: 'array', items: { type: 'integer' }, default: [0], description: 'Exit codes that count as success (default [0]).' },
  },
} as const satisfies JsonSchema;

type ExecInput = InputOf<typeof INPUT>;
const DEFAULTS = defaultsOf(INPUT);

export const execStep: StepType<ExecInput> = {
  name: 'exec',
  summary: 'Run a command (argv, or a shell script when asked), with idempotency guards.',
  description:
    'The command runs with the environment of the runbook process plus `env`. It is skipped when the `creates` path exists or when the `unless` command exits 0. Output is captured; with `parseJson` stdout is parsed and registered as `json`. A non-zero exit (outside `successCodes`) fails the step. Exec steps do not run in a dry run.',
  input: INPUT,
  examples: [
    `- name: Record the oc client version
  exec:
    command: [oc, version, -o, json]
    parseJson: true
  register: ocVersion`,
  ],
  dryRun: 'skip',
  async check(ctx, input) {
    if (input.creates) {
      const path = resolve(ctx.baseDir, input.creates);
      try {
        await access(path);
        return { holds: true, reason: `${input.creates} exists` };
      } catch {
        /* absent: run */
      }
    }
    if (input.unless !== undefined) {
      const r = await run(ctx, input.unless, typeof input.unless === 'string', input);
      if (r.exitCode === 0) return { holds: true, reason: 'the unless command succeeded' };
    }
    return { holds: false };
  },
  async apply(ctx, input) {
    if (typeof input.command === 'string' && !input.shell) {
      throw new StepFailure('exec: a command string needs shell: true', {
        hint: 'give the command as a list of arguments, e.g. [oc, get, pods], or set shell: true',
      });
    }
    const r = await run(ctx, input.command, input.shell === true, input);
    const successCodes: readonly number[] = input.successCodes ?? DEFAULTS.successCodes;
    const ok = successCodes.includes(r.exitCode);
    if (!ok) {
      const tail = ctx.redact(r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n');
      throw new StepFailure(`command exited with ${r.exitCode}${tail ? `: ${tail}` : ''}`);
    }
    const output: ExecOutput = { exitCode: r.exitCode, stdout: ctx.redact(r.stdout), stderr: ctx.redact(r.stderr) };
    if (input.parseJson) {
      try {
        output.json = JSON.parse(r.stdout);
      } catch (err) {
        throw new StepFailure(`stdout is not JSON: ${(err as Error).message}`);
      }
    }
    return { changed: true, output, summary: `exit ${r.exitCode}` };
  },
};

function run(ctx: StepContext, command: string[] | string, shell: boolean, input: ExecInput): Promise<ExecOutput> {
  const argv = shell ? ['/bin/sh', '-c', Array.isArray(command) ? command.join(' ') : command] : (command as string[]);
  return new Promise((resolvePromise, reject) => {
    const { spawn } = nodeModule<typeof import('node:child_process')>('node:child_process');
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: input.cwd ? resolve(ctx.baseDir, input.cwd) : ctx.baseDir,
      env: { ...process.env, ...input.env },
      signal: ctx.signal,
      // stdin is only opened when there is something to write: a command that exits without
      // reading it would otherwise fail our write with EPIPE.
      stdio: [input.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      reject(
        code === 'ENOENT'
          ? new StepFailure(`command not found: ${argv[0]}`, { hint: 'install it or put it on PATH' })
          : err,
      );
    });
    child.on('close', (code) => resolvePromise({ exitCode: code ?? 1, stdout, stderr }));
    if (child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(input.stdin);
    }
  });
}
