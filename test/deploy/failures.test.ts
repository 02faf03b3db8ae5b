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

// Entity failures keep their message; reading a budget period does not create its entity.
import { createRequire } from 'node:module';
import type { EntityHandler } from 'durable-functions';
import { keepErrorMessages } from '../../orchestrations/entity-errors.js';
import { guardEntity } from '../../orchestrations/guard-entity.js';
import { budgetEntity, BUDGET_OP } from '../../orchestrations/budget-entity.js';

const require = createRequire(import.meta.url);
const { createEntityFunction } = require('durable-functions/lib/src/util/testingUtils.js') as {
  createEntityFunction(
    fn: EntityHandler<unknown>,
  ): (trigger: unknown, ctx: InvocationContext) => Promise<{ entityExists: boolean; results: Array<{ isError: boolean; result: string }> }>;
};

/** Runs one operation through the SDK's own entity executor, as the host would. */
async function runOp(handler: EntityHandler<unknown>, name: string, op: string, input?: unknown) {
  const fn = createEntityFunction(handler);
  const trigger = {
    self: { name, key: 'k' },
    exists: false,
    state: undefined,
    batch: [{ name: op, signal: false, input: input === undefined ? undefined : JSON.stringify(input) }],
  };
  return fn(trigger, new InvocationContext({ functionName: name, invocationId: 'i' }));
}

/** What the orchestration sees for a failed entity call (TaskOrchestrationExecutor: Error(JSON.parse(result))). */
const orchestrationError = (result: string) => Error(JSON.parse(result) as string).message;

describe('entity errors', () => {
  it('without the wrapper the SDK loses the message (the bug this guards against)', async () => {
    const out = await runOp(guardEntity as EntityHandler<unknown>, 'guard', 'bogus');
    expect(out.results[0]!.isError).toBe(true);
    expect(out.results[0]!.result).toBe('{}');
  });

  it('keepErrorMessages carries the message to the orchestration', async () => {
    const out = await runOp(keepErrorMessages(guardEntity as EntityHandler<unknown>), 'guard', 'bogus');
    expect(out.results[0]!.isError).toBe(true);
    expect(orchestrationError(out.results[0]!.result)).toBe('guard bogus failed: Error: guard: unknown operation bogus');
  });

  it('a budget operation without input fails with a message naming the operation', async () => {
    const out = await runOp(keepErrorMessages(budgetEntity as EntityHandler<unknown>), 'budget', BUDGET_OP.applied);
    expect(orchestrationError(out.results[0]!.result)).toContain(`budget ${BUDGET_OP.applied}: input object required`);
  });

  it('budget get answers the initial state without creating the entity', async () => {
    const out = await runOp(budgetEntity as EntityHandler<unknown>, 'budget', BUDGET_OP.get, {});
    expect(out.results[0]!.isError).toBe(false);
    expect(JSON.parse(out.results[0]!.result)).toBeTypeOf('object');
    expect(out.entityExists).toBe(false);
  });
});
