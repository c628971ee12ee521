// What the pod steps (podExec, copyFromPod, copyToPod) share: which pod and container they act in
// (a name, or a selector that picks a Running pod), what they must be allowed to do, and the
// exec transport: the Kubernetes exec API over a WebSocket (v5.channel.k8s.io, which can close
// stdin on its own; client-node's Exec), with the exit code read from the status channel.
import { PassThrough, Readable, Writable } from 'node:stream';
import type { Exec } from '../../kube/client-node.js';
// Not re-exported by the package index; a handler of our own lets us give it streams of our own.
import { StepFailure } from '../../contract/errors.js';
import type { JsonSchema, PermissionNeed, StepContext } from '../../contract/step-type.js';
import type { KubeObject } from '../../kube/types.js';
import { kubeOf } from '../services.js';
import type { InputOf, ObjectOf } from '../schema.js';

/** kubectl's annotation naming the container `kubectl exec` uses when none is given. */
export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

export const POD_TARGET_PROPERTIES = {
  namespace: { type: 'string', minLength: 1, description: 'Namespace of the pod.' },
  pod: { type: 'string', minLength: 1, description: 'The pod, by name. Give this or `selector`.' },
  selector: {
    description: 'Labels that pick the pod: a label selector string (`app=llama-stack,app.kubernetes.io/instance=x`) or a map of labels. A Running pod not being deleted is picked (Ready ones first, then the oldest), and the step says which.',
    anyOf: [{ type: 'string', minLength: 1 }, { type: 'object', additionalProperties: { type: 'string' }, minProperties: 1 }],
  },
  container: {
    type: 'string',
    minLength: 1,
    description: `Container to run in; default: the one the pod annotation ${DEFAULT_CONTAINER_ANNOTATION} names, else the first container (as kubectl does).`,
  },
  missingPodOk: { type: 'boolean', description: 'No matching pod (or none Running) skips the step with a note instead of failing it.' },
} as const satisfies Record<string, JsonSchema>;

/** The pod fields of a step input (a step's schema adds that `pod` or `selector` is given). */
export type PodTargetInput = InputOf<ObjectOf<typeof POD_TARGET_PROPERTIES, readonly ['namespace']>>;

/** The input must name a pod one way, not both. */
export const POD_TARGET_ONE_OF = [{ required: ['pod'], not: { required: ['selector'] } }, { required: ['selector'], not: { required: ['pod'] } }] as const satisfies JsonSchema[];

export function selectorText(selector: string | Record<string, string>): string {
  return typeof selector === 'string' ? selector : Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
}

export function describePodTarget(t: PodTargetInput): string {
  return t.pod ? `pod ${t.namespace}/${t.pod}` : `a Running pod in ${t.namespace} matching ${selectorText(t.selector ?? '')}`;
}

/** Reading the pod and exec in it. A WebSocket exec is a GET (authorized as `get` on pods/exec); newer API servers also ask for `create`, which SPDY clients (a POST) always needed. */
export function podPermissions(t: PodTargetInput): PermissionNeed[] {
  const base = { group: '', apiVersion: 'v1', kind: 'Pod', namespace: t.namespace };
  return [
    t.pod ? { ...base, verb: 'get', name: t.pod } : { ...base, verb: 'list' },
    { ...base, verb: 'get', subresource: 'exec', ...(t.pod ? { name: t.pod } : {}) },
    { ...base, verb: 'create', subresource: 'exec', ...(t.pod ? { name: t.pod } : {}) },
  ];
}

export interface PodChoice {
  pod: KubeObject;
  name: string;
  namespace: string;
  container: string;
  /** How it was picked, for the log. */
  note: string;
}

interface PodShape {
  spec?: { containers?: { name: string }[]; initContainers?: { name: string }[]; ephemeralContainers?: { name: string }[] };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

const phaseOf = (p: KubeObject): string => (p as PodShape).status?.phase ?? 'Unknown';
const isReady = (p: KubeObject): boolean => ((p as PodShape).status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * The pod and container to act in, or a sentence saying why there is none (no pod by that name,
 * none matching, none Running). A container that the pod does not have is an error, not "none".
 */
export async function choosePod(ctx: StepContext, t: PodTargetInput): Promise<PodChoice | { missing: string }> {
  const kube = kubeOf(ctx);
  let pod: KubeObject;
  let note: string;
  if (t.pod) {
    const found = await kube.get({ apiVersion: 'v1', kind: 'Pod', name: t.pod, namespace: t.namespace }, { signal: ctx.signal });
    if (!found) return { missing: `pod ${t.namespace}/${t.pod} does not exist` };
    if (phaseOf(found) !== 'Running' || found.metadata.deletionTimestamp) {
      return { missing: `pod ${t.namespace}/${t.pod} is ${found.metadata.deletionTimestamp ? 'being deleted' : phaseOf(found)}, not Running` };
    }
    pod = found;
    note = `pod ${t.namespace}/${t.pod}`;
  } else {
    const selector = selectorText(t.selector!);
    const all = (await kube.list({ apiVersion: 'v1', kind: 'Pod', namespace: t.namespace }, { labelSelector: selector, signal: ctx.signal })).items;
    const running = all
      .filter((p) => phaseOf(p) === 'Running' && !p.metadata.deletionTimestamp)
      .sort((a, b) => Number(isReady(b)) - Number(isReady(a)) || String(a.metadata.creationTimestamp ?? '').localeCompare(String(b.metadata.creationTimestamp ?? '')) || a.metadata.name!.localeCompare(b.metadata.name!));
    if (running.length === 0) {
      const others = all.map((p) => `${p.metadata.name} ${p.metadata.deletionTimestamp ? 'being deleted' : phaseOf(p)}`);
      return { missing: `no Running pod in ${t.namespace} matches ${selector}${others.length ? ` (${others.join(', ')})` : ''}` };
    }
    pod = running[0]!;
    note = `pod ${t.namespace}/${pod.metadata.name} (${running.length === 1 ? 'the one' : `the first of ${running.length}`} Running pod${running.length === 1 ? '' : 's'} matching ${selector})`;
  }
  const spec = (pod as PodShape).spec ?? {};
  const names = (spec.containers ?? []).map((c) => c.name);
  const all = [...names, ...(spec.initContainers ?? []).map((c) => c.name), ...(spec.ephemeralContainers ?? []).map((c) => c.name)];
  const annotated = pod.metadata.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  const container = t.container ?? (annotated && names.includes(annotated) ? annotated : names[0]);
  if (!container || !all.includes(container)) {
    throw new StepFailure(`${note} has no container ${JSON.stringify(container ?? '')}; it has ${names.join(', ') || 'none'}`, { hint: 'set `container` to one of them' });
  }
  return { pod, name: pod.metadata.name!, namespace: t.namespace, container, note: `${note}, container ${container}` };
}

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: readonly string[];
  /** Bytes or a stream for the command's stdin; none closes it at once. */
  stdin?: Buffer | string | Readable;
  /** Where stdout goes; default: collected and returned. */
  stdout?: Writable;
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  /** Collected stdout, when no `stdout` stream was given. */
  stdout: Buffer;
  stderr: string;
}

/** Holds what is written into the WebSocket until it drains below this. */
const STDIN_HIGH_WATER = 4 * 1024 * 1024;

/** Runs the command through the exec API and resolves with its exit code. */
export async function execInPod(ctx: StepContext, req: ExecRequest): Promise<ExecResult> {
  const kube = kubeOf(ctx);
  const collected: Buffer[] = [];
  const errors: Buffer[] = [];
  const out = req.stdout ?? new Writable({ write: (chunk: Buffer, _e, cb) => (collected.push(chunk), cb()) });
  let socket: { pause(): void; resume(): void; bufferedAmount: number; readyState: number; close(): void } | undefined;
  // client-node writes each frame without waiting: hold the socket while the sink catches up.
  const stdout = new Writable({
    write(chunk: Buffer, _e, cb) {
      if (!out.write(chunk)) {
        socket?.pause();
        out.once('drain', () => socket?.resume());
      }
      cb();
    },
    final(cb) {
      cb();
    },
  });
  const stderr = new Writable({ write: (chunk: Buffer, _e, cb) => (errors.push(chunk), cb()) });
  // Our own stdin stream, fed below once the socket is open, so large input waits for the socket.
  const stdin = req.stdin === undefined ? undefined : new PassThrough();
  let status: { status?: string; reason?: string; message?: string; details?: { causes?: { reason?: string; type?: string; message?: string }[] } } | undefined;
  // A handler of our own: the default one would end the process's stdout on a stream-close frame.
  // Loaded when a pod is first exec'd, so `validate` (which loads every step type) never loads
  // client-node.
  const { Exec: ExecClient, WebSocketHandler } = await import('../../kube/client-node.js');
  const handler = new WebSocketHandler(kube.kubeConfig, undefined, { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() });
  const exec = new ExecClient(kube.kubeConfig, handler);
  let ws: Awaited<ReturnType<Exec['exec']>>;
  try {
    ws = await exec.exec(req.namespace, req.pod, req.container, [...req.command], stdout, stderr, stdin ?? null, false, (s) => {
      status = s as typeof status;
    });
  } catch (err) {
    throw new StepFailure(`exec in pod ${req.namespace}/${req.pod} (container ${req.container}) failed: ${describeWsError(err)}`, { transient: true, cause: err });
  }
  socket = ws as unknown as typeof socket;
  // Only v5 can close stdin on its own; an older server would leave the command waiting for input.
  const protocol = (ws as unknown as { protocol?: string }).protocol;
  if (stdin && protocol !== 'v5.channel.k8s.io') {
    ws.close();
    throw new StepFailure(`exec in pod ${req.namespace}/${req.pod}: the API server speaks ${protocol || 'an old exec protocol'}, which cannot close the command's input`, {
      hint: 'Kubernetes 1.30 or later (OpenShift 4.17 or later) is needed to send input to a command',
    });
  }
  const closed = new Promise<void>((resolve) => (ws as unknown as { on(e: string, f: () => void): void }).on('close', () => resolve()));
  const onAbort = (): void => ws.close();
  req.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // readyState 1: open. A command that exits before reading all its input closes the socket.
    if (stdin) await feed(req.stdin!, stdin, () => socket!.bufferedAmount, () => socket!.readyState === 1);
    await closed;
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
  }
  if (req.signal?.aborted) throw new StepFailure('exec aborted', { cause: req.signal.reason });
  if (req.stdout && !req.stdout.writableEnded) req.stdout.end();
  const stderrText = Buffer.concat(errors).toString('utf8');
  if (!status) throw new StepFailure(`exec in pod ${req.namespace}/${req.pod}: the connection closed before the command's exit status arrived`, { transient: true });
  if (status.status === 'Success') return { exitCode: 0, stdout: Buffer.concat(collected), stderr: stderrText };
  const code = status.reason === 'NonZeroExitCode' ? status.details?.causes?.find((c) => (c.reason ?? c.type) === 'ExitCode')?.message : undefined;
  if (code !== undefined && /^\d+$/.test(code)) return { exitCode: Number(code), stdout: Buffer.concat(collected), stderr: stderrText };
  throw new StepFailure(`exec in pod ${req.namespace}/${req.pod} (container ${req.container}) failed: ${status.message ?? status.reason ?? 'unknown error'}`);
}

/** Copies the input into the exec's stdin, pausing while the WebSocket holds much unsent; stops when it closes. */
async function feed(source: Buffer | string | Readable, into: PassThrough, buffered: () => number, open: () => boolean): Promise<void> {
  const chunks: AsyncIterable<Buffer> = typeof source === 'string' || Buffer.isBuffer(source) ? (async function* () { yield Buffer.from(source); })() : (source as AsyncIterable<Buffer>);
  try {
    for await (const chunk of chunks) {
      for (let at = 0; at < chunk.length; at += 256 * 1024) {
        while (open() && buffered() > STDIN_HIGH_WATER) await new Promise((r) => setTimeout(r, 20));
        if (!open()) return;
        into.write(chunk.subarray(at, at + 256 * 1024));
      }
    }
  } finally {
    if (source instanceof Readable) source.destroy();
    into.end();
  }
}

function describeWsError(err: unknown): string {
  const e = err as { message?: string; error?: { message?: string } };
  const text = e?.error?.message ?? e?.message ?? String(err);
  return /\b403\b/.test(text) ? `${text} (exec needs get and create on pods/exec in the namespace)` : text;
}
