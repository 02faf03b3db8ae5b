// Durable notification state in the control table (CONTROL_TABLE_NAME):
//  - 'notify-claim' rows: one per routed event or digest (RowKey = a hash of its key). A claim
//    is taken before sending and marked sent after, so a re-run (activity retry, timer overlap,
//    a second worker) never sends twice; a claim left by a crash expires after `leaseMs` and the
//    next run sends again (nothing lost; see docs/windows.md#morning-digest for the one case
//    that can repeat).
//  - 'digest' rows: warnings held out of hours, one per (digestAt, target, event key), until the
//    digest containing them is sent.
// Optimistic concurrency (create = 409 if present, update with the ETag = 412 if changed) makes
// the claim safe across workers without a lock.
import { createHash } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import type { Settings } from '../config/settings.js';
import { classifyStoreError, getTableClient, tableConnectionInfo, type TableClientOptions } from './table-client.js';

const CLAIM = 'notify-claim';
const DIGEST = 'digest';

export interface DigestItem {
  digestAt: string;
  target: string;
  key: string;
  at: string;
  severity: 'critical' | 'warning' | 'info';
  title: string;
  summary: string;
}

export type Claim = { granted: true; etag: string } | { granted: false; why: 'sent' | 'in-flight' };

const rowKey = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 48);
const status = (e: unknown) => (e as { statusCode?: number }).statusCode;

export class NotifyStore {
  constructor(
    private readonly client: () => Promise<TableClient>,
    private readonly endpoint?: string,
    readonly leaseMs = 10 * 60_000,
  ) {}

  static fromSettings(settings: Settings, options: TableClientOptions = {}): NotifyStore {
    return new NotifyStore(() => getTableClient(settings, settings.controlTableName, options), tableConnectionInfo(settings).endpoint);
  }

  private async table(): Promise<TableClient> {
    try {
      return await this.client();
    } catch (err) {
      throw classifyStoreError(err, 'open control table', this.endpoint);
    }
  }

  /** Takes the claim to send `key` now; refused when it was sent, or another run holds an unexpired claim. */
  async claim(key: string, now: Date): Promise<Claim> {
    const t = await this.table();
    const rk = rowKey(key);
    try {
      const r = await t.createEntity({ partitionKey: CLAIM, rowKey: rk, key, state: 'sending', claimedAt: now.toISOString() });
      return { granted: true, etag: r.etag ?? '*' };
    } catch (err) {
      if (status(err) !== 409) throw classifyStoreError(err, 'claim a notification', this.endpoint);
    }
    try {
      const e = await t.getEntity<{ state: string; claimedAt: string }>(CLAIM, rk);
      if (e.state === 'sent') return { granted: false, why: 'sent' };
      if (Date.parse(e.claimedAt) + this.leaseMs > now.getTime()) return { granted: false, why: 'in-flight' };
      const r = await t.updateEntity({ partitionKey: CLAIM, rowKey: rk, key, state: 'sending', claimedAt: now.toISOString() }, 'Replace', { etag: e.etag });
      return { granted: true, etag: r.etag ?? '*' };
    } catch (err) {
      if (status(err) === 412 || status(err) === 404) return { granted: false, why: 'in-flight' };
      throw classifyStoreError(err, 'claim a notification', this.endpoint);
    }
  }

  /** Marks a claimed key sent (ok) or releases it for the next run (not ok). */
  async settle(key: string, ok: boolean, now: Date): Promise<void> {
    const t = await this.table();
    try {
      if (ok) await t.upsertEntity({ partitionKey: CLAIM, rowKey: rowKey(key), key, state: 'sent', claimedAt: now.toISOString() }, 'Replace');
      else await t.deleteEntity(CLAIM, rowKey(key));
    } catch (err) {
      if (!ok && status(err) === 404) return;
      throw classifyStoreError(err, 'settle a notification', this.endpoint);
    }
  }

  /** Holds a warning for the digest at `digestAt` to `target`; the same event queued twice is one row. */
  async enqueue(item: DigestItem): Promise<void> {
    const t = await this.table();
    try {
      await t.upsertEntity(
        {
          partitionKey: DIGEST,
          rowKey: `${item.digestAt}|${rowKey(`${item.target}|${item.key}`)}`,
          digestAt: item.digestAt,
          target: item.target,
          json: JSON.stringify(item),
        },
        'Replace',
      );
    } catch (err) {
      throw classifyStoreError(err, 'queue a warning for the digest', this.endpoint);
    }
  }

  /** Queued items whose digest is due at `now`, oldest first. */
  async due(now: Date): Promise<DigestItem[]> {
    return this.listUpTo(`${now.toISOString()}|~`);
  }

  /** Everything still queued (for the CLI and tests). */
  async queued(): Promise<DigestItem[]> {
    return this.listUpTo('~');
  }

  private async listUpTo(last: string): Promise<DigestItem[]> {
    const t = await this.table();
    const out: DigestItem[] = [];
    try {
      const { odata } = await import('@azure/data-tables');
      for await (const e of t.listEntities<{ json: string }>({ queryOptions: { filter: odata`PartitionKey eq ${DIGEST} and RowKey le ${last}` } }))
        out.push(JSON.parse(e.json) as DigestItem);
    } catch (err) {
      throw classifyStoreError(err, 'read the digest queue', this.endpoint);
    }
    return out.sort((a, b) => a.at.localeCompare(b.at));
  }

  async remove(items: DigestItem[]): Promise<void> {
    const t = await this.table();
    for (const item of items) {
      try {
        await t.deleteEntity(DIGEST, `${item.digestAt}|${rowKey(`${item.target}|${item.key}`)}`);
      } catch (err) {
        if (status(err) !== 404) throw classifyStoreError(err, 'remove sent digest items', this.endpoint);
      }
    }
  }
}
