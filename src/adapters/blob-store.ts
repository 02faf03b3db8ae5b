// Backup blobs in Azure Blob Storage (@azure/storage-blob), write-once.
//
// Writing (writeOnce): the bytes are streamed from an async iterable: SHA-256 and size are
// computed on the way, the stream is cut into blocks that are staged with bounded concurrency
// (Put Block, BlockBlobClient.stageBlock) and the block list is committed (Put Block List,
// commitBlockList) only after the source ended without error, with `If-None-Match: *` so an
// existing blob is never overwritten (the service answers 409 BlobAlreadyExists). Until the
// commit nothing is visible: a failed or crashed upload leaves only uncommitted blocks, which the
// service discards (after a week, or when the blob is committed). Content that fits one block is
// sent as a single Put Blob with the same condition.
// Memory: at most `concurrency` blocks in flight plus the one being filled, in buffers leased from
// the process's pool (block-buffers.ts), whose cap holds for all uploads of the process together;
// the source is not read while all slots are busy or no buffer is free (back-pressure to the
// producer).
//
// Block IDs: base64 of a random per-attempt nonce plus the zero-padded block index, all the same
// length (a blob's block IDs must be). A retried attempt (at-least-once activities) stages under
// new IDs, so blocks of two attempts can never be mixed in one commit.
// Limits (Put Block List, x-ms-version 2019-12-12+): 50,000 committed blocks, 4000 MiB per block.
//
// Every committed blob carries metadata aksopssha256 and aksopssize (and what the caller adds),
// so a re-run that finds the blob already there reports the stored checksum without reading it.
//
// Connection: BACKUP_BLOB_SERVICE_URI with the managed identity in Azure (Storage Blob Data
// Contributor on the backup account, bicep/permissions.json app-backup-blobs); locally a
// connection string (BACKUP_STORAGE_CONNECTION, else AzureWebJobsStorage, e.g. Azurite).
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlobServiceClient, ContainerClient, StoragePipelineOptions } from '@azure/storage-blob';
import type { TokenCredential } from '@azure/identity';
import { processBlockBuffers, type BlockBufferPool, type BlockLease } from './block-buffers.js';

export const MAX_BLOCKS = 50_000;
export const MAX_BLOCK_BYTES = 4000 * 1024 * 1024;
export const MIN_DUMP_BLOCK_BYTES = 4 * 1024 * 1024;
const MIB = 1024 * 1024;

/**
 * Block size so that 50,000 blocks cover `expectedBytes` (at least 4 MiB, whole MiB). Blocks past
 * number 45,000 are 16 times larger (block blobs allow mixed sizes), so a dump that outgrows its
 * estimate up to ~2.5x still commits instead of failing at block 50,001.
 */
export function blockSizeFor(expectedBytes: number, minimum = MIN_DUMP_BLOCK_BYTES): { base: number; at: (index: number) => number } {
  const base = Math.min(MAX_BLOCK_BYTES, Math.max(minimum, Math.ceil(expectedBytes / MAX_BLOCKS / MIB) * MIB));
  const big = Math.min(MAX_BLOCK_BYTES, base * 16);
  return { base, at: (i) => (i < 45_000 ? base : big) };
}

export interface WriteOptions {
  /** Block size, or a function of the block index. */
  blockSize: number | ((index: number) => number);
  /** Blocks staged at the same time. */
  concurrency?: number;
  /** Metadata, or a function called at commit time (after the source ended: counts). */
  metadata?: Record<string, string> | (() => Record<string, string>);
  contentType?: string;
  /** Called after each staged block with the bytes read so far (progress, heartbeats). */
  onProgress?: (bytes: number) => void;
}

export interface StoredBlob {
  container: string;
  path: string;
  size: number;
  sha256: string;
  /** The blob was already there (written by an earlier attempt): nothing was written now. */
  existed: boolean;
  metadata: Record<string, string>;
}

export interface BlobListing {
  name: string;
  size: number;
  metadata: Record<string, string>;
  lastModified: Date | undefined;
  accessTier: string | undefined;
}

export class BlobWriteError extends Error {
  override name = 'BlobWriteError';
}

function isStatus(e: unknown, code: number): boolean {
  return (e as { statusCode?: unknown } | null)?.statusCode === code;
}

function errorCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown; details?: { errorCode?: unknown } } | null)?.details?.errorCode ?? (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

export interface BlobStoreConnection {
  /** Connection string (Azurite or an account key), or ... */
  connectionString?: string;
  /** ... the Blob service URI with a token credential (managed identity). */
  serviceUri?: string;
  credential?: TokenCredential;
  pipeline?: StoragePipelineOptions;
}

export class BackupBlobStore {
  private service: Promise<BlobServiceClient> | undefined;
  private readonly ensured = new Map<string, Promise<ContainerClient>>();

  constructor(
    private readonly connection: BlobStoreConnection,
    /** Block buffers of writeOnce: the process's pool, shared by every store (tests pass their own). */
    private readonly buffers: BlockBufferPool = processBlockBuffers,
  ) {
    if (!connection.connectionString && !connection.serviceUri) {
      throw new Error(
        'No backup storage configured. Fix: set BACKUP_BLOB_SERVICE_URI (Azure, managed identity) or BACKUP_STORAGE_CONNECTION (a connection string, e.g. Azurite)',
      );
    }
  }

  /** Where the blobs go, for messages (no credentials). */
  get endpoint(): string {
    if (this.connection.serviceUri) return this.connection.serviceUri;
    const m = /BlobEndpoint=([^;]+)/i.exec(this.connection.connectionString ?? '');
    if (m) return m[1]!;
    if (/UseDevelopmentStorage=true/i.test(this.connection.connectionString ?? '')) return 'http://127.0.0.1:10000/devstoreaccount1';
    const account = /AccountName=([^;]+)/i.exec(this.connection.connectionString ?? '')?.[1];
    return account ? `https://${account}.blob.core.windows.net` : '(connection string)';
  }

  /** The SDK client of the account (server-side copies, SAS issuance: blob-copy.ts). */
  serviceClient(): Promise<BlobServiceClient> {
    return this.client();
  }

  private client(): Promise<BlobServiceClient> {
    this.service ??= (async () => {
      const { BlobServiceClient } = await import('@azure/storage-blob');
      const c = this.connection;
      if (c.connectionString) return BlobServiceClient.fromConnectionString(c.connectionString, c.pipeline);
      let credential = c.credential;
      if (!credential) {
        const identity = await import('@azure/identity');
        credential = new identity.DefaultAzureCredential();
      }
      return new BlobServiceClient(c.serviceUri!, credential, c.pipeline);
    })();
    return this.service;
  }

  /** The container, created on first use (once per process). */
  container(name: string): Promise<ContainerClient> {
    let p = this.ensured.get(name);
    if (!p) {
      p = (async () => {
        const cc = (await this.client()).getContainerClient(name);
        try {
          await cc.createIfNotExists();
        } catch (e) {
          // Without the right to create containers (Bicep creates them), use it as it is.
          if (!isStatus(e, 403)) throw e;
        }
        return cc;
      })();
      p.catch(() => this.ensured.delete(name));
      this.ensured.set(name, p);
    }
    return p;
  }

  /** Streams `source` into a new blob; see the file header. Never overwrites. */
  async writeOnce(
    container: string,
    path: string,
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Readable,
    options: WriteOptions,
  ): Promise<StoredBlob> {
    const cc = await this.container(container);
    const blob = cc.getBlockBlobClient(path);
    const sizeAt =
      typeof options.blockSize === 'number'
        ? (
            (n: number) => () =>
              n
          )(options.blockSize)
        : options.blockSize;
    const concurrency = Math.max(1, options.concurrency ?? 4);
    const nonce = randomBytes(6).toString('hex');
    const blockId = (i: number) => Buffer.from(`${nonce}${String(i).padStart(6, '0')}`, 'ascii').toString('base64');
    const hash = createHash('sha256');
    let size = 0;
    // Blocks are filled in buffers leased from the process's pool (block-buffers.ts: reused, and
    // capped for all uploads of the process together), at most concurrency + 1 at a time: memory
    // stays at those buffers whatever the size of the stream.
    let current: BlockLease | undefined;
    let fill = 0;
    const ids: string[] = [];
    const inflight = new Set<Promise<void>>();
    let failure: Error | undefined;

    const stage = async (data: Buffer, release: () => void) => {
      while (inflight.size >= concurrency) await Promise.race(inflight);
      if (failure || ids.length >= MAX_BLOCKS) {
        release();
        throw (
          failure ??
          new BlobWriteError(`${container}/${path}: more than ${MAX_BLOCKS} blocks; the expected size is far too small. Fix: raise expectedSize in the config`)
        );
      }
      const id = blockId(ids.length);
      ids.push(id);
      const p: Promise<void> = blob.stageBlock(id, data, data.length).then(
        () => {
          inflight.delete(p);
          release();
        },
        (e: unknown) => {
          inflight.delete(p);
          release();
          failure ??= e instanceof Error ? e : new Error(String(e));
        },
      );
      inflight.add(p);
    };
    /** Stages the filled part of the current buffer as the next block. */
    const flush = async () => {
      const lease = current!;
      const len = fill;
      current = undefined;
      fill = 0;
      await stage(lease.data.subarray(0, len), lease.release);
    };

    const metadata = (): Record<string, string> => ({
      ...(typeof options.metadata === 'function' ? options.metadata() : (options.metadata ?? {})),
      aksopssha256: hash.digest('hex'),
      aksopssize: String(size),
    });
    let meta: Record<string, string> | undefined;
    try {
      for await (const chunk of source) {
        let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        if (buf.length === 0) continue;
        hash.update(buf);
        size += buf.length;
        while (buf.length > 0) {
          current ??= await this.buffers.acquire(sizeAt(ids.length));
          const n = buf.copy(current.data, fill);
          fill += n;
          buf = buf.subarray(n);
          if (fill === current.data.length) {
            await flush();
            options.onProgress?.(size);
          }
        }
        if (failure) throw failure;
      }
      if (ids.length === 0) {
        const body = current ? current.data.subarray(0, fill) : Buffer.alloc(0);
        meta = metadata();
        await blob.upload(body, body.length, {
          conditions: { ifNoneMatch: '*' },
          metadata: meta,
          ...(options.contentType ? { blobHTTPHeaders: { blobContentType: options.contentType } } : {}),
        });
      } else {
        if (fill > 0) await flush();
        await Promise.all(inflight);
        if (failure) throw failure;
        meta = metadata();
        await blob.commitBlockList(ids, {
          conditions: { ifNoneMatch: '*' },
          metadata: meta,
          ...(options.contentType ? { blobHTTPHeaders: { blobContentType: options.contentType } } : {}),
        });
      }
      options.onProgress?.(size);
    } catch (e) {
      await Promise.allSettled(inflight);
      if (isStatus(e, 409) && (errorCode(e) === 'BlobAlreadyExists' || errorCode(e) === undefined)) {
        return this.existing(container, path);
      }
      throw e;
    } finally {
      current?.release();
    }
    return { container, path, size, sha256: meta['aksopssha256']!, existed: false, metadata: meta };
  }

  /** Writes a small document once (JSON text or bytes). */
  async writeOnceBuffer(
    container: string,
    path: string,
    data: Buffer | string,
    metadata: Record<string, string> = {},
    contentType = 'application/json',
  ): Promise<StoredBlob> {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    return this.writeOnce(container, path, [buf], { blockSize: buf.length + 1, metadata, contentType });
  }

  /** The blob that is already there, as a StoredBlob (its recorded checksum). */
  async existing(container: string, path: string): Promise<StoredBlob> {
    const props = await this.properties(container, path);
    if (!props) throw new BlobWriteError(`${container}/${path} was reported to exist but cannot be read`);
    const sha = props.metadata['aksopssha256'];
    if (!sha || !/^[0-9a-f]{64}$/.test(sha)) {
      throw new BlobWriteError(
        `${container}/${path} exists but was not written by aksops (no aksopssha256 metadata). Fix: move it away; backup blobs are never overwritten`,
      );
    }
    return { container, path, size: props.size, sha256: sha, existed: true, metadata: props.metadata };
  }

  /** Size and metadata, or null when the blob does not exist. */
  async properties(container: string, path: string): Promise<{ size: number; metadata: Record<string, string>; accessTier: string | undefined } | null> {
    const cc = await this.container(container);
    try {
      const p = await cc.getBlobClient(path).getProperties();
      return { size: p.contentLength ?? 0, metadata: p.metadata ?? {}, accessTier: p.accessTier };
    } catch (e) {
      if (isStatus(e, 404)) return null;
      throw e;
    }
  }

  async exists(container: string, path: string): Promise<boolean> {
    return (await this.properties(container, path)) !== null;
  }

  /** A readable stream of the blob's bytes (retries broken connections from the offset reached). */
  async read(container: string, path: string): Promise<NodeJS.ReadableStream> {
    const cc = await this.container(container);
    const res = await cc.getBlobClient(path).download(0, undefined, { maxRetryRequests: 5 });
    if (!res.readableStreamBody) throw new Error(`${container}/${path}: download returned no body`);
    return res.readableStreamBody;
  }

  async readBuffer(container: string, path: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await this.read(container, path)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  /** A JSON document, or null when the blob does not exist. */
  async readJson<T>(container: string, path: string): Promise<T | null> {
    try {
      return JSON.parse((await this.readBuffer(container, path)).toString('utf8')) as T;
    } catch (e) {
      if (isStatus(e, 404)) return null;
      throw e;
    }
  }

  /** Blobs under a prefix, with metadata. */
  async list(container: string, prefix: string): Promise<BlobListing[]> {
    const cc = await this.container(container);
    const out: BlobListing[] = [];
    for await (const b of cc.listBlobsFlat({ prefix, includeMetadata: true })) {
      out.push({
        name: b.name,
        size: b.properties.contentLength ?? 0,
        metadata: b.metadata ?? {},
        lastModified: b.properties.lastModified,
        accessTier: b.properties.accessTier,
      });
    }
    return out;
  }

  /** The "directories" right under a prefix (names ending in "/"). */
  async listPrefixes(container: string, prefix: string): Promise<string[]> {
    const cc = await this.container(container);
    const out: string[] = [];
    for await (const item of cc.listBlobsByHierarchy('/', { prefix })) {
      if (item.kind === 'prefix') out.push(item.name);
    }
    return out;
  }

  /** Deletes a blob (and its snapshots); true when it existed. */
  async delete(container: string, path: string): Promise<boolean> {
    const cc = await this.container(container);
    const r = await cc.getBlobClient(path).deleteIfExists({ deleteSnapshots: 'include' });
    return r.succeeded;
  }
}
