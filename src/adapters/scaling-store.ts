// Predictive-scaling records in Azure Table storage (table SCALING_TABLE_NAME):
//   forecasts  PartitionKey "forecast~<cluster>~<pool>", RowKey = origin time (ISO, sorts by time):
//              what the pool needed and held at the origin, the forecast and upper bound for the
//              target (origin + horizon) with the baselines' forecasts, the decision bound, and,
//              once the target has passed, the actual that followed (backfilled by later runs).
//   decisions  PartitionKey "decision~<cluster>~<pool>", RowKey = decision time: action, bounds,
//              whether it was applied and why (reasons as JSON).
//   state      PartitionKey "state", RowKey "<cluster>~<pool>": when we last changed minCount
//              (the cooldown's memory) and to what.
// Writes are upserts keyed by time, so a re-run activity lands on the same rows.
import type { Settings } from '../config/settings.js';
import type { RegularSeries } from '../forecast/series.js';
import { getTableClient, tableConnectionInfo, TableStore } from './table-client.js';
import { text } from '../domain/text.js';

export interface ForecastRecord {
  cluster: string;
  pool: string;
  /** Origin: the last sample's time (ISO). */
  at: string;
  targetAt: string;
  stepMs: number;
  demand: number | null;
  nodes: number | null;
  allocatable: number | null;
  headroom: number;
  forecast: number | null;
  upper: number | null;
  persistence: number | null;
  seasonalNaive: number | null;
  decisionUpper: number | null;
  neededNodes: number | null;
  model: string | null;
  mode: string;
  modeReasons: string[];
  /** Demand actually seen at targetAt (null until it has passed). */
  actual: number | null;
}

export interface DecisionRecord {
  cluster: string;
  pool: string;
  at: string;
  instanceId: string;
  action: 'raise' | 'lower' | 'hold';
  fromMinCount: number | null;
  toMinCount: number | null;
  target: number | null;
  mode: string;
  apply: boolean;
  /** applied | skipped-paused | failed: <error> | not-applied */
  outcome: string;
  reasons: string[];
}

export interface PoolScalingState {
  lastChangeAt: string | null;
  minCount: number | null;
}

const fcPk = (cluster: string, pool: string) => `forecast~${cluster}~${pool}`;
const decPk = (cluster: string, pool: string) => `decision~${cluster}~${pool}`;

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** Table columns cannot be null: absent means null. */
function compact<T extends Record<string, unknown>>(o: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined && !(typeof v === 'number' && !Number.isFinite(v))) out[k] = v;
  return out;
}

export class ScalingStore extends TableStore {
  static fromSettings(settings: Settings): ScalingStore {
    return new ScalingStore(() => getTableClient(settings, settings.scalingTableName), tableConnectionInfo(settings).endpoint);
  }

  async writeForecast(r: ForecastRecord): Promise<void> {
    const { cluster, pool, at, modeReasons, ...rest } = r;
    await this.run('write forecast', (c) =>
      c.upsertEntity(
        { partitionKey: fcPk(cluster, pool), rowKey: at, cluster, pool, at, modeReasons: JSON.stringify(modeReasons), ...compact(rest) },
        'Replace',
      ),
    );
  }

  /** Forecast records of a pool with origin >= sinceIso, oldest first. */
  async listForecasts(cluster: string, pool: string, sinceIso: string): Promise<ForecastRecord[]> {
    return this.run('list forecasts', async (c) => {
      const out: ForecastRecord[] = [];
      const filter = `PartitionKey eq '${fcPk(cluster, pool).replace(/'/g, "''")}' and RowKey ge '${sinceIso}'`;
      for await (const e of c.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
        out.push({
          cluster,
          pool,
          at: String(e['at']),
          targetAt: String(e['targetAt']),
          stepMs: num(e['stepMs']) ?? 300_000,
          demand: num(e['demand']),
          nodes: num(e['nodes']),
          allocatable: num(e['allocatable']),
          headroom: num(e['headroom']) ?? 0,
          forecast: num(e['forecast']),
          upper: num(e['upper']),
          persistence: num(e['persistence']),
          seasonalNaive: num(e['seasonalNaive']),
          decisionUpper: num(e['decisionUpper']),
          neededNodes: num(e['neededNodes']),
          model: str(e['model']),
          mode: text(e['mode'], 'forecast-only'),
          modeReasons: JSON.parse(text(e['modeReasons'], '[]')) as string[],
          actual: num(e['actual']),
        });
      }
      return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    });
  }

  /**
   * Fills `actual` of forecasts whose target falls on the series' grid and has a value, for
   * origins >= sinceIso. Returns how many rows were updated.
   */
  async backfillActuals(cluster: string, pool: string, series: RegularSeries, sinceIso: string): Promise<number> {
    const rows = await this.listForecasts(cluster, pool, sinceIso);
    let updated = 0;
    for (const r of rows) {
      if (r.actual !== null) continue;
      const i = Math.round((Date.parse(r.targetAt) - series.startMs) / series.stepMs);
      const v = series.values[i];
      if (i < 0 || v === undefined || Number.isNaN(v)) continue;
      await this.run('backfill actual', (c) => c.updateEntity({ partitionKey: fcPk(cluster, pool), rowKey: r.at, actual: v }, 'Merge'));
      updated++;
    }
    return updated;
  }

  async writeDecision(d: DecisionRecord): Promise<void> {
    const { cluster, pool, at, reasons, ...rest } = d;
    await this.run('write decision', (c) =>
      c.upsertEntity({ partitionKey: decPk(cluster, pool), rowKey: at, cluster, pool, at, reasons: JSON.stringify(reasons), ...compact(rest) }, 'Replace'),
    );
  }

  async listDecisions(cluster: string, pool: string, sinceIso: string): Promise<DecisionRecord[]> {
    return this.run('list decisions', async (c) => {
      const out: DecisionRecord[] = [];
      const filter = `PartitionKey eq '${decPk(cluster, pool).replace(/'/g, "''")}' and RowKey ge '${sinceIso}'`;
      for await (const e of c.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
        out.push({
          cluster,
          pool,
          at: String(e['at']),
          instanceId: text(e['instanceId']),
          action: (e['action'] as DecisionRecord['action']) ?? 'hold',
          fromMinCount: num(e['fromMinCount']),
          toMinCount: num(e['toMinCount']),
          target: num(e['target']),
          mode: text(e['mode']),
          apply: e['apply'] === true,
          outcome: text(e['outcome']),
          reasons: JSON.parse(text(e['reasons'], '[]')) as string[],
        });
      }
      return out.sort((a, b) => (a.at < b.at ? -1 : 1));
    });
  }

  async getState(cluster: string, pool: string): Promise<PoolScalingState> {
    return this.run('read scaling state', async (c) => {
      try {
        const e = await c.getEntity<Record<string, unknown>>('state', `${cluster}~${pool}`);
        return { lastChangeAt: str(e['lastChangeAt']), minCount: num(e['minCount']) };
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return { lastChangeAt: null, minCount: null };
        throw err;
      }
    });
  }

  async setState(cluster: string, pool: string, s: PoolScalingState): Promise<void> {
    await this.run('write scaling state', (c) => c.upsertEntity({ partitionKey: 'state', rowKey: `${cluster}~${pool}`, ...compact({ ...s }) }, 'Replace'));
  }
}
