// BackupBlobStore.writeOnce against Azurite with a small block buffer pool: uploads at once share
// the cap and every one commits whole; every buffer comes back on success, on a source that fails
// mid-stream, on a commit the service refuses, and when the blob already exists.
import { describe, expect, inject, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { BackupBlobStore } from '../../src/adapters/blob-store.js';
import { BlockBufferPool, type BlockLease } from '../../src/adapters/block-buffers.js';

const MIB = 1024 * 1024;
const container = `bufpool${randomBytes(3).toString('hex')}`;

/** A pool that remembers the most it ever held. */
class WatchedPool extends BlockBufferPool {
  most = 0;
  override async acquire(size: number): Promise<BlockLease> {
    const l = await super.acquire(size);
    this.most = Math.max(this.most, this.allocatedBytes);
    return l;
  }
}

async function* chunks(data: Buffer, fail?: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += 64 * 1024) {
    if (fail !== undefined && at >= fail) throw new Error('pg_dump: connection to server lost');
    yield data.subarray(at, at + 64 * 1024);
  }
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('writeOnce with the shared block buffer pool', () => {
  it('four 10 MiB uploads at once through a 12 MiB pool: all commit whole, the pool never holds more', async () => {
    const pool = new WatchedPool(12 * MIB);
    const store = new BackupBlobStore({ connectionString: inject('azurite').connectionString }, pool);
    const datas = [0, 1, 2, 3].map(() => randomBytes(10 * MIB));
    const stored = await Promise.all(datas.map((d, i) => store.writeOnce(container, `together/${i}.bin`, chunks(d), { blockSize: 4 * MIB, concurrency: 4 })));
    for (const [i, s] of stored.entries()) {
      expect([s.size, s.sha256]).toEqual([datas[i]!.length, sha(datas[i]!)]);
      expect(sha(await store.readBuffer(container, `together/${i}.bin`))).toBe(sha(datas[i]!));
    }
    expect(pool.most).toBe(12 * MIB);
    expect(pool.leasedBytes).toBe(0);
  });

  it('gives every buffer back when the source fails mid-stream, the commit is refused, or the blob already exists', async () => {
    const pool = new BlockBufferPool(12 * MIB);
    const store = new BackupBlobStore({ connectionString: inject('azurite').connectionString }, pool);
    const data = randomBytes(9 * MIB);
    await expect(store.writeOnce(container, 'failing.bin', chunks(data, 6 * MIB), { blockSize: 4 * MIB })).rejects.toThrow(/connection to server lost/);
    expect([pool.leasedBytes, await store.exists(container, 'failing.bin')]).toEqual([0, false]);
    // Metadata names must be C# identifiers: the service refuses the commit (400).
    await expect(store.writeOnce(container, 'refused.bin', chunks(data), { blockSize: 4 * MIB, metadata: { 'not-an-identifier': 'x' } })).rejects.toThrow();
    expect(pool.leasedBytes).toBe(0);
    const first = await store.writeOnce(container, 'once.bin', chunks(data), { blockSize: 4 * MIB });
    const again = await store.writeOnce(container, 'once.bin', chunks(randomBytes(9 * MIB)), { blockSize: 4 * MIB });
    expect([again.existed, again.sha256]).toEqual([true, first.sha256]);
    expect(pool.leasedBytes).toBe(0);
    // And the pool still serves a whole upload afterwards (nothing leaked from its cap).
    const after = await store.writeOnce(container, 'after.bin', chunks(data), { blockSize: 4 * MIB, concurrency: 4 });
    expect(after.sha256).toBe(sha(data));
  });
});
