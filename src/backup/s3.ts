// MinIO and S3-compatible buckets: every object of the configured bucket (and prefix) becomes one
// blob of the backup, named by the SHA-256 of its key, with SHA-256 and size in the manifest item
// and its key, ETag and Last-Modified beside them. One blob per object rather than tar batches:
// docs/decisions/0017-s3-objects.md.
//
// Incremental: an object whose ETag, size and Last-Modified equal the previous complete backup's
// item is not read from S3 again; its blob is copied server-side inside the backup account (Copy
// Blob with a read SAS, blob-copy.ts), so every backup stays whole on its own (retention,
// immutability, verify and the secondary copy work per backup as for every other kind). If that
// copy fails (the older backup expired meanwhile, or its blob is archived) the object is read again.
//
// Consistency: per object (each blob is one GetObject); a bucket written during the backup is not
// a point in time. Resumable like every part: a blob already written by an earlier attempt is
// kept (write-once, its metadata tells what it holds); the part record is written last.
// Memory: objects are streamed; a listing page (1,000 keys) at a time, up to `concurrency` objects
// at once, whose block buffers come from the process's pool (adapters/block-buffers.ts): its cap
// holds for every upload of the process together, whatever `concurrency` says.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BackupEnv } from './env.js';
import { blockSizeFor, type StoredBlob } from '../adapters/blob-store.js';
import { ReadSasIssuer, copyBlobFromUrl } from '../adapters/blob-copy.js';
import { s3Failure } from '../adapters/s3.js';
import { PART_FORMAT, partIds, paths, type ManifestItem } from './manifest.js';
import { readPartRecord, summarize, writePartRecord } from './engine.js';
import { listBackups } from './catalog.js';
import { storedBlob } from './exec-stream.js';
import { s3ClientFor, s3Config } from './s3-credentials.js';
import type { BackupRedisInput, PartSummary } from '../domain/backup-types.js';

/** Objects up to this size go up as one Put Blob; larger ones in blocks. */
const SINGLE_PUT_BYTES = 4 * 1024 * 1024;
/** Blocks of one object staged at the same time. */
const OBJECT_BLOCKS_IN_FLIGHT = 2;

/**
 * Block size of an object: the size is known (Content-Length), so one size for every block, at
 * least 4 MiB, with 50,000 blocks covering it (no larger trailing blocks as for a dump whose size
 * is only estimated).
 */
export function objectBlockBytes(size: number): number {
  return blockSizeFor(size).base;
}

export type BackupS3Input = BackupRedisInput;

export function keyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The s3 items of the newest complete backup before `backupId` that backed up entry `name`, by key. */
async function previousItems(env: BackupEnv, cluster: string, backupId: string, name: string): Promise<Map<string, ManifestItem>> {
  for (const b of await listBackups(env, cluster)) {
    if (!b.complete || b.backupId >= backupId) continue;
    const r = await readPartRecord(env, cluster, b.backupId, partIds.s3(name));
    if (r) return new Map(r.items.filter((i) => i.type === 's3' && i.key !== undefined).map((i) => [i.key!, i]));
  }
  return new Map();
}

const same = (prev: ManifestItem | undefined, o: { etag: string; size: number; lastModified: string }) =>
  prev !== undefined && prev.etag === o.etag && prev.size === o.size && prev.lastModified === o.lastModified;

export async function backupS3(env: BackupEnv, input: BackupS3Input): Promise<PartSummary & { reused?: number }> {
  const cfg = s3Config(env, input.cluster, input.name);
  const part = partIds.s3(cfg.name);
  const existing = await readPartRecord(env, input.cluster, input.backupId, part);
  if (existing) return summarize(existing, true);
  const client = await s3ClientFor(env, input.cluster, cfg);
  const { ListObjectsV2Command, GetObjectCommand } = await import('@aws-sdk/client-s3');
  const previous = await previousItems(env, input.cluster, input.backupId, cfg.name);
  const container = env.backups.containers.appData;
  const sas = new ReadSasIssuer(env.blobs);
  const items: ManifestItem[] = [];
  const warnings: string[] = [];
  let reused = 0;
  const where = `s3 ${cfg.name} (bucket ${cfg.bucket})`;

  const fromStored = (key: string, s: StoredBlob): ManifestItem => ({
    part,
    type: 's3',
    container,
    path: s.path,
    size: s.size,
    sha256: s.sha256,
    name: cfg.name,
    bucket: cfg.bucket,
    key,
    etag: s.metadata['aksopss3etag'] ?? '',
    lastModified: s.metadata['aksopss3modified'] ?? '',
  });

  const one = async (o: { key: string; etag: string; size: number; lastModified: string }) => {
    const path = paths.s3(input.cluster, input.backupId, cfg.name, keyHash(o.key));
    let stored = await storedBlob(env, container, path);
    const prev = previous.get(o.key);
    if (!stored && same(prev, o)) {
      try {
        await copyBlobFromUrl(env.blobs, container, path, await sas.url(prev!.container, prev!.path));
        stored = await env.blobs.existing(container, path);
        reused += 1;
      } catch {
        stored = null; // read it from S3 instead
      }
    }
    if (!stored) {
      let res;
      try {
        res = await client.send(new GetObjectCommand({ Bucket: cfg.bucket, Key: o.key }));
      } catch (e) {
        throw s3Failure(e, `${where}: GetObject ${o.key}`);
      }
      const size = res.ContentLength ?? o.size;
      stored = await env.blobs.writeOnce(container, path, res.Body as Readable, {
        blockSize: size < SINGLE_PUT_BYTES ? size + 1 : objectBlockBytes(size),
        concurrency: OBJECT_BLOCKS_IN_FLIGHT,
        metadata: {
          aksopss3etag: res.ETag ?? o.etag,
          aksopss3modified: res.LastModified?.toISOString() ?? o.lastModified,
          aksopss3key: encodeURIComponent(o.key).slice(0, 4000),
        },
        contentType: res.ContentType ?? 'application/octet-stream',
      });
    }
    items.push(fromStored(o.key, stored));
  };

  let token: string | undefined;
  do {
    let page;
    try {
      page = await client.send(
        new ListObjectsV2Command({
          Bucket: cfg.bucket,
          MaxKeys: cfg.listPageSize,
          ...(cfg.prefix ? { Prefix: cfg.prefix } : {}),
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
    } catch (e) {
      throw s3Failure(e, `${where}: ListObjectsV2`);
    }
    const queue = (page.Contents ?? [])
      .filter((c) => c.Key !== undefined)
      .map((c) => ({ key: c.Key!, etag: c.ETag ?? '', size: c.Size ?? 0, lastModified: c.LastModified?.toISOString() ?? '' }));
    const worker = async () => {
      for (let o = queue.shift(); o; o = queue.shift()) await one(o);
    };
    await Promise.all(Array.from({ length: Math.min(cfg.concurrency, queue.length) }, worker));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (page.IsTruncated && !token)
      warnings.push('the server said the listing is truncated but gave no continuation token: the rest of the bucket is not backed up');
  } while (token);
  items.sort((a, b) => (a.key! < b.key! ? -1 : a.key! > b.key! ? 1 : 0));
  const record = await writePartRecord(env, { format: PART_FORMAT, backupId: input.backupId, cluster: input.cluster, part, items, warnings });
  return { ...summarize(record, false), reused };
}
