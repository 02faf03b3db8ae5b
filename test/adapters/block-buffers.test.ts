// The process's pool of upload block buffers (src/adapters/block-buffers.ts): one cap for every
// upload at once, buffers reused, first come first served.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BlockBufferPool } from '../../src/adapters/block-buffers.js';

const MIB = 1024 * 1024;
const settle = () => new Promise((r) => setImmediate(r));

describe('BlockBufferPool', () => {
  it('holds at most the cap: the next upload waits for a buffer given back, and gets that same buffer', async () => {
    const pool = new BlockBufferPool(12 * MIB);
    const leases = [await pool.acquire(4 * MIB), await pool.acquire(4 * MIB), await pool.acquire(4 * MIB)];
    let fourth: Awaited<ReturnType<BlockBufferPool['acquire']>> | undefined;
    void pool.acquire(4 * MIB).then((l) => (fourth = l));
    await settle();
    expect([fourth, pool.allocatedBytes, pool.leasedBytes]).toEqual([undefined, 12 * MIB, 12 * MIB]);
    leases[1]!.release();
    await settle();
    expect(fourth!.data.buffer).toBe(leases[1]!.data.buffer); // reused, not allocated
    expect(pool.allocatedBytes).toBe(12 * MIB);
  });

  it('gives blocks up to 4 MiB standard buffers (S3 objects of any size under it share them), exactly the size asked for', async () => {
    const pool = new BlockBufferPool(4 * MIB);
    const a = await pool.acquire(3 * MIB + 17);
    expect([a.data.length, pool.allocatedBytes]).toEqual([3 * MIB + 17, 4 * MIB]);
    a.release();
    const b = await pool.acquire(4 * MIB);
    expect([b.data.length, b.data.buffer === a.data.buffer]).toEqual([4 * MIB, true]);
  });

  it('allocates blocks under 1 MiB directly (documents), outside the cap', async () => {
    const pool = new BlockBufferPool(4 * MIB);
    const big = await pool.acquire(4 * MIB);
    const small = await pool.acquire(1000);
    expect([small.data.length, pool.allocatedBytes]).toEqual([1000, 4 * MIB]);
    small.release();
    big.release();
  });

  it('drops free buffers of another size to make room, and grants a block larger than the cap only when it would run alone', async () => {
    const pool = new BlockBufferPool(8 * MIB);
    const a = await pool.acquire(4 * MIB);
    const b = await pool.acquire(4 * MIB);
    a.release();
    let huge: Awaited<ReturnType<BlockBufferPool['acquire']>> | undefined;
    void pool.acquire(20 * MIB).then((l) => (huge = l));
    await settle();
    expect(huge).toBeUndefined(); // b is still leased
    b.release();
    await settle();
    expect([huge!.data.length, pool.allocatedBytes]).toEqual([20 * MIB, 20 * MIB]);
    huge!.release();
    const c = await pool.acquire(4 * MIB); // the 20 MiB buffer is dropped for it
    expect(pool.allocatedBytes).toBe(4 * MIB);
    c.release();
  });

  it('serves waiters in order, and a lease given back twice counts once', async () => {
    const pool = new BlockBufferPool(8 * MIB);
    const first = await pool.acquire(8 * MIB);
    const order: string[] = [];
    const large = pool.acquire(8 * MIB).then((l) => (order.push('large'), l));
    const small = pool.acquire(4 * MIB).then((l) => (order.push('small'), l));
    first.release();
    first.release();
    const l = await large;
    await settle();
    expect(order).toEqual(['large']); // a second release of `first` did not free room for `small`
    l.release();
    (await small).release();
    expect(order).toEqual(['large', 'small']);
    expect(pool.leasedBytes).toBe(0);
  });

  it('refuses a cap that is not positive', () => {
    expect(() => new BlockBufferPool(0)).toThrow(/must be positive, got 0/);
  });

  it('never holds more than the cap (but for one block larger than it, alone), and serves every request, whatever the sizes and timing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 25 }), async (reqs) => {
        const pool = new BlockBufferPool(16 * MIB);
        let served = 0;
        let over = 0;
        await Promise.all(
          reqs.map(async ([mib, ticks]) => {
            const lease = await pool.acquire(mib * MIB);
            if (pool.allocatedBytes > 16 * MIB && pool.leasedBytes !== Math.max(mib, 4) * MIB) over += 1;
            expect(lease.data.length).toBe(mib * MIB);
            for (let t = 0; t < ticks; t++) await settle();
            served += 1;
            lease.release();
          }),
        );
        expect([served, over, pool.leasedBytes]).toEqual([reqs.length, 0, 0]);
      }),
      { numRuns: 100 },
    );
  });
});
