// S3-compatible object storage (MinIO, AWS S3, others) through the official client,
// @aws-sdk/client-s3 (loaded lazily: it is large and only backups of buckets need it).
//
// Checksums: since client-s3 3.729 the client adds CRC32 checksums (aws-chunked trailers) to
// uploads by default, which several S3-compatible servers reject or mishandle; we ask for them
// only where the operation requires them (requestChecksumCalculation/responseChecksumValidation
// WHEN_REQUIRED) and send our own SHA-256 (x-amz-checksum-sha256) on restores instead.
// Retries: the client's standard mode (3 attempts, backoff) covers 503 SlowDown and 5xx.
//
// Errors: the client's exceptions hold the raw response; s3Failure keeps only the operation, the
// S3 error code, the HTTP status and a fix, never a credential (docs/security.md).
import type { S3Client } from '@aws-sdk/client-s3';

export interface S3Access {
  endpoint: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
}

export async function s3Client(a: S3Access): Promise<S3Client> {
  const { S3Client: Client } = await import('@aws-sdk/client-s3');
  return new Client({
    endpoint: a.endpoint,
    region: a.region,
    forcePathStyle: a.forcePathStyle,
    credentials: { accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 4,
  });
}

export class S3Failure extends Error {
  override name = 'S3Failure';
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

const FIXES: Record<string, string> = {
  AccessDenied: 'give the access key read (backup) or write (restore) rights on the bucket',
  InvalidAccessKeyId: 'the access key does not exist on the server: check the credentials the config names',
  SignatureDoesNotMatch: 'the secret key does not match the access key: check the credentials the config names',
  NoSuchBucket: 'check backups.clusters[].s3[].bucket (or the restore target bucket)',
  SlowDown: 'the server throttled every retry: lower backups.clusters[].s3[].concurrency',
  AuthorizationHeaderMalformed: 'check backups.clusters[].s3[].region',
};

/** The status of a client exception, if it is one. */
export function s3Status(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** A plain error naming what failed, the S3 code and status, and the fix; nothing else of `e`. */
export function s3Failure(e: unknown, what: string): S3Failure {
  if (e instanceof S3Failure) return e;
  const status = s3Status(e);
  const code = (e as { name?: unknown; Code?: unknown } | null)?.Code ?? (e as { name?: unknown } | null)?.name;
  const c = typeof code === 'string' ? code : undefined;
  const fix = c ? FIXES[c] : undefined;
  const detail = status === undefined ? ((e as Error)?.message ?? String(e)).split('\n')[0]!.slice(0, 200) : `${c ?? 'error'} (HTTP ${status})`;
  return new S3Failure(`${what}: ${detail}${fix ? `. Fix: ${fix}` : ''}`, c, status);
}
