// Error-budget state per SLO in the control table (CONTROL_TABLE_NAME), partition "slo", row =
// SLO name: the last computed state (JSON) and the lowest budget threshold already announced.
// Upserts: a repeated timer tick lands on the same row.
import type { Settings } from '../config/settings.js';
import type { SloState } from '../slo/budget.js';
import { getTableClient, tableConnectionInfo, TableStore } from './table-client.js';

export interface StoredSlo {
  state: SloState;
  lastNotified: number | null;
}

const PK = 'slo';

export class SloStore extends TableStore {
  static fromSettings(settings: Settings): SloStore {
    return new SloStore(() => getTableClient(settings, settings.controlTableName), tableConnectionInfo(settings).endpoint);
  }

  async put(s: StoredSlo): Promise<void> {
    await this.run('write SLO state', (c) =>
      c.upsertEntity(
        { partitionKey: PK, rowKey: s.state.slo, state: JSON.stringify(s.state), ...(s.lastNotified === null ? {} : { lastNotified: s.lastNotified }) },
        'Replace',
      ),
    );
  }

  /** Every stored SLO, by name. */
  async all(): Promise<Map<string, StoredSlo>> {
    return this.run('read SLO state', async (c) => {
      const out = new Map<string, StoredSlo>();
      for await (const e of c.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${PK}'` } })) {
        const state = JSON.parse(String(e['state'])) as SloState;
        out.set(state.slo, { state, lastNotified: typeof e['lastNotified'] === 'number' ? e['lastNotified'] : null });
      }
      return out;
    });
  }
}
