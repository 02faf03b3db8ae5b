// Running a command in a container through the Kubernetes exec API, streaming, with
// back-pressure both ways, over the real @kubernetes/client-node Exec (WebSocket, channel
// protocol v5.channel.k8s.io preferred, v4.channel.k8s.io accepted).
//
// What client-node does (dist/exec.js, dist/web-socket-handler.js, 1.4): stdout frames are
// written to our stdout stream with stdout.write() whatever it returns, and stdin is forwarded
// with ws.send() on every 'data' event of our stdin stream; on stdin 'end' it sends
// CLOSE [255, 0] (v5) or closes the whole connection (v4). The status frame (channel 3) ends
// stdout and is handed to the status callback. So this module adds the flow control itself:
//   - output: when our stdout buffer is full, the WebSocket is paused (ws.pause(): the socket
//     stops being read, TCP pushes back to the API server and the kubelet, the command blocks
//     on a full pipe); it resumes on 'drain'. Memory stays at the stream's high-water mark.
//   - input: stdin data is forwarded only while the socket's bufferedAmount is below a
//     threshold; the source is paused otherwise.
//   - end of input: with v5 the stream ends (half-close); with v4 ending stdin would close the
//     connection and lose the output and exit status, so stdin is never ended: commands that
//     read stdin must stop on their own (e.g. `head -c N | ...`), see restoreDatabase.
import { PassThrough, Readable, Writable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import type WebSocket from 'isomorphic-ws';

export interface ExecStatus {
  status?: string;
  reason?: string;
  message?: string;
  details?: { causes?: Array<{ reason?: string; message?: string }> };
}

export interface ExecResult {
  exitCode: number;
  status: ExecStatus;
  /** The last bytes of stderr (bounded), for error messages. */
  stderr: string;
  protocol: string;
}

export interface ExecHandle {
  /** The command's stdout: read it (or pipe it) to let the command run. */
  stdout: Readable;
  /** Resolves when the exit status arrived; rejects when the connection ended without one. */
  done: Promise<ExecResult>;
  protocol: string;
  /** Closes the connection (the command sees its stdin/stdout go away). */
  abort(): void;
}

export interface ExecOptions {
  /** Bytes to feed to stdin (back-pressured). */
  stdin?: Readable;
  /** Subprotocols to offer, in order (default: what client-node offers). Tests use it to force v4. */
  protocols?: string[];
  /** High-water mark of the stdout buffer; default 4 MiB. */
  stdoutBuffer?: number;
  /** Keep at most this many bytes of stderr; default 16 KiB. */
  stderrLimit?: number;
}

const STDIN_HIGH = 4 * 1024 * 1024;
const STDIN_LOW = 1024 * 1024;

/** Exit code from the v4/v5 status document (NonZeroExitCode with an ExitCode cause). */
export function exitCodeOf(s: ExecStatus): number {
  if (s.status === 'Success') return 0;
  if (s.reason === 'NonZeroExitCode') {
    const c = s.details?.causes?.find((x) => x.reason === 'ExitCode');
    const n = Number(c?.message);
    if (Number.isInteger(n)) return n;
  }
  return -1;
}

export async function execStream(
  kc: KubeConfig,
  namespace: string,
  pod: string,
  container: string,
  command: string[],
  options: ExecOptions = {},
): Promise<ExecHandle> {
  const k8s = await import('@kubernetes/client-node');
  // eslint-disable-next-line prefer-const -- the stdout callback reads it (as undefined) before the socket exists
  let ws: WebSocket | undefined;
  let pausedForStdout = false;
  const stdout = new PassThrough({ highWaterMark: options.stdoutBuffer ?? 4 * 1024 * 1024 });
  const write = stdout.write.bind(stdout) as (chunk: unknown, ...rest: unknown[]) => boolean;
  // client-node ignores write()'s return value: pause the socket ourselves.
  (stdout as unknown as { write: typeof write }).write = (chunk: unknown, ...rest: unknown[]) => {
    const ok = write(chunk, ...rest);
    if (!ok && !pausedForStdout) {
      pausedForStdout = true;
      (ws as unknown as { pause?: () => void } | undefined)?.pause?.();
    }
    return ok;
  };
  stdout.on('drain', () => {
    if (pausedForStdout) {
      pausedForStdout = false;
      (ws as unknown as { resume?: () => void } | undefined)?.resume?.();
    }
  });
  const limit = options.stderrLimit ?? 16 * 1024;
  let stderrText = '';
  const stderr = new Writable({
    write(chunk: Buffer, _enc, cb) {
      stderrText = (stderrText + chunk.toString('utf8')).slice(-limit);
      cb();
    },
  });

  // stdin gate: forwards the source while the socket is not backed up; ends only on v5.
  let stdin: Readable | null = null;
  let endInput = () => undefined as void;
  if (options.stdin) {
    const src = options.stdin;
    let srcEnded = false;
    const gate = new Readable({ read() {} });
    stdin = gate;
    let timer: NodeJS.Timeout | undefined;
    const throttle = () => {
      if (ws && ws.bufferedAmount > STDIN_HIGH && !timer) {
        src.pause();
        const check = () => {
          if (!ws || ws.readyState !== ws.OPEN || ws.bufferedAmount < STDIN_LOW) {
            timer = undefined;
            src.resume();
          } else timer = setTimeout(check, 2);
        };
        timer = setTimeout(check, 2);
      }
    };
    src.on('data', (c: Buffer) => {
      gate.push(c);
      throttle();
    });
    src.on('error', (e) => gate.destroy(e));
    endInput = () => {
      if (srcEnded && ws && ws.protocol === 'v5.channel.k8s.io') gate.push(null);
    };
    src.on('end', () => {
      srcEnded = true;
      endInput();
    });
  }

  let resolveDone!: (r: ExecResult) => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<ExecResult>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  let status: ExecStatus | undefined;
  let handler: ConstructorParameters<typeof k8s.Exec>[1] | undefined;
  if (options.protocols) {
    const offered = options.protocols;
    const { default: WS } = await import('isomorphic-ws');
    // WebSocketHandler is not re-exported by the package index; the package has no exports map.
    const { WebSocketHandler } = await import('@kubernetes/client-node/dist/web-socket-handler.js');
    handler = new WebSocketHandler(kc, (uri: string, _protocols: string[], opts: object) => new WS(uri, offered, opts));
  }
  const exec = new k8s.Exec(kc, handler);
  const conn = await exec.exec(namespace, pod, container, command, stdout, stderr, stdin, false, (s) => {
    status = s;
  });
  ws = conn;
  const protocol = ws.protocol;
  if (pausedForStdout) (ws as unknown as { pause(): void }).pause();
  endInput();
  ws.addEventListener('close', () => {
    if (status) {
      resolveDone({ exitCode: exitCodeOf(status), status, stderr: stderrText, protocol });
    } else {
      stdout.destroy(new Error('the exec connection closed before the command reported its exit status'));
      rejectDone(
        new Error(
          `exec in ${namespace}/${pod}/${container}: the connection closed before the command reported its exit status${stderrText ? ` (stderr: ${stderrText.trim().slice(-500)})` : ''}`,
        ),
      );
    }
    stdin?.destroy();
  });
  ws.addEventListener('error', (e) => {
    if (!status) rejectDone(new Error(`exec in ${namespace}/${pod}/${container}: ${(e as { message?: string }).message ?? 'WebSocket error'}`));
  });
  done.catch(() => undefined);
  return {
    stdout,
    done,
    protocol,
    abort: () => ws?.close(),
  };
}
