// The pods/exec subresource of the fake kube-apiserver over WebSocket, speaking the channel
// protocols the real client (@kubernetes/client-node Exec / WebSocketHandler) speaks, and running
// the requested command locally (a test stands in for the container).
//
// Protocol (k8s.io/apimachinery/pkg/util/remotecommand, k8s.io/apiserver/pkg/util/wsstream,
// KEP-4006 "Transition from SPDY to WebSockets"):
//   GET /api/v1/namespaces/{ns}/pods/{name}/exec?command=..&command=..&container=c&stdin=true&stdout=true&stderr=true&tty=false
//   Upgrade: websocket, Sec-WebSocket-Protocol: the client's list in order of preference
//   (client-node offers v5.channel.k8s.io, v4.channel.k8s.io, v3..., channel.k8s.io). The fake
//   accepts v5 and v4 (the first of those the client lists) and refuses the older ones (400).
//   Every binary message starts with a channel byte: 0 stdin (client->server), 1 stdout,
//   2 stderr, 3 error/status (server->client), 4 resize; v5 adds 255 CLOSE [255, channel], with
//   which the client half-closes stdin while output keeps flowing. In v4 a client can only end
//   stdin by closing the whole connection (client-node does that), after which nothing more
//   reaches it.
//   On open the server sends an empty frame on each output channel. When the command ends, the
//   status goes on channel 3 as a metav1.Status: {"metadata":{},"status":"Success"} or the
//   kubelet's failure {"status":"Failure","reason":"NonZeroExitCode","message":"command
//   terminated with non-zero exit code: ...","details":{"causes":[{"reason":"ExitCode",
//   "message":"N"}]}} (pkg/kubelet/cri/streaming/remotecommand/httpstream.go), then the server
//   closes the connection.
// Before the upgrade, the API server answers plain HTTP errors: 401 without a valid token, 404
// for a missing pod, 400 for a container the pod does not have, for a pod that is not Running,
// and when no stream is requested.
//
// Back-pressure, both ways: the command's stdout is paused while more than 1 MiB waits for the
// socket (a slow reader stalls the command, as a real pipe would), and stdin frames stop being
// read from the socket while the command's stdin is full.
//
//   configureExec(fake.registry, { env: { PGPORT: '5432' }, rewrite: (cmd) => cmd, onSpawn })
import { spawn, type ChildProcess } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { KubeRegistry } from './kube-registry.js';
import { isPlainObject } from './kube-patch.js';
import { resourceType } from './kube-resources.js';
import { KubeStatusError, statusError, type StatusBody } from './kube-status.js';
import type { RecordedRequest } from './kube-api-server.js';
import { text } from '../../src/domain/text.js';

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const;
export const SUPPORTED_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const SEND_HIGH = 1024 * 1024;
const SEND_LOW = 256 * 1024;

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  protocol: string;
}

export interface ExecOptions {
  /** Extra environment of the local process (the container's env). */
  env?: Record<string, string>;
  /** Maps the requested command to the local one (default: as requested). */
  rewrite?: (req: ExecRequest) => string[];
  /** Called with each started process (tests inject faults: kill it, count bytes). */
  onSpawn?: (req: ExecRequest, child: ChildProcess) => void;
}

export interface ExecRecord extends ExecRequest {
  exitCode: number | null;
  signal: string | null;
  stdoutBytes: number;
  stdinBytes: number;
}

export interface UpgradeContext {
  registry: KubeRegistry;
  authenticate(header: string | undefined): string | undefined;
  /** Throws the 403 KubeStatusError when the user may not make this request (kube-authz.ts). */
  authorize(user: string, method: string, path: string, query: Record<string, string>): void;
  record(r: RecordedRequest): void;
}

const options = new WeakMap<KubeRegistry, ExecOptions>();
const history = new WeakMap<KubeRegistry, ExecRecord[]>();

export function configureExec(registry: KubeRegistry, o: ExecOptions): void {
  options.set(registry, o);
}

/** The options configureExec set (a test wraps them for one case, then puts them back). */
export function execConfig(registry: KubeRegistry): ExecOptions {
  return options.get(registry) ?? {};
}

/** Every exec the fake ran, in order. */
export function execHistory(registry: KubeRegistry): ExecRecord[] {
  let h = history.get(registry);
  if (!h) history.set(registry, (h = []));
  return h;
}

const EXEC_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/;
const EXEC_QUERY = ['command', 'container', 'stdin', 'stdout', 'stderr', 'tty', 'pretty'];

function httpError(socket: Duplex, status: StatusBody): void {
  const text = JSON.stringify(status);
  const code = status.code ?? 500;
  socket.end(
    `HTTP/1.1 ${code} ${status.reason ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

function frame(channel: number, data?: Buffer): Buffer {
  const b = Buffer.allocUnsafe(1 + (data?.length ?? 0));
  b[0] = channel;
  data?.copy(b, 1);
  return b;
}

// Output frames reuse buffers: a fresh 64 KiB buffer per pipe read costs this fake more CPU
// (allocation, page faults) than the copy itself, and the fake shares the machine's two cores
// with the client it checks (the backup.stream benchmark measures that client). A buffer goes
// back to the pool once ws has written it to the socket (the send callback).
const POOLED_FRAME = 1 + 64 * 1024;
const framePool: Buffer[] = [];

function pooledFrame(channel: number, data: Buffer): { frame: Buffer; release(): void } {
  if (data.length + 1 > POOLED_FRAME) return { frame: frame(channel, data), release: () => undefined };
  const b = framePool.pop() ?? Buffer.allocUnsafeSlow(POOLED_FRAME);
  b[0] = channel;
  data.copy(b, 1);
  return { frame: b.subarray(0, 1 + data.length), release: () => void (framePool.length < 64 && framePool.push(b)) };
}

const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  handleProtocols: (protocols) => {
    for (const p of protocols) if (SUPPORTED_PROTOCOLS.includes(p)) return p;
    return false;
  },
});

/** Handles an HTTP upgrade on the fake's server; anything but pods/exec answers 404. */
export function handleWebSocketUpgrade(ctx: UpgradeContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const url = new URL(req.url ?? '/', 'http://fake');
  const record: RecordedRequest = {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams.entries()),
    contentType: undefined,
    body: undefined,
    user: undefined,
    status: 0,
  };
  ctx.record(record);
  const fail = (e: KubeStatusError) => {
    record.status = e.httpStatus;
    httpError(socket, e.status);
  };
  record.user = ctx.authenticate(req.headers.authorization);
  if (record.user === undefined) return fail(statusError.unauthorized());
  try {
    ctx.authorize(record.user, record.method, url.pathname, record.query);
  } catch (e) {
    if (e instanceof KubeStatusError) return fail(e);
    throw e;
  }
  const m = EXEC_PATH.exec(url.pathname);
  if (!m) return fail(statusError.pathNotFound());
  for (const k of url.searchParams.keys()) {
    if (!EXEC_QUERY.includes(k)) return fail(statusError.badRequest(`fake kube-apiserver: query parameter "${k}" is not defined for exec`));
  }
  const namespace = decodeURIComponent(m[1]!);
  const podName = decodeURIComponent(m[2]!);
  const pod = ctx.registry.store.get('pods', `${namespace}/${podName}`);
  if (!pod) return fail(statusError.notFound(resourceType('pods'), podName));
  const containers = ((pod.spec ?? {})['containers'] as unknown[] | undefined)?.filter(isPlainObject).map((c) => text(c['name'], 'undefined')) ?? [];
  const container = url.searchParams.get('container') ?? (containers.length === 1 ? containers[0]! : '');
  if (container === '') return fail(statusError.badRequest(`a container name must be specified for pod ${podName}, choose one of: [${containers.join(' ')}]`));
  if (!containers.includes(container)) return fail(statusError.badRequest(`container ${container} is not valid for pod ${podName}`));
  const phase = (pod.status ?? {})['phase'];
  if (phase !== 'Running') return fail(statusError.badRequest(`cannot exec into a container in a completed pod; current phase is ${String(phase)}`));
  const command = url.searchParams.getAll('command');
  if (command.length === 0) return fail(statusError.badRequest('you must specify at least 1 command'));
  const want = {
    stdin: url.searchParams.get('stdin') === 'true',
    stdout: url.searchParams.get('stdout') === 'true',
    stderr: url.searchParams.get('stderr') === 'true',
  };
  if (!want.stdin && !want.stdout && !want.stderr) return fail(statusError.badRequest('you must specify at least 1 of stdin, stdout, stderr'));
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (!offered.some((p) => SUPPORTED_PROTOCOLS.includes(p))) {
    return fail(
      statusError.badRequest(
        `fake kube-apiserver: none of the offered subprotocols [${offered.join(', ')}] is supported (v5.channel.k8s.io, v4.channel.k8s.io)`,
      ),
    );
  }
  record.status = 101;
  wss.handleUpgrade(req, socket, head, (ws) => run(ctx.registry, ws, { namespace, pod: podName, container, command, protocol: ws.protocol }, want));
}

function run(registry: KubeRegistry, ws: WebSocket, req: ExecRequest, want: { stdin: boolean; stdout: boolean; stderr: boolean }): void {
  const o = options.get(registry) ?? {};
  const argv = o.rewrite ? o.rewrite(req) : req.command;
  const rec: ExecRecord = { ...req, exitCode: null, signal: null, stdoutBytes: 0, stdinBytes: 0 };
  execHistory(registry).push(rec);
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...(o.env ?? {}) }, stdio: [want.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  o.onSpawn?.(req, child);
  let spawnError: Error | undefined;
  child.on('error', (e) => {
    spawnError = e;
  });
  if (want.stdout) ws.send(frame(CHANNEL.stdout));
  if (want.stderr) ws.send(frame(CHANNEL.stderr));

  // Output is paused while more than SEND_HIGH bytes wait for the socket (a reader that stops
  // reading fills the socket, then this buffer, then the pipe: the command blocks).
  const pump = (stream: NodeJS.ReadableStream & { pause(): void; resume(): void }, channel: number, enabled: boolean, count?: (n: number) => void) => {
    let paused = false;
    stream.on('data', (chunk: Buffer) => {
      count?.(chunk.length);
      if (!enabled || ws.readyState !== ws.OPEN) return;
      const f = pooledFrame(channel, chunk);
      ws.send(f.frame, () => {
        f.release();
        if (paused && (ws.readyState !== ws.OPEN || ws.bufferedAmount < SEND_LOW)) {
          paused = false;
          stream.resume();
        }
      });
      if (ws.bufferedAmount > SEND_HIGH) {
        paused = true;
        stream.pause();
      }
    });
  };
  pump(child.stdout!, CHANNEL.stdout, want.stdout, (n) => (rec.stdoutBytes += n));
  pump(child.stderr!, CHANNEL.stderr, want.stderr);

  const stdin = child.stdin;
  stdin?.on('error', () => undefined); // the command may exit without reading all of stdin
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length === 0) return;
    const channel = data[0]!;
    if (channel === CHANNEL.stdin && stdin) {
      rec.stdinBytes += data.length - 1;
      if (!stdin.write(data.subarray(1))) {
        ws.pause();
        // Resume on drain, or when the command has closed its stdin (head -c N exits after N bytes):
        // a socket left paused never reads the client's close frame, and the client then waits
        // out its 30 s close timeout before it sees the exit status.
        const resume = () => {
          stdin.off('drain', resume);
          stdin.off('close', resume);
          ws.resume();
        };
        stdin.once('drain', resume);
        stdin.once('close', resume);
      }
    } else if (channel === CHANNEL.close && req.protocol === 'v5.channel.k8s.io' && data[1] === CHANNEL.stdin) {
      stdin?.end();
    }
  });
  ws.on('close', () => {
    // v4 clients end stdin by closing the connection; the command sees end of input.
    stdin?.end();
  });

  child.on('close', (code, signal) => {
    rec.exitCode = code;
    rec.signal = signal;
    if (ws.readyState !== ws.OPEN) return;
    let status: Record<string, unknown>;
    if (spawnError) {
      const message = `OCI runtime exec failed: exec failed: unable to start container process: exec: "${req.command[0]}": executable file not found in $PATH: unknown`;
      status = { metadata: {}, status: 'Failure', message, reason: 'InternalError', details: { causes: [{ message }] }, code: 500 };
    } else if (code === 0) {
      status = { metadata: {}, status: 'Success' };
    } else {
      const exit = code ?? 128 + 9; // killed by a signal: the shell convention
      status = {
        metadata: {},
        status: 'Failure',
        message: `command terminated with non-zero exit code: error executing command [${req.command.join(' ')}], exit code ${exit}`,
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: String(exit) }] },
      };
    }
    ws.send(frame(CHANNEL.status, Buffer.from(JSON.stringify(status))), () => ws.close(1000));
  });
}
