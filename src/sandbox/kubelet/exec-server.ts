// The kubelet's streaming endpoint for exec: `/exec/<namespace>/<pod>/<container>?command=...
// &input=1&output=1&error=1[&tty=1]`, upgraded to SPDY/3.1 as the real kubelet does
// (k8s.io/kubelet pkg/cri/streaming/remotecommand: httpstream.go and exec.go). The client — the
// kube-apiserver, which translates a WebSocket (v5.channel.k8s.io) client to this — opens one
// stream per channel, each named by its `streamType` header: error, stdin, stdout, stderr, resize.
// The command's exit goes out on the error stream as a v4 Status: Success, or Failure with reason
// NonZeroExitCode and an ExitCode cause. Like the kubelet, this speaks protocol v4 over SPDY (v5
// exists only between WebSocket clients and the API server).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { runCommand } from './commands.js';
import { SpdySession, type SpdyStream } from './spdy-session.js';

export const STREAM_PROTOCOL_V4 = 'v4.channel.k8s.io';
/** How long the client may take to open every stream it asked for (the kubelet's streamCreationTimeout default). */
const STREAM_CREATION_TIMEOUT_MS = 30_000;
/** How long to wait for the client to hang up after the status was sent. */
const HANG_UP_GRACE_MS = 10_000;

export interface ExecTarget {
  namespace: string;
  pod: string;
  container: string;
}

/** Finds the container's folder, or says why there is none (the answer becomes a 404 Status). */
export type ContainerLookup = (target: ExecTarget) => Promise<{ root: string; programs?: readonly string[] } | { notFound: string }>;

export interface ExecOptions {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export function parseExecRequest(url: URL): (ExecTarget & ExecOptions) | undefined {
  const m = /^\/exec\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
  if (!m) return undefined;
  const flag = (name: string): boolean => ['1', 'true'].includes(url.searchParams.get(name) ?? '');
  const tty = flag('tty');
  return {
    namespace: decodeURIComponent(m[1]!),
    pod: decodeURIComponent(m[2]!),
    container: decodeURIComponent(m[3]!),
    command: url.searchParams.getAll('command'),
    stdin: flag('input'),
    stdout: flag('output'),
    // With a terminal, stderr goes to stdout and there is no stderr stream.
    stderr: flag('error') && !tty,
    tty,
  };
}

/** The response to an upgrade we refuse: an HTTP error carrying a metav1.Status, which the API server hands on. */
export function refuse(socket: Duplex, code: number, reason: string, message: string): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  const text = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' }[code] ?? 'Error';
  socket.end(`HTTP/1.1 ${code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function headerValues(req: IncomingMessage, name: string): string[] {
  const raw = req.headers[name.toLowerCase()];
  const all = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return all.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

/** Handles one upgrade request on the kubelet's server. */
export async function handleExecUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, lookup: ContainerLookup, log: (m: string) => void): Promise<void> {
  socket.on('error', () => undefined);
  const url = new URL(req.url ?? '/', 'https://kubelet');
  const exec = parseExecRequest(url);
  if (!exec) return refuse(socket, 404, 'NotFound', `${url.pathname}: the sandbox kubelet serves exec only`);
  if (!headerValues(req, 'upgrade').some((v) => v.toLowerCase() === 'spdy/3.1')) {
    return refuse(socket, 400, 'BadRequest', 'unable to upgrade: the sandbox kubelet speaks SPDY/3.1 only');
  }
  if (!headerValues(req, 'x-stream-protocol-version').includes(STREAM_PROTOCOL_V4)) {
    return refuse(socket, 403, 'Forbidden', `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(headerValues(req, 'x-stream-protocol-version'))}, server accepts ["${STREAM_PROTOCOL_V4}"]`);
  }
  if (exec.command.length === 0) return refuse(socket, 400, 'BadRequest', 'you must specify at least 1 command');
  const found = await lookup(exec);
  if ('notFound' in found) return refuse(socket, 404, 'NotFound', found.notFound);

  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${STREAM_PROTOCOL_V4}\r\n\r\n`);
  if (head.length) socket.unshift(head);
  const session = new SpdySession(socket);
  const expected = 1 + Number(exec.stdin) + Number(exec.stdout) + Number(exec.stderr) + Number(exec.tty);
  let streams: Map<string, SpdyStream>;
  try {
    streams = await collectStreams(session, expected);
  } catch (err) {
    log(`exec ${exec.namespace}/${exec.pod}/${exec.container}: ${(err as Error).message}`);
    session.destroy();
    return;
  }
  const error = streams.get('error');
  const stdout = streams.get('stdout');
  const stderr = streams.get('stderr');
  let status: Record<string, unknown>;
  try {
    const code = await runCommand(exec.command, {
      root: found.root,
      ...(found.programs?.length ? { programs: found.programs } : {}),
      ...(streams.get('stdin') ? { stdin: streams.get('stdin')!.incoming } : {}),
      stdout: (data) => (stdout ? stdout.write(data) : Promise.resolve()),
      stderr: (data) => (stderr ? stderr.write(data) : exec.tty && stdout ? stdout.write(data) : Promise.resolve()),
    });
    status =
      code === 0
        ? { metadata: {}, status: 'Success' }
        : {
            metadata: {},
            status: 'Failure',
            message: `command terminated with non-zero exit code: command ${JSON.stringify(exec.command)} exited with ${code}`,
            reason: 'NonZeroExitCode',
            details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
          };
  } catch (err) {
    status = { metadata: {}, status: 'Failure', message: `error executing command in container: ${(err as Error).message}`, reason: 'InternalError', code: 500 };
  }
  try {
    await stdout?.end();
    await stderr?.end();
    await error?.write(Buffer.from(JSON.stringify(status)));
    await error?.end();
    for (const s of streams.values()) await s.end();
  } catch {
    // The client went away: nothing left to tell it.
  }
  // The client hangs up once it has read the status; do not keep a connection it forgot.
  const timer = setTimeout(() => session.goAway(), HANG_UP_GRACE_MS);
  timer.unref();
  session.once('close', () => clearTimeout(timer));
}

function collectStreams(session: SpdySession, expected: number): Promise<Map<string, SpdyStream>> {
  return new Promise((resolve, reject) => {
    const streams = new Map<string, SpdyStream>();
    const timer = setTimeout(() => finish(new Error(`timed out waiting for the client to create ${expected} streams`)), STREAM_CREATION_TIMEOUT_MS);
    const onStream = (stream: SpdyStream): void => {
      const type = stream.header('streamtype') ?? '';
      if (!['error', 'stdin', 'stdout', 'stderr', 'resize'].includes(type)) return finish(new Error(`unexpected stream type ${JSON.stringify(type)}`));
      if (type === 'resize') stream.incoming.resume(); // terminal sizes mean nothing here
      streams.set(type, stream);
      if (streams.size === expected) finish();
    };
    const onClose = (): void => finish(new Error('the client closed the connection before creating its streams'));
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      session.off('stream', onStream);
      session.off('close', onClose);
      if (err) reject(err);
      else resolve(streams);
    };
    session.on('stream', onStream);
    session.on('close', onClose);
  });
}
