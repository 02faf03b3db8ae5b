// The audit log in Azure Table storage (table AUDIT_TABLE_NAME).
//
// Row layout: PartitionKey = UTC day of `at` (YYYY-MM-DD); RowKey = `<inverted ms of at>_<id>`
// (ids with characters outside [A-Za-z0-9._:@+=-] or longer than 200 become `~<sha256 of id>`),
// so the same record written twice lands on the same row (upsert Replace) and a day's rows list
// newest first. Columns: the AuditRecord fields (strings, dryRun boolean).
// Every record passes the redaction guard (redactAuditRecord) before it is written.
import { createHash } from 'node:crypto';
import type { TableClient, TableEntity, TransactionAction } from '@azure/data-tables';
import type { Settings } from '../config/settings.js';
import {
  auditPartitionKey,
  auditRowKey,
  auditTime,
  encodeCursor,
  redactAuditRecord,
  resolveAuditQuery,
  rowKeyRange,
  utcDaysNewestFirst,
  type AuditQuery,
  type AuditQueryResult,
} from '../domain/audit-query.js';
import type { AuditRecord } from '../domain/types.js';
import { classifyStoreError, getTableClient, tableConnectionInfo, type TableClientOptions } from './table-client.js';

export { AuditQueryError, redactAuditRecord } from '../domain/audit-query.js';
export { redactSecrets } from '../domain/redact.js';
export type { AuditQuery, AuditQueryResult } from '../domain/audit-query.js';
export { TransientStoreError, StoreError, isTransientStoreError } from './table-client.js';

/** Longest string stored in one column (Azure Table allows 32K UTF-16 characters per string). */
export const AUDIT_MAX_FIELD_CHARS = 8_000;
const MAX_BATCH_ENTITIES = 100;
/** Azure Table transactions are limited to 4 MiB; stay well below. */
const MAX_BATCH_BYTES = 3_000_000;

const STRING_FIELDS = [
  'at',
  'kind',
  'actor',
  'proof',
  'instanceId',
  'fingerprint',
  'alertname',
  'rule',
  'runbook',
  'target',
  'decision',
  'result',
  'error',
  'detail',
  'id',
] as const satisfies readonly (keyof AuditRecord)[];

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function clip(value: string): string {
  return value.length <= AUDIT_MAX_FIELD_CHARS ? value : `${value.slice(0, AUDIT_MAX_FIELD_CHARS - 14)}...[truncated]`;
}

function checkRecord(r: AuditRecord): void {
  if (typeof r !== 'object' || r === null) throw new TypeError('Audit record is not an object.');
  for (const f of ['id', 'kind', 'actor', 'at'] as const) {
    if (typeof r[f] !== 'string' || r[f] === '') {
      throw new TypeError(`Audit record ${JSON.stringify(String(r.id ?? '?'))}: field '${f}' must be a non-empty string.`);
    }
  }
}

/** The table entity for a record: keys, redacted and clipped columns. */
export function auditEntity(record: AuditRecord): TableEntity<Record<string, string | boolean>> {
  checkRecord(record);
  const at = auditTime(record);
  const safe = redactAuditRecord(record);
  const entity: TableEntity<Record<string, string | boolean>> = {
    partitionKey: auditPartitionKey(at),
    rowKey: auditRowKey(at, record.id, sha256Hex),
  };
  for (const f of STRING_FIELDS) {
    const v = safe[f];
    if (typeof v === 'string') entity[f] = clip(v);
  }
  if (typeof safe.dryRun === 'boolean') entity.dryRun = safe.dryRun;
  return entity;
}

/** The AuditRecord stored in a table entity (unknown columns are dropped). */
export function recordFromEntity(entity: Record<string, unknown>): AuditRecord {
  const out: Record<string, unknown> = {};
  for (const f of STRING_FIELDS) {
    const v = entity[f];
    if (typeof v === 'string') out[f] = v;
  }
  if (typeof entity.dryRun === 'boolean') out.dryRun = entity.dryRun;
  return out as unknown as AuditRecord;
}

function batchesOf(entities: TableEntity<Record<string, string | boolean>>[]): TableEntity<Record<string, string | boolean>>[][] {
  const batches: TableEntity<Record<string, string | boolean>>[][] = [];
  let current: TableEntity<Record<string, string | boolean>>[] = [];
  let bytes = 0;
  for (const e of entities) {
    const size = Buffer.byteLength(JSON.stringify(e), 'utf8') + 600; // + multipart headers
    if (current.length > 0 && (current.length >= MAX_BATCH_ENTITIES || bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export interface AuditStoreOptions extends TableClientOptions {
  /** Clock for defaults ("now", durations ago); tests pass a fixed one. */
  now?: () => Date;
}

export class AuditStore {
  private readonly now: () => Date;

  /**
   * @param client the table (created lazily by fromSettings; tests may pass their own)
   * @param endpoint where the table lives, for error messages (no credentials)
   */
  constructor(
    private readonly client: () => Promise<TableClient>,
    private readonly endpoint?: string,
    options: { now?: () => Date } = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** The store for settings.auditTableName. Nothing is contacted before the first write/query. */
  static fromSettings(settings: Settings, options: AuditStoreOptions = {}): AuditStore {
    const table = settings.auditTableName;
    const endpoint = tableConnectionInfo(settings).endpoint;
    const clientOptions: TableClientOptions = {};
    if (options.retry) clientOptions.retry = options.retry;
    if (options.createTable !== undefined) clientOptions.createTable = options.createTable;
    const storeOptions: { now?: () => Date } = {};
    if (options.now) storeOptions.now = options.now;
    return new AuditStore(() => getTableClient(settings, table, clientOptions), endpoint, storeOptions);
  }

  /**
   * Writes records idempotently (upsert Replace: a record written again replaces its row).
   * One transaction per UTC day, up to 100 rows each. Secret-looking values in free-text fields
   * are redacted first. Throws TypeError/RangeError for a malformed record (nothing is written),
   * TransientStoreError when storage is unavailable, StoreError otherwise. A failure can leave
   * earlier day batches written: writing the same records again is safe.
   */
  async write(records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    const byPartition = new Map<string, Map<string, TableEntity<Record<string, string | boolean>>>>();
    for (const r of records) {
      const e = auditEntity(r);
      let rows = byPartition.get(e.partitionKey);
      if (!rows) byPartition.set(e.partitionKey, (rows = new Map()));
      rows.set(e.rowKey, e); // the same row twice in one call: the last one wins (a transaction rejects duplicates)
    }
    let client: TableClient;
    try {
      client = await this.client();
    } catch (err) {
      throw classifyStoreError(err, 'open audit table', this.endpoint);
    }
    for (const [partition, rows] of byPartition) {
      for (const batch of batchesOf([...rows.values()])) {
        try {
          if (batch.length === 1) {
            await client.upsertEntity(batch[0]!, 'Replace');
          } else {
            await client.submitTransaction(batch.map((e): TransactionAction => ['upsert', e, 'Replace']));
          }
        } catch (err) {
          throw classifyStoreError(err, `write ${batch.length} audit record(s) to partition ${partition}`, this.endpoint);
        }
      }
    }
  }

  /**
   * Records with since <= at <= until, newest first, optionally only those of one target
   * (exact targetKey) and/or one orchestration instance. At most `limit` (default 100, max 1000);
   * `truncated` says more matched. Throws AuditQueryError for a bad parameter.
   */
  async query(query: AuditQuery = {}): Promise<AuditQueryResult> {
    const q = resolveAuditQuery(query, this.now());
    const { odata } = await import('@azure/data-tables');
    const { from, below } = rowKeyRange(q.since, q.until);
    let client: TableClient;
    try {
      client = await this.client();
    } catch (err) {
      throw classifyStoreError(err, 'open audit table', this.endpoint);
    }
    const items: AuditRecord[] = [];
    let truncated = false;
    let next: string | undefined;
    let last: { day: string; rowKey: string } | undefined;
    days: for (const day of utcDaysNewestFirst(q.since, q.until)) {
      if (q.after && day > q.after.day) continue;
      const parts = [odata`PartitionKey eq ${day} and RowKey ge ${from} and RowKey lt ${below}`];
      if (q.after && day === q.after.day) parts.push(odata`RowKey gt ${q.after.rowKey}`);
      if (q.target !== undefined) parts.push(odata`target eq ${q.target}`);
      if (q.instanceId !== undefined) parts.push(odata`instanceId eq ${q.instanceId}`);
      // Prefix as a range: '/' + 1 is '0'.
      if (q.targetPrefix !== undefined) parts.push(odata`target ge ${q.targetPrefix} and target lt ${`${q.targetPrefix.slice(0, -1)}0`}`);
      if (q.rule !== undefined) parts.push(odata`rule eq ${q.rule}`);
      if (q.decision !== undefined) parts.push(odata`decision eq ${q.decision}`);
      if (q.kind !== undefined) parts.push(odata`kind eq ${q.kind}`);
      try {
        const pages = client
          .listEntities<Record<string, unknown>>({ queryOptions: { filter: parts.join(' and ') } })
          .byPage({ maxPageSize: Math.min(q.limit + 1, 1000) });
        for await (const page of pages) {
          for (const entity of page) {
            if (items.length === q.limit) {
              truncated = true;
              if (last) next = encodeCursor(last.day, last.rowKey);
              break days;
            }
            items.push(recordFromEntity(entity));
            last = { day, rowKey: String(entity['rowKey']) };
          }
        }
      } catch (err) {
        throw classifyStoreError(err, `query audit partition ${day}`, this.endpoint);
      }
    }
    return { items, truncated, since: q.since.toISOString(), until: q.until.toISOString(), limit: q.limit, ...(next ? { next } : {}) };
  }
}
