// `podExec`: run a command in a container through the Kubernetes exec API, as `oc exec` does, e.g.
// a database dump whose output is saved to a file. Idempotent through `creates` (the file the
// command's output goes to); a pod that is not there can be a note rather than a failure.
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream/promises';
import { StepFailure } from '../../contract/errors.js';
import type { JsonSchema, StepType } from '../../contract/step-type.js';
import { POD_TARGET_ONE_OF, POD_TARGET_PROPERTIES, type PodChoice, choosePod, describePodTarget, execInPod, podPermissions } from './pod-select.js';
import { defaultsOf, type InputOf } from '../schema.js';

interface PodExecOutput {
  exitCode: number;
  stdout?: string;
  stderr: string;
  pod: string;
  container: string;
  /** Where stdout was saved, and how many bytes. */
  savedTo?: string;
  bytes?: number;
}

const INPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['namespace', 'command'],
  oneOf: POD_TARGET_ONE_OF,
  properties: {
    ...POD_TARGET_PROPERTIES,
    command: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'argv, e.g. [mariadb-dump, --skip-lock-tables, -u, "{{ user }}", trustyai].' },
    stdin: { type: 'string', description: 'Text written to the command\'s input (then closed).' },
    saveStdout: { type: 'string', minLength: 1, description: 'Local file for the command\'s stdout (byte-exact, atomic, mode 0600).' },
    successCodes: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 255 }, minItems: 1, default: [0], description: 'Exit codes that count as success (default [0]).' },
    creates: { type: 'string', minLength: 1, description: 'Skip when this local path exists (usually the saveStdout file).' },
  },
} as const satisfies JsonSchema;

type PodExecInput = InputOf<typeof INPUT>;
const DEFAULTS = defaultsOf(INPUT);

/** `check` hands the pod it chose to `apply`. */
export const podExecStep: StepType<PodExecInput, PodChoice> = {
  name: 'podExec',
  summary: 'Run a command in a container (the exec API, as `oc exec`); skipped when `creates` exists.',
  description: [
    'The command is argv, run without a shell (a container may have none; give `[sh, -c, "..."]` when it has one).',
    'The pod is named, or picked by `selector` among the Running pods, and the log says which; the container is',
    'the one given, else the pod\'s `kubectl.kubernetes.io/default-container`, else its first. `stdin` is written',
    'to the command\'s input, then closed. With `saveStdout` the output goes byte for byte to that local file',
    '(written to a temporary name first and renamed when the command succeeded, mode 0600, new folders 0700), else',
    'it is registered as text. An exit code outside `successCodes` fails the step with the end of stderr.',
    'Local paths are relative to the directory runbook was started in. Secret values in the command and its',
    'output are masked in logs and state. Not run in a dry run: the log says what would run.',
  ].join(' '),
  input: INPUT,
  examples: [
    `- name: Dump the TrustyAI database
  podExec:
    namespace: "{{ ns }}"
    selector: { app: mariadb-trustyai-service }
    container: mariadb
    command: [mariadb-dump, --skip-lock-tables, "-u{{ dbUser }}", "-p{{ dbPassword }}", "{{ dbName }}"]
    saveStdout: "{{ backupDir }}/trustyai/{{ ns }}/dump.sql"
    creates: "{{ backupDir }}/trustyai/{{ ns }}/dump.sql"
    missingPodOk: true`,
    `- name: Is the Llama Stack data folder there?
  podExec:
    namespace: llama-team
    selector: app.kubernetes.io/instance=llama-stack
    command: [test, -d, /opt/app-root/src/.llama/distributions/rh]
    successCodes: [0, 1]
  register: dataDir`,
  ],
  dryRun: 'skip',
  permissions: (input) => podPermissions(input),
  async check(ctx, input) {
    if (input.creates) {
      const path = resolve(input.creates);
      if (await stat(path).catch(() => undefined)) return { holds: true, reason: `${input.creates} exists` };
    }
    const choice = await choosePod(ctx, input);
    if ('missing' in choice) {
      if (input.missingPodOk) return { holds: true, reason: `${choice.missing}: nothing to run (missingPodOk)`, output: { skipped: true, reason: choice.missing } };
      return { holds: false };
    }
    if (ctx.dryRun !== 'none') ctx.log(`would run ${ctx.redact(JSON.stringify(input.command))} in ${choice.note}${input.saveStdout ? `, saving stdout to ${input.saveStdout}` : ''}`);
    return { holds: false, prepared: choice };
  },
  async apply(ctx, input, chosen) {
    const choice = chosen ?? (await choosePod(ctx, input));
    if ('missing' in choice) {
      throw new StepFailure(`${choice.missing}`, { hint: `nothing to run the command in (${describePodTarget(input)}); set missingPodOk: true if that is expected` });
    }
    ctx.log(`running ${ctx.redact(JSON.stringify(input.command))} in ${choice.note}`);
    const saved = input.saveStdout ? await openTemporary(resolve(input.saveStdout)) : undefined;
    let result;
    try {
      result = await execInPod(ctx, {
        namespace: choice.namespace,
        pod: choice.name,
        container: choice.container,
        command: input.command,
        ...(input.stdin !== undefined ? { stdin: input.stdin } : {}),
        ...(saved ? { stdout: saved.stream } : {}),
        signal: ctx.signal,
      });
      if (saved) await finished(saved.stream);
    } catch (err) {
      if (saved) await saved.discard();
      throw err;
    }
    const successCodes: readonly number[] = input.successCodes ?? DEFAULTS.successCodes;
    const ok = successCodes.includes(result.exitCode);
    if (!ok) {
      if (saved) await saved.discard();
      const tail = ctx.redact(result.stderr || result.stdout.toString('utf8')).trim().split('\n').slice(-5).join('\n');
      throw new StepFailure(`command exited with ${result.exitCode} in pod ${choice.namespace}/${choice.name}${tail ? `: ${tail}` : ''}`);
    }
    const output: PodExecOutput = { exitCode: result.exitCode, stderr: ctx.redact(result.stderr), pod: choice.name, container: choice.container };
    if (saved) {
      output.savedTo = input.saveStdout!;
      output.bytes = await saved.commit();
    } else {
      output.stdout = ctx.redact(result.stdout.toString('utf8'));
    }
    return { changed: true, output, summary: `exit ${result.exitCode} in ${choice.name}${saved ? `, ${output.bytes} bytes saved to ${input.saveStdout}` : ''}` };
  },
};

/** A file written under a temporary name beside its final one, renamed into place on commit. */
async function openTemporary(path: string): Promise<{ stream: ReturnType<typeof createWriteStream>; commit(): Promise<number>; discard(): Promise<void> }> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(4).toString('hex')}.partial`;
  const stream = createWriteStream(temporary, { mode: 0o600, flags: 'wx' });
  return {
    stream,
    async commit() {
      const size = (await stat(temporary)).size;
      await rename(temporary, path);
      return size;
    },
    async discard() {
      stream.destroy();
      await rm(temporary, { force: true });
    },
  };
}

