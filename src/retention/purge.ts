// Daily hygiene (issue #13): the Durable task hub's finished instances and the app's own table
// rows older than ops.yaml `retention` are deleted. Running, pending and suspended instances are
// never purged; the audit table keeps its rows for `retention.tables` (default a year), so it stays
// the long-term record after the instance history is gone.
import type { TableClient } from '@azure/data-tables';
import { parseDuration } from '../domain/duration.js';

/** The part of durable-functions' DurableClient the purge uses. */
export interface PurgeClient {
  purgeInstanceHistoryBy(filter: { createdTimeFrom: Date; createdTimeTo?: Date; runtimeStatus?: string[] }): Promise<{ instancesDeleted: number }>;
}

/** Finished states only (OrchestrationRuntimeStatus names). */
export const PURGED_STATES = ['Completed', 'Failed', 'Terminated'];

export function cutoff(now: Date, age: string): Date {
  const seconds = parseDuration(age);
  if (seconds === null || seconds <= 0) throw new Error(`retention: "${age}" is not a duration. Fix: e.g. 30d`);
  return new Date(now.getTime() - seconds * 1000);
}

/** Purges finished instances created before now - age; returns how many the extension deleted. */
export async function purgeFinishedInstances(client: PurgeClient, now: Date, age: string): Promise<{ before: string; instancesDeleted: number }> {
  const before = cutoff(now, age);
  // createdTimeFrom is required by the extension's HTTP API (400 without it): the epoch means "all".
  const r = await client.purgeInstanceHistoryBy({ createdTimeFrom: new Date(0), createdTimeTo: before, runtimeStatus: PURGED_STATES });
  return { before: before.toISOString(), instancesDeleted: r.instancesDeleted };
}

/**
 * Deletes the rows of `table` last written before `before` (the service's Timestamp), in
 * transactions of up to 100 rows of one partition (the Table service's batch limit).
 */
export async function deleteRowsBefore(table: TableClient, before: Date): Promise<number> {
  const { odata } = await import('@azure/data-tables');
  let deleted = 0;
  const rows = table.listEntities({ queryOptions: { filter: odata`Timestamp lt ${before}`, select: ['PartitionKey', 'RowKey'] } });
  const batch = new Map<string, [string, { partitionKey: string; rowKey: string }][]>();
  const flush = async (pk: string) => {
    const actions = batch.get(pk);
    if (!actions?.length) return;
    await table.submitTransaction(actions.map(([kind, e]) => [kind as 'delete', e]));
    deleted += actions.length;
    batch.delete(pk);
  };
  for await (const e of rows) {
    const pk = e.partitionKey!;
    const list = batch.get(pk) ?? [];
    list.push(['delete', { partitionKey: pk, rowKey: e.rowKey! }]);
    batch.set(pk, list);
    if (list.length === 100) await flush(pk);
  }
  for (const pk of [...batch.keys()]) await flush(pk);
  return deleted;
}
