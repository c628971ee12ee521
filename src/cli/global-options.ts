// Options shared by the commands that load a runbook: vars and the kubectl-style globals.
import { Option, type Command } from 'commander';

export interface LoadFlags {
  var: string[];
  varsFile: string[];
}

export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface RunFlags extends LoadFlags, KubeFlags {
  stateDir: string;
  /** file (default) or kubernetes[:NAMESPACE]. */
  state?: string;
  dryRun?: 'client' | 'server';
  yes?: boolean;
  approve: string[];
  only: string[];
  skip: string[];
  from?: string;
  output: 'auto' | 'tty' | 'plain' | 'json';
  resume?: boolean;
  fresh?: boolean;
  allowChanged?: boolean;
  /** resume: rebuild a damaged run from what is intact. */
  repair?: boolean;
  report?: string;
  /** curl-style HOST1:PORT1:HOST2:PORT2 rules for http steps. */
  connectTo?: string[];
  /** Extra CA files http steps trust. */
  cacert?: string[];
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function withVarOptions(cmd: Command): Command {
  return cmd
    .option('--var <name=value>', 'set a runbook var (repeatable)', collect, [])
    .option('--vars-file <file>', 'read var values from a YAML file (repeatable; later files win)', collect, []);
}

export function withKubeOptions(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('-n, --namespace <ns>', 'default namespace for steps that do not name one');
}

export function withRunOptions(cmd: Command): Command {
  return cmd
    .option('--state-dir <dir>', 'where runs are checkpointed', '.runbook')
    .option('--state <backend>', 'file (the default: --state-dir), or kubernetes[:NAMESPACE]: the run state and lock kept in the cluster (Secrets and a Lease; default namespace: the context\'s)')
    .addOption(
      new Option('--dry-run [mode]', 'change nothing: client (no write calls) or server (server-side dry run)')
        .choices(['client', 'server'])
        .preset('client'),
    )
    .option('-y, --yes', 'pass every manual gate (confirm) without asking')
    .option('--approve <step-id>', "pass this manual gate (repeatable); inside a loop 'ID[ITEM-KEY]', or 'ID[*]' for every item", collect, [])
    .option('--only <id|tag>', 'run only these steps (by id, id prefix or tag; repeatable)', collect, [])
    .option('--skip <id|tag>', 'skip these steps (repeatable)', collect, [])
    .option('--from <step-id>', 'start at this step; the ones before it are skipped')
    .option('--connect-to <HOST1:PORT1:HOST2:PORT2>', 'http steps: connect to HOST2:PORT2 for requests to HOST1:PORT1, as curl does (empty HOST1 or PORT1: any; repeatable; also $RUNBOOK_CONNECT_TO)', collect, [])
    .option('--cacert <file>', 'http steps: also trust this CA bundle (PEM; repeatable; $NODE_EXTRA_CA_CERTS works too)', collect, [])
    .addOption(new Option('-o, --output <format>', 'progress output').choices(['auto', 'tty', 'plain', 'json']).default('auto'))
    .option('--report <dir>', 'also copy the run report (Markdown and JSON) into this folder');
}
