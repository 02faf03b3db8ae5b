// The shared buffer budget of the S3 objects streaming at once (src/backup/byte-budget.ts) and the
// buffer size of one object (bufferBytes in src/backup/s3.ts).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteBudget } from '../../src/backup/byte-budget.js';
import { bufferBytes } from '../../src/backup/s3.js';

const MIB = 1024 * 1024;
const settle = () => new Promise((r) => setImmediate(r));

describe('ByteBudget', () => {
  it('grants what fits at once and makes the rest wait until bytes are given back', async () => {
    const b = new ByteBudget(10);
    const a = await b.take(6);
    let second: (() => void) | undefined;
    void b.take(5).then((r) => (second = r));
    await settle();
    expect([b.inUse, second]).toEqual([6, undefined]);
    a();
    await settle();
    expect([b.inUse, typeof second]).toEqual([5, 'function']);
    second!();
    expect(b.inUse).toBe(0);
  });

  it('serves waiters in order: a small request does not overtake a large one that waits', async () => {
    const b = new ByteBudget(10);
    const first = await b.take(8);
    const order: string[] = [];
    const large = b.take(9).then((r) => (order.push('large'), r));
    const small = b.take(1).then((r) => (order.push('small'), r));
    await settle();
    expect(order).toEqual([]); // 8 + 1 would fit, but the large one asked first
    first();
    (await large)();
    (await small)();
    expect(order).toEqual(['large', 'small']);
  });

  it('grants a request larger than the budget the whole budget (it runs alone), and giving back twice counts once', async () => {
    const b = new ByteBudget(10);
    const huge = await b.take(50);
    expect(b.inUse).toBe(10);
    let other = false;
    const next = b.take(1).then((r) => ((other = true), r));
    await settle();
    expect(other).toBe(false);
    huge();
    huge();
    (await next)();
    expect(b.inUse).toBe(0);
  });

  it('refuses a budget that is not positive', () => {
    expect(() => new ByteBudget(0)).toThrow(/must be positive, got 0/);
  });

  it('never has more than the budget taken, and every request is served, whatever the sizes and timing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 30 }), async (reqs) => {
        const b = new ByteBudget(20);
        let peak = 0;
        let served = 0;
        await Promise.all(
          reqs.map(async ([bytes, ticks]) => {
            const release = await b.take(bytes);
            peak = Math.max(peak, b.inUse);
            for (let t = 0; t < ticks; t++) await settle();
            served += 1;
            release();
          }),
        );
        expect(peak).toBeLessThanOrEqual(20);
        expect([served, b.inUse]).toEqual([reqs.length, 0]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('bufferBytes (what one S3 object holds while it streams)', () => {
  it('is the object itself for one Put Blob, and three blocks (two staging, one filling) above 4 MiB', () => {
    expect(bufferBytes(0)).toBe(1);
    expect(bufferBytes(4 * MIB - 1)).toBe(4 * MIB);
    expect(bufferBytes(4 * MIB)).toBe(12 * MIB);
    expect(bufferBytes(100 * MIB)).toBe(12 * MIB);
    // 190 GiB: 48,640 blocks of 4 MiB, all of them 4 MiB (the size is known: no 16x trailing blocks).
    expect(bufferBytes(190 * 1024 * MIB)).toBe(12 * MIB);
    // 1 TiB: 21 MiB blocks so that 50,000 cover it; three of them exceed the budget, so such an object streams alone.
    expect(bufferBytes(1024 * 1024 * MIB)).toBe(3 * 21 * MIB);
  });
});
