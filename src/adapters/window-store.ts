// Ad-hoc maintenance windows opened over HTTP (POST /api/windows), one row each in the control
// table (CONTROL_TABLE_NAME, PartitionKey 'window', RowKey = the window id). A window ends by
// itself at `to`; closing it early sets `closedAt`. Rows whose end is past are kept (they are
// the record) and skipped by `active`; they are few (people open them by hand).
import type { TableClient } from '@azure/data-tables';
import type { Settings } from '../config/settings.js';
import type { AdhocWindow } from '../windows/policy.js';
import { classifyStoreError, getTableClient, tableConnectionInfo, type TableClientOptions } from './table-client.js';

export const WINDOW_PARTITION = 'window';

export class WindowStore {
  constructor(
    private readonly client: () => Promise<TableClient>,
    private readonly endpoint?: string,
  ) {}

  static fromSettings(settings: Settings, options: TableClientOptions = {}): WindowStore {
    return new WindowStore(() => getTableClient(settings, settings.controlTableName, options), tableConnectionInfo(settings).endpoint);
  }

  private async table(): Promise<TableClient> {
    try {
      return await this.client();
    } catch (err) {
      throw classifyStoreError(err, 'open control table', this.endpoint);
    }
  }

  /** Stores a new window (the id is new: a retried request with the same id rewrites the same row). */
  async open(w: AdhocWindow): Promise<void> {
    const client = await this.table();
    try {
      await client.upsertEntity({ partitionKey: WINDOW_PARTITION, rowKey: w.id, json: JSON.stringify(w) }, 'Replace');
    } catch (err) {
      throw classifyStoreError(err, 'store the window', this.endpoint);
    }
  }

  async get(id: string): Promise<AdhocWindow | null> {
    const client = await this.table();
    try {
      const e = await client.getEntity<{ json: string }>(WINDOW_PARTITION, id);
      return JSON.parse(e.json) as AdhocWindow;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return null;
      throw classifyStoreError(err, 'read the window', this.endpoint);
    }
  }

  /** Every stored window (open, closed and ended). */
  async list(): Promise<AdhocWindow[]> {
    const client = await this.table();
    const out: AdhocWindow[] = [];
    try {
      for await (const e of client.listEntities<{ json: string }>({ queryOptions: { filter: `PartitionKey eq '${WINDOW_PARTITION}'` } }))
        out.push(JSON.parse(e.json) as AdhocWindow);
    } catch (err) {
      throw classifyStoreError(err, 'list windows', this.endpoint);
    }
    return out;
  }

  /** The windows not yet ended or closed at `at`. */
  async active(at: Date): Promise<AdhocWindow[]> {
    return (await this.list()).filter((w) => Date.parse(w.to) > at.getTime() && !(w.closedAt && Date.parse(w.closedAt) <= at.getTime()));
  }
}
