// The block buffers of every streamed upload in this process (BackupBlobStore.writeOnce), under one
// cap. A Functions host runs several parts of a backup at once (backups.concurrency, default 4:
// pg_dump, redis-cli --rdb, a TSDB tar, S3 objects ...), and each upload alone would hold up to 5
// blocks; measured (bench backup.stream.together), 4 at once peaked at 300-319 MiB of RSS, 221-236
// with a 32 MiB cap, 196-202 with 16 MiB and 184-193 with 12 MiB. With the cap they share the
// buffers: an upload waits for one (its source waits with it: back-pressure) instead of
// allocating more. 12 MiB costs one stream alone nothing measurable (3 blocks in flight keep
// Azurite busy) and 4 at once about a tenth of their joint rate (84-110 against 96-123 MiB/s).
//
// Buffers are reused (a fresh 4 MiB allocation per block costs page faults and garbage); blocks
// up to STANDARD_BYTES get a standard buffer (so S3 objects of any size under it share them), and
// a free buffer of another size is dropped to make room. Waiters are served first come, first
// served. A request larger than the cap is granted when nothing else is allocated (it runs alone).
// Blocks under DIRECT_BYTES (documents, small objects) are allocated directly: cheap, and their
// bytes are already in memory at the caller's.

/** The buffers of all uploads together: 3 blocks of 4 MiB. */
export const BLOCK_BUFFER_CAP = 12 * 1024 * 1024;
const STANDARD_BYTES = 4 * 1024 * 1024;
const DIRECT_BYTES = 1024 * 1024;

export interface BlockLease {
  /** Exactly the bytes asked for (a view of a pooled buffer). */
  data: Buffer;
  /** Gives the buffer back; calling it again does nothing. */
  release: () => void;
}

export class BlockBufferPool {
  /** Bytes of the pooled buffers that exist, free or leased. */
  private allocated = 0;
  private readonly free: Buffer[] = [];
  private readonly waiting: Array<{ bytes: number; grant: (b: Buffer) => void }> = [];

  constructor(readonly capBytes: number = BLOCK_BUFFER_CAP) {
    if (!(capBytes > 0)) throw new RangeError(`the block buffer cap must be positive, got ${capBytes}`);
  }

  /** A buffer of `size` bytes, once the cap allows it. */
  async acquire(size: number): Promise<BlockLease> {
    if (size < DIRECT_BYTES) return { data: Buffer.allocUnsafe(size), release: () => undefined };
    const bytes = Math.max(size, STANDARD_BYTES);
    const buf = (this.waiting.length === 0 ? this.take(bytes) : undefined) ?? (await new Promise<Buffer>((grant) => this.waiting.push({ bytes, grant })));
    let given = false;
    return {
      data: buf.subarray(0, size),
      release: () => {
        if (given) return;
        given = true;
        this.free.push(buf);
        this.serve();
      },
    };
  }

  /** Pooled bytes now, free and leased. */
  get allocatedBytes(): number {
    return this.allocated;
  }

  /** Pooled bytes leased now (not given back yet). */
  get leasedBytes(): number {
    return this.allocated - this.free.reduce((a, b) => a + b.length, 0);
  }

  private take(bytes: number): Buffer | undefined {
    const same = this.free.findIndex((b) => b.length === bytes);
    if (same >= 0) return this.free.splice(same, 1)[0];
    // Make room by dropping free buffers of other sizes (the garbage collector frees them).
    while (this.allocated + bytes > this.capBytes && this.free.length > 0) this.allocated -= this.free.pop()!.length;
    if (this.allocated + bytes > this.capBytes && this.allocated > 0) return undefined;
    this.allocated += bytes;
    return Buffer.allocUnsafe(bytes);
  }

  private serve(): void {
    for (let next = this.waiting[0]; next; next = this.waiting[0]) {
      const b = this.take(next.bytes);
      if (!b) return;
      this.waiting.shift();
      next.grant(b);
    }
  }
}

/** The pool of this process, shared by every BackupBlobStore. */
export const processBlockBuffers = new BlockBufferPool();
