// Registers Durable Functions triggers without importing the durable-functions SDK at start-up.
// df.app.orchestration/activity/entity and df.app.client.http are thin wrappers over
// @azure/functions' app.generic/app.http with the trigger types below (durable-functions 3.x
// lib/src/app.js, trigger.js, input.js); the SDK costs ~170 ms to import, and cold start is
// benchmarked, so we register the same metadata and load the SDK on the first invocation.
import { withSpan } from '../../src/telemetry/trace.js';
import {
  app,
  input,
  trigger,
  type EventGridEvent,
  type HttpRequest,
  type HttpResponseInit,
  type InvocationContext,
  type FunctionInput,
  type Timer,
} from '@azure/functions';
import type { DurableClient, OrchestrationHandler, EntityHandler, ActivityHandler } from 'durable-functions';
import { memoAsync } from '../../src/domain/memo-async.js';
import { keepErrorMessages } from '../../orchestrations/entity-errors.js';

type Sdk = typeof import('durable-functions');
/** The two functions of durable-functions/lib/src/util/testingUtils.js we use (it ships no typings). */
interface Testing {
  createOrchestrator(fn: OrchestrationHandler): Handler;
  createEntityFunction(fn: EntityHandler<unknown>): Handler;
}
/** df.app.wrapActivityHandler exists at run time (lib/src/app.js) but is missing from the typings. */
type SdkApp = { wrapActivityHandler(h: ActivityHandler): Handler };
type Handler = (triggerInput: unknown, context: InvocationContext) => Promise<unknown>;

// Failed loads are retried on the next invocation (memoAsync), never kept for the worker's life.
const loadSdk = memoAsync(() => import('durable-functions'));
// createOrchestrator/createEntityFunction are what df.app.orchestration/entity register.
// A string variable, so TypeScript does not look for types the module does not ship.
const TESTING_UTILS: string = 'durable-functions/lib/src/util/testingUtils.js';
const durableTesting = memoAsync(() => import(TESTING_UTILS) as Promise<Testing>);
export function durableSdk(): Promise<Sdk> {
  return loadSdk();
}

/** A handler built once, on first use; a failed build is tried again on the next invocation. */
export function lazy(build: () => Promise<Handler>): Handler {
  const built = memoAsync(build);
  return async (t, c) => (await built())(t, c);
}

export function orchestration(name: string, load: () => Promise<OrchestrationHandler>): void {
  app.generic(name, {
    trigger: trigger.generic({ type: 'orchestrationTrigger' }),
    handler: lazy(async () => (await durableTesting()).createOrchestrator(await load())),
  });
}

export function entity(name: string, load: () => Promise<EntityHandler<unknown>>): void {
  app.generic(name, {
    trigger: trigger.generic({ type: 'entityTrigger' }),
    handler: lazy(async () => (await durableTesting()).createEntityFunction(keepErrorMessages(await load()))),
  });
}

export function activity(name: string, load: () => Promise<ActivityHandler>): void {
  app.generic(name, {
    trigger: trigger.generic({ type: 'activityTrigger' }),
    handler: lazy(async () => ((await durableSdk()).app as unknown as SdkApp).wrapActivityHandler(traced(name, await load()))),
  });
}

/** Each activity runs in a span under the trace its run carries (input.traceparent), see src/telemetry/trace.ts. */
export function traced(name: string, handler: ActivityHandler): ActivityHandler {
  return (async (input: unknown, context: InvocationContext) => {
    const parent =
      typeof input === 'object' && input !== null && typeof (input as { traceparent?: unknown }).traceparent === 'string'
        ? (input as { traceparent: string }).traceparent
        : undefined;
    const instanceId =
      typeof input === 'object' && input !== null && typeof (input as { instanceId?: unknown }).instanceId === 'string'
        ? (input as { instanceId: string }).instanceId
        : undefined;
    return withSpan(
      `activity ${name}`,
      instanceId ? { 'aksops.instance_id': instanceId } : {},
      () => Promise.resolve((handler as (i: unknown, c: InvocationContext) => unknown)(input, context)),
      parent,
    );
  }) as ActivityHandler;
}

function clientInput(): FunctionInput {
  return input.generic({ type: 'durableClient' });
}

export type ClientHttpHandler = (request: HttpRequest, client: DurableClient, context: InvocationContext) => Promise<HttpResponseInit>;

export function clientHttp(
  name: string,
  options: { route: string; methods: ('GET' | 'POST' | 'PUT' | 'DELETE')[]; authLevel: 'anonymous' | 'function' | 'admin'; handler: ClientHttpHandler },
): void {
  app.http(name, {
    route: options.route,
    methods: options.methods,
    authLevel: options.authLevel,
    extraInputs: [clientInput()],
    handler: async (request, context) => options.handler(request, (await durableSdk()).getClient(context), context),
  });
}

export type ClientTimerHandler = (timer: Timer, client: DurableClient, context: InvocationContext) => Promise<void>;

export function clientTimer(name: string, options: { schedule: string; runOnStartup?: boolean; handler: ClientTimerHandler }): void {
  app.timer(name, {
    schedule: options.schedule,
    runOnStartup: options.runOnStartup ?? false,
    extraInputs: [clientInput()],
    handler: async (timer, context) => options.handler(timer, (await durableSdk()).getClient(context), context),
  });
}

export type ClientEventGridHandler = (event: EventGridEvent, client: DurableClient, context: InvocationContext) => Promise<void>;

/** An Event Grid trigger with a Durable client input (what df.app.client.eventGrid registers). */
export function clientEventGrid(name: string, options: { handler: ClientEventGridHandler }): void {
  app.eventGrid(name, {
    extraInputs: [clientInput()],
    handler: async (event, context) => options.handler(event, (await durableSdk()).getClient(context), context),
  });
}
