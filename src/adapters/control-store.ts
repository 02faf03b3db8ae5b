// The global pause switch set over HTTP: one row (PartitionKey 'control', RowKey 'pause') in
// the control table (CONTROL_TABLE_NAME) holding {paused, reason, by, at}.
// Automation is paused when the app setting OPS_PAUSED is true OR the stored switch is on
// (isPaused). While paused, decisions are still made and audited; only actions stop.
import type { TableClient } from '@azure/data-tables';
import type { Settings } from '../config/settings.js';
import { redactSecrets } from '../domain/redact.js';
import { classifyStoreError, getTableClient, tableConnectionInfo, type TableClientOptions } from './table-client.js';

export { TransientStoreError, StoreError, isTransientStoreError } from './table-client.js';

export interface PauseState {
  paused: boolean;
  /** Why (free text, secret-looking values are redacted before storing). */
  reason: string;
  /** Who: the Easy Auth principal or the `by` given in the request. */
  by: string;
  /** ISO time it was set. */
  at: string;
}

export interface EffectivePause {
  paused: boolean;
  /** What pauses automation: the app setting OPS_PAUSED, the HTTP switch, or nothing. The setting wins. */
  source: 'setting' | 'switch' | null;
  reason: string | null;
  /** Who set the switch and when (only when source is 'switch'). */
  by?: string;
  at?: string;
}

export const CONTROL_PARTITION = 'control';
export const PAUSE_ROW = 'pause';
const MAX_REASON = 1_000;

export class ControlStore {
  constructor(
    private readonly client: () => Promise<TableClient>,
    private readonly endpoint?: string,
  ) {}

  /** The store for settings.controlTableName. Nothing is contacted before the first call. */
  static fromSettings(settings: Settings, options: TableClientOptions = {}): ControlStore {
    const table = settings.controlTableName;
    const endpoint = tableConnectionInfo(settings).endpoint;
    return new ControlStore(() => getTableClient(settings, table, options), endpoint);
  }

  private async table(): Promise<TableClient> {
    try {
      return await this.client();
    } catch (err) {
      throw classifyStoreError(err, 'open control table', this.endpoint);
    }
  }

  /** The stored switch, or null when it was never set. */
  async getPause(): Promise<PauseState | null> {
    const client = await this.table();
    try {
      const e = await client.getEntity<Record<string, unknown>>(CONTROL_PARTITION, PAUSE_ROW);
      return {
        paused: e.paused === true,
        reason: typeof e.reason === 'string' ? e.reason : '',
        by: typeof e.by === 'string' ? e.by : '',
        at: typeof e.at === 'string' ? e.at : '',
      };
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return null;
      throw classifyStoreError(err, 'read the pause switch', this.endpoint);
    }
  }

  /** Stores the switch (last writer wins). Returns what was stored (reason redacted and clipped). */
  async setPause(state: PauseState): Promise<PauseState> {
    if (typeof state.paused !== 'boolean') throw new TypeError('setPause: paused must be a boolean.');
    if (typeof state.by !== 'string' || state.by.trim() === '') throw new TypeError('setPause: by must name who sets the switch.');
    if (typeof state.at !== 'string' || Number.isNaN(new Date(state.at).getTime())) throw new TypeError('setPause: at must be an ISO time.');
    const stored: PauseState = {
      paused: state.paused,
      reason: redactSecrets(String(state.reason ?? '')).slice(0, MAX_REASON),
      by: state.by.trim().slice(0, 256),
      at: state.at,
    };
    const client = await this.table();
    try {
      await client.upsertEntity({ partitionKey: CONTROL_PARTITION, rowKey: PAUSE_ROW, ...stored }, 'Replace');
    } catch (err) {
      throw classifyStoreError(err, 'write the pause switch', this.endpoint);
    }
    return stored;
  }
}

/**
 * Is automation paused? The app setting OPS_PAUSED wins (the switch is not read then); else the
 * stored switch. Storage errors propagate (TransientStoreError): a caller about to act must
 * treat "cannot tell" as "do not act now".
 */
export async function isPaused(settings: Settings, store: Pick<ControlStore, 'getPause'>): Promise<EffectivePause> {
  if (settings.paused) {
    return { paused: true, source: 'setting', reason: 'app setting OPS_PAUSED is true' };
  }
  const sw = await store.getPause();
  if (sw?.paused) {
    const out: EffectivePause = { paused: true, source: 'switch', reason: sw.reason || '(no reason given)' };
    if (sw.by) out.by = sw.by;
    if (sw.at) out.at = sw.at;
    return out;
  }
  return { paused: false, source: null, reason: null };
}

const STORM_PARTITION = 'storm';

/** The storm limiter's counters and breakers (src/intake/storm.ts) in the control table. */
export class ControlStormStore {
  constructor(private readonly client: () => Promise<TableClient>) {}

  static fromSettings(settings: Settings): ControlStormStore {
    return new ControlStormStore(() => getTableClient(settings, settings.controlTableName, {}));
  }

  async counts(minute: string): Promise<Record<string, number>> {
    const client = await this.client();
    try {
      const e = await client.getEntity<Record<string, unknown>>(STORM_PARTITION, `count-${minute.replace(/:/g, '')}`);
      return JSON.parse(typeof e['counts'] === 'string' ? e['counts'] : '{}') as Record<string, number>;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return {};
      throw classifyStoreError(err, 'read the storm counters');
    }
  }

  async add(minute: string, byScope: Record<string, number>): Promise<void> {
    if (Object.keys(byScope).length === 0) return;
    const now = await this.counts(minute);
    for (const [k, n] of Object.entries(byScope)) now[k] = (now[k] ?? 0) + n;
    const client = await this.client();
    try {
      await client.upsertEntity({ partitionKey: STORM_PARTITION, rowKey: `count-${minute.replace(/:/g, '')}`, counts: JSON.stringify(now) }, 'Replace');
    } catch (err) {
      throw classifyStoreError(err, 'write the storm counters');
    }
  }

  async openBreakers(now: Date): Promise<Set<string>> {
    const client = await this.client();
    const out = new Set<string>();
    try {
      for await (const e of client.listEntities<Record<string, unknown>>({
        queryOptions: { filter: `PartitionKey eq '${STORM_PARTITION}' and RowKey ge 'breaker-' and RowKey lt 'breaker.'` },
      })) {
        if (typeof e['until'] === 'string' && Date.parse(e['until']) > now.getTime() && typeof e['cluster'] === 'string') out.add(e['cluster']);
      }
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return out;
      throw classifyStoreError(err, 'read the storm breakers');
    }
    return out;
  }

  async trip(cluster: string, until: string, reason: string): Promise<void> {
    const client = await this.client();
    try {
      await client.upsertEntity(
        {
          partitionKey: STORM_PARTITION,
          rowKey: `breaker-${Buffer.from(cluster).toString('hex')}`,
          cluster,
          until,
          reason: redactSecrets(reason).slice(0, MAX_REASON),
        },
        'Replace',
      );
    } catch (err) {
      throw classifyStoreError(err, 'trip the storm breaker');
    }
  }
}
