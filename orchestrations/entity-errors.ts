// Entity failures that keep their message. durable-functions 3.x serialises an error thrown by
// an entity operation with JSON.stringify (lib/src/entities/Entity.js), and an Error has no
// enumerable fields, so the orchestration received Error("[object Object]") and the audit "{}".
// The orchestration side does Error(JSON.parse(result)) (TaskOrchestrationExecutor.js), so a
// thrown string arrives intact: rethrow "<name>: <message>" as a string.
import type { EntityContext, EntityHandler } from 'durable-functions';

export function keepErrorMessages<T>(handler: EntityHandler<T>): EntityHandler<T> {
  return (context: EntityContext<T>) => {
    try {
      return handler(context);
    } catch (e) {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- a string survives the SDK's JSON.stringify
      throw asText(e, context);
    }
  };
}

function asText(e: unknown, context: EntityContext<unknown>): string {
  const what = `${context.df.entityName} ${String(context.df.operationName)}`;
  return e instanceof Error ? `${what} failed: ${e.name}: ${e.message}` : `${what} failed: ${String(e)}`;
}
