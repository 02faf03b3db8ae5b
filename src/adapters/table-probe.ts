// Reads at most one row of a table: proves the storage account answers and the identity may read.
import type { Settings } from '../config/settings.js';
import { getTableClient } from './table-client.js';

export async function probeTable(settings: Settings, table: string, create: boolean): Promise<void> {
  const client = await getTableClient(settings, table, { createTable: create, retry: { maxRetries: 0 } });
  const pages = client.listEntities().byPage({ maxPageSize: 1 });
  await pages.next();
}
