// Starts the real Azurite storage emulator (npm package `azurite`, run as a child process) on
// free ports with a temporary data folder, and stops it again. Used by the vitest global setup
// (test/support/global-setup.ts) and usable on its own, e.g. by `npm start`:
//
//   const azurite = await startAzurite();
//   process.env.AzureWebJobsStorage = azurite.connectionString;
//   ...
//   await azurite.stop();
//
// The account is Azurite's documented development account `devstoreaccount1` with its
// well-known, public key (not a secret: it is printed in Azurite's README and in every SDK).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const AZURITE_ACCOUNT_NAME = 'devstoreaccount1';
/** Azurite's well-known development account key (public, documented by Azurite). */
export const AZURITE_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteEndpoints {
  /** Full connection string with Blob, Queue and Table endpoints (http, devstoreaccount1). */
  connectionString: string;
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
}

export interface AzuriteInstance extends AzuriteEndpoints {
  /** The data folder Azurite uses (deleted by stop() unless keepLocation). */
  location: string;
  pid: number;
  /** Stops Azurite (SIGTERM, then SIGKILL after 5 s) and deletes the data folder. Safe to call twice. */
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  /** Ports; 0 (default) lets the OS pick a free port, read back from Azurite's output. */
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Data folder; default a new temporary folder. */
  location?: string;
  /** Keep the data folder on stop (default: delete it when we created it). */
  keepLocation?: boolean;
  /** How long to wait for the three services to answer; default 30 s. */
  startTimeoutMs?: number;
  /**
   * Extra accounts as Azurite's AZURITE_ACCOUNTS value ("name1:key1;name2:key2"). Azurite then
   * serves these accounts only (not devstoreaccount1); their URLs are path-style
   * (`{blobEndpoint origin}/{name}`).
   */
  accounts?: string;
}

/** Connection string for Azurite's development account at the given endpoints. */
export function azuriteConnectionString(e: { blobEndpoint: string; queueEndpoint: string; tableEndpoint: string }): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${AZURITE_ACCOUNT_NAME}`,
    `AccountKey=${AZURITE_ACCOUNT_KEY}`,
    `BlobEndpoint=${e.blobEndpoint}`,
    `QueueEndpoint=${e.queueEndpoint}`,
    `TableEndpoint=${e.tableEndpoint}`,
    '',
  ].join(';');
}

/** Path of Azurite's CLI entry point in node_modules, or an error telling how to install it. */
export function findAzuriteCli(): string {
  const require = createRequire(import.meta.url);
  let pkgJson: string;
  try {
    pkgJson = require.resolve('azurite/package.json');
  } catch {
    throw new Error('Azurite is not installed (node_modules/azurite is missing). Fix: run `npm ci` in the project root.');
  }
  const cli = join(dirname(pkgJson), 'dist', 'src', 'azurite.js');
  if (!existsSync(cli)) {
    throw new Error(`Azurite's CLI was not found at ${cli}. Fix: run \`npm ci\` to reinstall node_modules.`);
  }
  return cli;
}

// Preloaded into the Azurite child: exit when our stdin pipe closes, i.e. when the process that
// started Azurite dies without calling stop() (crash, Ctrl-C of vitest), so no orphan keeps ports.
// On SIGTERM/SIGINT it releases the pipe so Azurite's own graceful shutdown can end the process.
const PARENT_WATCHDOG =
  'data:text/javascript,process.stdin.on("end",()=>process.exit(0));process.stdin.on("error",()=>process.exit(0));process.stdin.resume();' +
  'for(const s of ["SIGTERM","SIGINT"])process.once(s,()=>process.stdin.destroy());';

const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at (https?:\/\/\S+)/;

function checkPort(name: string, value: number | undefined): string {
  const port = value ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`startAzurite: ${name}=${String(value)} is not a port number (0-65535; 0 picks a free port).`);
  }
  return String(port);
}

function portAnswers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function explainFailure(output: string, ports: { blob: string; queue: string; table: string }): string {
  const inUse = /EADDRINUSE[^\n]*?(?::(\d+))?\s*$/m.exec(output);
  if (inUse) {
    const port = inUse[1] ?? 'one of the requested ports';
    return (
      `Azurite could not start: port ${port} is already in use ` +
      `(requested blob=${ports.blob} queue=${ports.queue} table=${ports.table}). ` +
      'Fix: stop the other process using it (often another Azurite: `ss -ltnp | grep ' +
      port +
      '`), or pass port 0 to pick free ports.'
    );
  }
  if (/EACCES/.test(output)) {
    return 'Azurite could not start: permission denied (port below 1024 or data folder not writable). Fix: use ports above 1024 and a writable --location.';
  }
  return 'Azurite could not start. Its output follows; if a module is missing, run `npm ci`.';
}

/** Starts Azurite (Blob, Queue, Table) and resolves once all three ports answer. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteInstance> {
  const cli = findAzuriteCli();
  const host = options.host ?? '127.0.0.1';
  const ports = {
    blob: checkPort('blobPort', options.blobPort),
    queue: checkPort('queuePort', options.queuePort),
    table: checkPort('tablePort', options.tablePort),
  };
  const ownLocation = options.location === undefined;
  const location = options.location ?? (await mkdtemp(join(tmpdir(), 'azurite-')));
  const removeLocation = async () => {
    if (ownLocation && !options.keepLocation) await rm(location, { recursive: true, force: true, maxRetries: 3 });
  };

  const args = [
    '--import',
    PARENT_WATCHDOG,
    cli,
    '--silent',
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
    '--location',
    location,
    '--blobHost',
    host,
    '--queueHost',
    host,
    '--tableHost',
    host,
    '--blobPort',
    ports.blob,
    '--queuePort',
    ports.queue,
    '--tablePort',
    ports.table,
  ];

  let child: ChildProcess;
  try {
    child = spawn(process.execPath, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
      ...(options.accounts ? { env: { ...process.env, AZURITE_ACCOUNTS: options.accounts } } : {}),
    });
  } catch (err) {
    await removeLocation();
    throw new Error(`Azurite could not be launched with ${process.execPath}: ${(err as Error).message}`);
  }

  let output = '';
  const endpoints: Partial<Record<'Blob' | 'Queue' | 'Table', string>> = {};
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });

  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.length > 20_000) output = output.slice(-20_000);
      for (const line of output.split('\n')) {
        const m = LISTENING.exec(line);
        if (m) endpoints[m[1] as 'Blob' | 'Queue' | 'Table'] = m[2];
      }
      if (endpoints.Blob && endpoints.Queue && endpoints.Table) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (err) => reject(new Error(`Azurite could not be launched: ${err.message}`)));
    child.once('exit', (code, signal) =>
      reject(new Error(`${explainFailure(output, ports)}\nAzurite exited (code ${code}, signal ${signal}) with output:\n${output.trim()}`)),
    );
  });

  const kill = async () => {
    if (exited === null && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (exited === null) child.kill('SIGKILL');
      }, 5_000);
      await exitPromise;
      clearTimeout(timer);
    }
    child.stdin?.destroy();
  };

  const timeoutMs = options.startTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ready,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Azurite did not start within ${timeoutMs} ms. Output so far:\n${output.trim()}`)), timeoutMs);
      }),
    ]);
    // Azurite prints "listening" once the server is bound; check that each port really answers.
    for (const url of [endpoints.Blob!, endpoints.Queue!, endpoints.Table!]) {
      const u = new URL(url);
      let ok = false;
      for (let i = 0; i < 50 && !ok; i++) {
        ok = await portAnswers(u.hostname, Number(u.port), 1_000);
        if (!ok) await new Promise((r) => setTimeout(r, 100));
      }
      if (!ok) throw new Error(`Azurite reported ${url} but the port does not answer.`);
    }
  } catch (err) {
    await kill();
    await removeLocation();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  // Once started, later output is not needed; keep draining so the pipes never fill up.
  child.stdout!.removeAllListeners('data');
  child.stderr!.removeAllListeners('data');
  child.stdout!.resume();
  child.stderr!.resume();

  const blobEndpoint = `${endpoints.Blob}/${AZURITE_ACCOUNT_NAME}`;
  const queueEndpoint = `${endpoints.Queue}/${AZURITE_ACCOUNT_NAME}`;
  const tableEndpoint = `${endpoints.Table}/${AZURITE_ACCOUNT_NAME}`;
  let stopping: Promise<void> | undefined;
  return {
    blobEndpoint,
    queueEndpoint,
    tableEndpoint,
    connectionString: azuriteConnectionString({ blobEndpoint, queueEndpoint, tableEndpoint }),
    location,
    pid: child.pid!,
    stop() {
      stopping ??= (async () => {
        await kill();
        await removeLocation();
      })();
      return stopping;
    },
  };
}
