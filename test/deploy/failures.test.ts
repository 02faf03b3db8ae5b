// Failures that say what failed: a failed lazy load is retried (not kept for the worker's life).
import { describe, expect, it } from 'vitest';
import { InvocationContext } from '@azure/functions';
import { memoAsync } from '../../src/domain/memo-async.js';
import { lazy } from '../../functions/lib/durable-lazy.js';

describe('lazy loads', () => {
  it('memoAsync retries after a failed build and then keeps the value', async () => {
    let calls = 0;
    const get = memoAsync(async () => {
      calls += 1;
      if (calls === 1) throw new Error('storage blip');
      return { n: calls };
    });
    await expect(get()).rejects.toThrow('storage blip');
    const v = await get();
    expect(v).toEqual({ n: 2 });
    expect(await get()).toBe(v);
    expect(calls).toBe(2);
  });

  it('shares one build between concurrent callers', async () => {
    let calls = 0;
    const get = memoAsync(async () => ++calls);
    expect(await Promise.all([get(), get(), get()])).toEqual([1, 1, 1]);
  });

  it('a lazy trigger handler whose first load failed works on the next invocation', async () => {
    let loads = 0;
    const handler = lazy(async () => {
      loads += 1;
      if (loads === 1) throw new Error('import failed: ETIMEDOUT');
      return async (input: unknown) => ({ echoed: input });
    });
    const ctx = new InvocationContext({ functionName: 'x', invocationId: 'i' });
    await expect(handler('a', ctx)).rejects.toThrow('ETIMEDOUT');
    await expect(handler('b', ctx)).resolves.toEqual({ echoed: 'b' });
    await expect(handler('c', ctx)).resolves.toEqual({ echoed: 'c' });
    expect(loads).toBe(2);
  });
});
