// The app's own failures told through the routing (src/notify/ops-event.ts, docs/windows.md#paging):
// called by each job's activity with the event its mapping found (src/notify/job-events.ts).
// A notification never fails a job: routing errors are logged (without secrets), not thrown.
import type { InvocationContext } from '@azure/functions';
import type { OpsEvent } from '../../src/notify/ops-event.js';
import type { NotifyStore } from '../../src/adapters/notify-store.js';
import { memoAsync } from '../../src/domain/memo-async.js';
import { appSettings, auditStore, configLoader, notifyEnv } from './runtime.js';

export const notifyStore = memoAsync<NotifyStore>(() => import('../../src/adapters/notify-store.js').then((m) => m.NotifyStore.fromSettings(appSettings())));

/** What notifyOps and sendDueDigests need, for one invocation. */
export async function opsNotifyDeps(context: InvocationContext) {
  const [audit, load, store] = await Promise.all([auditStore(), configLoader(), notifyStore()]);
  return { ...notifyEnv(), config: load(), audit, store, now: () => new Date(), log: (level: 'info' | 'warn', m: string) => context[level](m) };
}

export async function notifyOpsEvent(e: OpsEvent | null, context: InvocationContext): Promise<void> {
  if (!e) return;
  try {
    const [{ notifyOps }, deps] = await Promise.all([import('../../src/notify/ops-event.js'), opsNotifyDeps(context)]);
    const r = await notifyOps(deps, e);
    context.log(`${e.component} ${e.key}: ${r.decision} (${r.why})`);
  } catch (err) {
    const { redactSecrets } = await import('../../src/domain/redact.js');
    context.warn(`${e.component} ${e.key} not routed: ${redactSecrets((err as Error).message)}`);
  }
}
