#!/usr/bin/env node
// The `runbook` command line. Each command's module is loaded only when it runs, so `--help` and
// `validate` start fast.
import { Command, Option } from 'commander';
import { reportError } from './fail.js';
import type { ValidateFlags } from './commands/validate.js';
import { withKubeOptions, withRunOptions, withVarOptions, type RunFlags } from './global-options.js';

const program = new Command('runbook')
  .description('Declarative, resumable runbooks for Kubernetes and OpenShift upgrades.')
  .version(process.env.npm_package_version ?? '0.1.0', '-V, --version')
  .showHelpAfterError('(runbook --help lists the commands)')
  .configureHelp({ sortSubcommands: false })
  .addHelpText(
    'after',
    `
Exit codes:
  0    done
  1    a step failed; the run is checkpointed: runbook resume RUN-ID
  2    invalid input (runbook, vars, flags); nothing was run
  3    blocked by a prohibited or critical finding
  4    waiting for approval of a manual gate: runbook resume RUN-ID --approve STEP-ID
  5    another run of this runbook on this cluster is in progress; nothing was done
  6    a run's state is damaged: runbook resume RUN-ID --repair
  7    the cluster cannot be reached, or refused the credentials, or the user may not do what the runbook needs
  8    a local file could not be read or written
  130  interrupted (Ctrl-C, SIGTERM); runbook resume RUN-ID continues

Examples:
  runbook validate runbooks/upgrade-2.25-to-3.3.yaml
  runbook plan runbooks/upgrade-2.25-to-3.3.yaml --vars-file site.yaml
  runbook run runbooks/upgrade-2.25-to-3.3.yaml --context prod --dry-run=server
  runbook resume
`,
  );

const registry = async () => (await import('../steps/index.js')).builtinRegistry();
const exit = (code: number): void => {
  process.exitCode = code;
};
// `validate` only reads files: it ends as soon as its output is written. Left to the event loop,
// the process would first let V8 finish a garbage collection it began (about 20 ms after checking
// the shipped upgrade).
const exitWhenWritten = async (code: number): Promise<void> => {
  process.exitCode = code;
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((written) => s.write('', () => written()))));
  process.exit();
};

withVarOptions(
  program
    .command('validate')
    .description('Check runbooks (imports, vars, every step against its schema) without touching a cluster')
    .argument('<files...>', 'runbook files')
    .option('-q, --quiet', 'print problems only')
    .option('--list-steps', 'print every step id with its name (what overlays, --only, --skip and --from take)')
    .option('--no-cache', 'check again even when nothing read has changed since the runbook was last found valid'),
)
  .addHelpText(
    'after',
    '\nA runbook found valid is remembered in ${RUNBOOK_CACHE_DIR:-~/.cache/runbook}/validate: while no file it read\nchanges, validating it again answers at once.\n\nExample:\n  runbook validate runbooks/upgrade-2.25-to-3.3.yaml --vars-file site.yaml',
  )
  .action(async (files: string[], flags: ValidateFlags & { cache: boolean }) => {
    const [{ validateCommand }, { ValidateCache }] = await Promise.all([import('./commands/validate.js'), import('./validate-cache.js')]);
    const { cache, ...rest } = flags;
    await exitWhenWritten(await validateCommand(files, rest, registry, cache ? await ValidateCache.open() : undefined));
  });

program
  .command('new')
  .description('Write a new runbook to start from: site-overlay, blank or assessment')
  .argument('<kind>', 'site-overlay (our upgrade with your steps on top), blank, or assessment')
  .argument('<name>', 'the runbook name, e.g. acme-upgrade: the file is NAME.yaml')
  .option('--dir <dir>', 'the folder to write into', '.')
  .option('--force', 'overwrite files that exist')
  .addHelpText('after', '\nExamples:\n  runbook new site-overlay acme-upgrade --dir site/\n  runbook new blank rotate-certs')
  .action(async (kind: string, name: string, flags: { dir: string; force?: boolean }) => {
    const { newCommand } = await import('./commands/new.js');
    exit(await newCommand(kind, name, flags, await registry()));
  });

program
  .command('vars')
  .description('List every var a runbook and the files it imports declare, and how to set each')
  .argument('<file>', 'runbook file')
  .option('-o, --output <format>', 'table, json, or example (a vars file to copy)', 'table')
  .addHelpText('after', '\nExamples:\n  runbook vars runbooks/upgrade-2.25-to-3.3.yaml\n  runbook vars runbooks/upgrade-2.25-to-3.3.yaml -o example > site-vars.yaml')
  .action(async (file: string, flags: { output: string }) => {
    const { varsCommand } = await import('./commands/vars.js');
    exit(await varsCommand(file, flags, await registry()));
  });

withVarOptions(
  withKubeOptions(
    program
      .command('rbac')
      .description('Print the Roles, ClusterRole and bindings a runbook needs (YAML for oc apply), from the permissions its steps declare')
      .argument('<file>', 'runbook file'),
  ),
)
  .option('--service-account <namespace/name>', 'the ServiceAccount the bindings grant to', 'runbook/runbook')
  .option('--name <name>', 'name of the roles and bindings (default: runbook-<runbook name>)')
  .option('--state <backend>', "the run's --state: kubernetes[:NAMESPACE] adds the Secrets and Lease the cluster-held state needs (default namespace: the ServiceAccount's)")
  .addHelpText('after', '\nExample:\n  runbook rbac runbooks/upgrade-2.25-to-3.3.yaml --vars-file site.yaml | oc apply -f -')
  .action(async (file: string, flags: import('./commands/rbac.js').RbacFlags) => {
    const { rbacCommand } = await import('./commands/rbac.js');
    exit(await rbacCommand(file, flags, await registry()));
  });

program
  .command('coverage')
  .description('List the guide items a runbook answers (steps, follow-ups, sign-offs with `source:`) and the ones it does not')
  .argument('<file>', 'runbook file')
  .option('-o, --output <format>', 'text or json', 'text')
  .option('--guide <names...>', 'only these guides (e.g. 000 001); default: every guide the runbook names')
  .option('--missing', 'list only the items nothing answers')
  .addHelpText('after', '\nExamples:\n  runbook coverage runbooks/upgrade-2.25-to-3.3.yaml\n  runbook coverage runbooks/upgrade-2.25-to-3.3.yaml --guide 001 --missing')
  .action(async (file: string, flags: import('./commands/coverage.js').CoverageFlags) => {
    const { coverageCommand } = await import('./commands/coverage.js');
    exit(await coverageCommand(file, flags, await registry()));
  });

withRunOptions(
  withKubeOptions(
    withVarOptions(
      program
        .command('run')
        .description('Run a runbook: validate, then execute its steps with checkpoints')
        .argument('<file>', 'runbook file')
        .option('--resume', 'continue the unfinished run of this runbook')
        .option('--fresh', 'start a new run even if an unfinished one exists')
        .option('--allow-changed', 'resume even though the runbook changed since the run started'),
    ),
  ),
)
  .addHelpText(
    'after',
    `
Examples:
  runbook run upgrade.yaml --vars-file site.yaml
  runbook run upgrade.yaml --dry-run=server      # every write as a server-side dry run
  runbook run upgrade.yaml --only kueue --yes    # steps tagged kueue, pass manual gates
  runbook run upgrade.yaml --from during/approve-installplan`,
  )
  .action(async (file: string, flags: RunFlags) => {
    const { runCommand } = await import('./commands/run.js');
    exit(await runCommand({ file, flags, registry: await registry(), mode: 'run' }));
  });

withRunOptions(
  withKubeOptions(
    withVarOptions(
      program
        .command('resume')
        .description('Continue a stopped run where it stopped; completed steps are not run again')
        .argument('[run-id]', 'the run (default: the newest unfinished one)')
        .option('--allow-changed', 'resume even though the runbook changed since the run started')
        .option('--repair', 'resume a run whose state is damaged: keep what is intact, set the damaged files aside, check again every step not proven done'),
    ),
  ),
)
  .addHelpText(
    'after',
    "\nExamples:\n  runbook resume\n  runbook resume upgrade-2-25-to-3-3-20261122-101500-ab12 --approve before/workbenches/users-notified\n  runbook resume --approve 'serverless-to-raw/convert/replace[*]'   # that gate, for every item of its loop",
  )
  .action(async (runId: string | undefined, flags: RunFlags) => {
    const { runCommand } = await import('./commands/run.js');
    exit(await runCommand({ runId, flags, registry: await registry(), mode: 'resume' }));
  });

withRunOptions(
  withKubeOptions(withVarOptions(program.command('plan').description('Show what a run would change, without changing anything').argument('<file>', 'runbook file'))),
)
  .addHelpText('after', '\nExample:\n  runbook plan runbooks/upgrade-2.25-to-3.3.yaml --context prod')
  .action(async (file: string, flags: RunFlags) => {
    const { planCommand } = await import('./commands/plan.js');
    exit(await planCommand(file, flags, await registry()));
  });

withKubeOptions(
  program
    .command('status')
    .description('Show the runs recorded in the state folder (or the cluster), or where one run stands; --contexts: one row per cluster of a fleet')
    .argument('[run-id]', 'a run id'),
)
  .option('--state-dir <dir>', 'where runs are checkpointed', '.runbook')
  .option('--state <backend>', 'file (the default: --state-dir), or kubernetes[:NAMESPACE]: the runs the cluster holds')
  .option('--contexts <a,b,c>', 'kubeconfig contexts of a fleet: the newest run each cluster holds (--state kubernetes), one row each')
  .option('-o, --output <format>', 'text or json', 'text')
  .addHelpText('after', '\nExamples:\n  runbook status\n  runbook status upgrade-2-25-to-3-3-20261122-101500-ab12\n  runbook status --state kubernetes:runbook --contexts prod-east,prod-west,stage')
  .action(async (runId: string | undefined, flags: import('./commands/status.js').StatusFlags) => {
    const { statusCommand } = await import('./commands/status.js');
    exit(await statusCommand(runId, flags));
  });

const sandbox = program
  .command('sandbox')
  .description('A simulated OpenShift AI cluster on a real local control plane, to rehearse upgrades')
  .addHelpText(
    'after',
    `
Scenarios: minimal, full (every component in use), blocked (below the supported path), large
(thousands of workbenches and models), risky (full plus models 3.x cannot serve), guide-001 (full
plus what the readiness assessment flags), rag (the RAG stack's stages 0 and 1), inference-gateway
(a v1alpha2 Inference Gateway stack), or a file/folder of your own objects (oc get -o yaml).

Examples:
  runbook sandbox run runbooks/upgrade-2.25-to-3.3.yaml --scenario full
  runbook sandbox up --scenario full && export KUBECONFIG=...
  runbook sandbox down
  runbook sandbox export -o my-cluster --context prod   # your cluster as a scenario folder`,
  );
const sandboxOptions = (cmd: Command): Command =>
  cmd
    .option('--scenario <name|file>', 'starting cluster: minimal, full, blocked, large, or a file or folder of objects', 'full')
    .option('--speed <speed>', 'operator delays: instant, realistic, or a factor (0.1 = a tenth of realistic)', 'instant')
    .option('--state-dir <dir>', 'where the sandbox record, its log and rehearsal runs are kept', '.runbook')
    .option('--crds <file|dir>', "your cluster's CRDs (oc get crd -o yaml), in place of the sandbox's of the same name")
    .option('--catalog <[name=]file>', 'your catalog as opm render prints it, for every CatalogSource or the one named (repeatable)', (v: string, p: string[]) => [...p, v], []);

sandboxOptions(sandbox.command('up').description('Start a sandbox in the background and print the kubeconfig to use')).action(
  async (flags: { scenario: string; speed: string; stateDir: string; crds?: string; catalog?: string[] }) => {
    const { sandboxUp } = await import('./commands/sandbox.js');
    exit(await sandboxUp(flags));
  },
);
sandbox
  .command('down')
  .description('Stop the sandbox started by sandbox up')
  .option('--state-dir <dir>', 'as given to sandbox up', '.runbook')
  .action(async (flags: { stateDir: string }) => {
    const { sandboxDown } = await import('./commands/sandbox.js');
    exit(await sandboxDown(flags));
  });
sandbox
  .command('status')
  .description('Show whether a sandbox is running and how to reach it')
  .option('--state-dir <dir>', 'as given to sandbox up', '.runbook')
  .action(async (flags: { stateDir: string }) => {
    const { sandboxStatus } = await import('./commands/sandbox.js');
    exit(await sandboxStatus(flags));
  });
withVarOptions(
  sandboxOptions(
    sandbox
      .command('run')
      .description('Start a sandbox, run a runbook on it without questions (--yes), print the summary and stop')
      .argument('<file>', 'runbook file'),
  ),
)
  .option('--only <id|tag>', 'run only these steps (repeatable)', (v: string, p: string[]) => [...p, v], [])
  .option('--skip <id|tag>', 'skip these steps (repeatable)', (v: string, p: string[]) => [...p, v], [])
  .addOption(new Option('-o, --output <format>', 'progress output').choices(['auto', 'tty', 'plain', 'json']).default('auto'))
  .option('--report <dir>', 'also copy the run report into this folder')
  .action(async (file: string, flags: RunFlags & { scenario: string; speed: string }) => {
    const { sandboxRun } = await import('./commands/sandbox.js');
    exit(await sandboxRun(file, { ...flags, approve: [] }, await registry()));
  });

withVarOptions(
  withKubeOptions(
    sandbox
      .command('export')
      .description('Write a scenario folder from a real cluster: the objects of every kind the runbooks use (get and list only), Secrets redacted')
      .argument('[runbooks...]', 'runbooks whose kinds to read (default: the upgrade and the InferenceService conversion runbooks)'),
  ),
)
  .requiredOption('-o, --output <dir>', 'folder to write the scenario into (made if missing; must be empty)')
  .option('--force', 'write into a folder that is not empty (the files of an earlier export there are replaced)')
  .option('--all-namespaces', 'read namespaced built-in kinds (Secrets, ConfigMaps, Deployments…) in every namespace, not only those of the OpenShift AI objects')
  .option('--json', 'print the summary as one JSON object')
  .addHelpText(
    'after',
    `
Examples:
  runbook sandbox export -o prod-export --context prod
  runbook sandbox up --scenario prod-export`,
  )
  .action(async (files: string[], flags: import('./commands/sandbox-export.js').ExportFlags) => {
    const { sandboxExport } = await import('./commands/sandbox-export.js');
    exit(await sandboxExport(files, flags, await registry()));
  });

program
  .command('schema')
  .description('Print the JSON Schema of the runbook format, for editors')
  .addHelpText('after', '\nExample (VS Code YAML extension):\n  runbook schema > runbook.schema.json\n  # then in a runbook:  # yaml-language-server: $schema=./runbook.schema.json')
  .action(async () => {
    const { runbookJsonSchema } = await import('../runbook/json-schema.js');
    process.stdout.write(`${JSON.stringify(runbookJsonSchema(await registry()), null, 2)}\n`);
  });

// A bug must not print a stack trace at an admin: say what happened and how to see more. Every
// step transition is already checkpointed, so the run can be resumed.
process.on('uncaughtException', (err) => {
  process.exitCode = reportError(err);
  process.exit();
});

program.parseAsync(process.argv).catch((err: unknown) => {
  process.exitCode = reportError(err);
});
