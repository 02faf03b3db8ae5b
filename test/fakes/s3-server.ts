// An S3-compatible server for tests: the real S3 implementation `s3rver` (npm; object storage on
// disk, ListObjectsV2 with continuation tokens and max-keys, GetObject, PutObject, HeadObject,
// ETags, NoSuchBucket/NoSuchKey XML errors) behind a strict front that adds what s3rver leaves
// out:
//  - SigV4 header authentication, checked: s3rver accepts any v4 signature from a known key id
//    ("Signature version 4 calculation is unimplemeneted", lib/middleware/authentication.js).
//    The front recomputes the signature with @smithy/signature-v4 (the signer the AWS SDKs use)
//    over the signed headers and answers 403 SignatureDoesNotMatch / InvalidAccessKeyId as S3.
//  - Authorization: each access key may use only the buckets it is given (else 403 AccessDenied),
//    and read-only keys may not write.
//  - Throttling: `slowDown(n)` answers the next n requests 503 SlowDown (S3's throttling error).
// Error bodies follow https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { freePort } from '../support/net.js';

export interface S3Key {
  accessKeyId: string;
  secretAccessKey: string;
  /** Buckets this key may use. */
  buckets: string[];
  readOnly?: boolean;
}

export interface S3Fake {
  endpoint: string;
  region: string;
  /** Requests seen by the front (method, path with query), after authentication. */
  requests: Array<{ method: string; path: string; accessKeyId: string }>;
  /** The next n requests get 503 SlowDown. */
  slowDown(n: number): void;
  /** How many requests were answered SlowDown so far. */
  throttled(): number;
  addKey(key: S3Key): void;
  stop(): Promise<void>;
}

// s3rver's built-in account; the front signs nothing with it, it only reaches s3rver.
const S3RVER_KEY = 'S3RVER';

function xmlError(res: ServerResponse, status: number, code: string, message: string, extra = ''): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>fake</RequestId></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

async function expectedAuthorization(req: IncomingMessage, key: S3Key, region: string, signed: string[]): Promise<string> {
  const url = new URL(req.url ?? '/', 'http://x');
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  const headers: Record<string, string> = {};
  for (const h of signed) headers[h] = String(req.headers[h] ?? '');
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const date = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const signer = new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    region,
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
    applyChecksum: false,
  });
  const [host, port] = String(req.headers.host ?? '').split(':');
  const out = await signer.sign(
    {
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: host ?? '',
      ...(port ? { port: Number(port) } : {}),
      path: url.pathname,
      query,
      headers,
      body: undefined,
    },
    { signingDate: date, unsignableHeaders: new Set(), signableHeaders: new Set(signed) },
  );
  return String(out.headers['authorization'] ?? out.headers['Authorization']);
}

/** Starts s3rver on a free port with a temporary folder, and the strict front on another. */
export async function startS3Fake(options: { region?: string; keys?: S3Key[]; buckets?: string[] } = {}): Promise<S3Fake> {
  const region = options.region ?? 'eu-west-2';
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const inner = await startS3rver(directory, options.buckets ?? []);
  const innerPort = inner.port;
  const keys = new Map<string, S3Key>((options.keys ?? []).map((k) => [k.accessKeyId, k]));
  let slow = 0;
  let throttled = 0;
  const requests: S3Fake['requests'] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (slow > 0) {
      slow -= 1;
      throttled += 1;
      req.resume();
      return xmlError(res, 503, 'SlowDown', 'Please reduce your request rate.');
    }
    const m = AUTH.exec(String(req.headers.authorization ?? ''));
    if (!m) return xmlError(res, 403, 'AccessDenied', 'Access Denied');
    const [, keyId, , signedRegion, signedHeaders, signature] = m;
    const key = keys.get(keyId!);
    if (!key) return xmlError(res, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    if (signedRegion !== region) return xmlError(res, 400, 'AuthorizationHeaderMalformed', `the region '${signedRegion}' is wrong; expecting '${region}'`);
    const signed = signedHeaders!.split(';');
    if (!signed.includes('host') || !signed.includes('x-amz-date') || !signed.includes('x-amz-content-sha256'))
      return xmlError(res, 403, 'AccessDenied', 'host, x-amz-date and x-amz-content-sha256 must be signed');
    const expected = await expectedAuthorization(req, key, region, signed);
    if (!expected.endsWith(`Signature=${signature}`))
      return xmlError(
        res,
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      );
    const url = new URL(req.url ?? '/', 'http://x');
    const bucket = decodeURIComponent(url.pathname.split('/')[1] ?? '');
    const write = req.method !== 'GET' && req.method !== 'HEAD';
    if ((bucket && !key.buckets.includes(bucket)) || (write && key.readOnly)) return xmlError(res, 403, 'AccessDenied', 'Access Denied');
    requests.push({ method: req.method ?? '', path: req.url ?? '', accessKeyId: key.accessKeyId });
    // To s3rver under its own key (it checks no v4 signature, see the header).
    const headers = { ...req.headers, authorization: String(req.headers.authorization).replace(/Credential=[^/]+\//, `Credential=${S3RVER_KEY}/`) };
    const upstream = httpRequest({ host: '127.0.0.1', port: innerPort, method: req.method, path: req.url, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    upstream.on('error', (e) => xmlError(res, 500, 'InternalError', e.message));
    req.pipe(upstream);
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => xmlError(res, 500, 'InternalError', (e as Error).message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    region,
    requests,
    slowDown: (n) => (slow = n),
    throttled: () => throttled,
    addKey: (k) => keys.set(k.accessKeyId, k),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await inner.stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * s3rver alone in a child process (what the benchmark uses, like a MinIO beside the app): no v4
 * signature check, any request signed with the access key S3RVER is accepted.
 */
export async function startS3rver(directory: string, buckets: string[]): Promise<{ port: number; stop(): Promise<void> }> {
  // A child process: s3rver's continuation tokens use DES, which OpenSSL 3 keeps in its legacy provider.
  const port = await freePort();
  const bin = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
  const args = [
    '--openssl-legacy-provider',
    bin,
    '-d',
    directory,
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '--no-vhost-buckets',
    ...(process.env['S3_DEBUG'] ? [] : ['-s']),
  ];
  for (const b of buckets) args.push('--configure-bucket', b);
  const child = spawn(process.execPath, args, { stdio: ['ignore', process.env['S3_DEBUG'] ? 'inherit' : 'ignore', 'inherit'] });
  for (let i = 0; ; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (i > 100 || child.exitCode !== null) throw new Error(`s3rver did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
