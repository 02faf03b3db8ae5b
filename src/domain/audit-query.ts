// Pure rules of the audit log: how a record maps to a table row (partition per UTC day,
// newest-first RowKey), how a query's time window, filters and limit are checked, and the
// redaction guard that keeps secret values out of audit rows. No I/O, no SDK imports.
import { parseDuration } from './duration.js';
import type { AuditRecord } from './types.js';
import { redactSecrets } from './redact.js';

export const AUDIT_QUERY_DEFAULT_LIMIT = 100;
export const AUDIT_QUERY_MAX_LIMIT = 1000;
/** Window when `since` is not given: this many days before `until`. */
export const AUDIT_QUERY_DEFAULT_WINDOW_DAYS = 7;
/** Widest window one query may span (one table query per UTC day). */
export const AUDIT_QUERY_MAX_DAYS = 92;

/** What a caller asks for (HTTP query parameters, CLI flags). Times are strings as given. */
export interface AuditQuery {
  /** ISO 8601 time, YYYY-MM-DD (UTC midnight), or a duration ago such as "24h" / "7d". */
  since?: string;
  /** Same forms as `since`; default now. */
  until?: string;
  /** Exact targetKey(...) to match. */
  target?: string;
  /** Exact orchestration instance ID to match. */
  instanceId?: string;
  /** Most items to return: default 100, capped at 1000. */
  limit?: number;
  /** Only targets in this cluster (targetKey prefix `cluster/`). */
  cluster?: string;
  /** Only targets in this namespace of `cluster` (prefix `cluster/namespace/`). */
  namespace?: string;
  rule?: string;
  decision?: string;
  kind?: string;
  /** `next` of the previous page: continue after its last row. */
  cursor?: string;
}

/** A checked query with absolute times. */
export interface ResolvedAuditQuery {
  since: Date;
  until: Date;
  target?: string;
  instanceId?: string;
  limit: number;
  targetPrefix?: string;
  rule?: string;
  decision?: string;
  kind?: string;
  /** Continue after this row (from a cursor). */
  after?: { day: string; rowKey: string };
}

export interface AuditQueryResult {
  /** Newest first. */
  items: AuditRecord[];
  /** More records matched than `limit`: narrow the window or raise the limit. */
  truncated: boolean;
  since: string;
  until: string;
  limit: number;
  /** When truncated: pass as `cursor` (with the same filters) for the next page. */
  next?: string;
}

/** A query parameter is wrong; `message` names it, says what was expected and how to fix it. */
export class AuditQueryError extends Error {
  override readonly name = 'AuditQueryError';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})$/;

/** Parses an ISO 8601 date (UTC midnight) or date-time with Z or an offset; null otherwise. */
export function parseIsoTime(text: string): Date | null {
  const t = text.trim();
  let m = ISO_DATE.exec(t);
  if (m) {
    const d = new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00.000Z`);
    return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== t ? null : d;
  }
  m = ISO_DATE_TIME.exec(t);
  if (!m) return null;
  const [, y, mo, da, h, mi, s = '00', frac = '', zone = 'Z'] = m;
  const ms = (frac + '000').slice(0, 3);
  const z = zone === 'Z' || zone === 'z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const d = new Date(`${y}-${mo}-${da}T${h}:${mi}:${s}.${ms}${z}`);
  if (Number.isNaN(d.getTime())) return null;
  // Reject rollover dates such as 2024-02-30 (Date would silently move them to March).
  if (z === 'Z' && d.toISOString().slice(0, 10) !== `${y}-${mo}-${da}`) return null;
  return d;
}

function show(value: string): string {
  const v = value.length > 60 ? `${value.slice(0, 60)}...` : value;
  return JSON.stringify(v).slice(1, -1);
}

function parseTime(parameter: 'since' | 'until', text: string, now: Date): Date {
  const iso = parseIsoTime(text);
  if (iso) return iso;
  const seconds = parseDuration(text.trim());
  if (seconds !== null) return new Date(now.getTime() - seconds * 1000);
  throw new AuditQueryError(
    parameter,
    `${parameter}: '${show(text)}' is not an ISO 8601 time. Fix: use a UTC time such as ${parameter}=2024-05-01T08:00:00Z, ` +
      `a date such as ${parameter}=2024-05-01 (UTC midnight), or a duration ago such as ${parameter}=24h or ${parameter}=7d.`,
  );
}

function checkFilter(parameter: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length > 512) {
    throw new AuditQueryError(parameter, `${parameter}: longer than 512 characters. Fix: pass the exact ${parameter} as recorded.`);
  }
  return value;
}

/** Checks a query and makes its times absolute. Throws AuditQueryError naming the bad parameter. */
export function resolveAuditQuery(query: AuditQuery, now: Date): ResolvedAuditQuery {
  const until = query.until === undefined || query.until === '' ? now : parseTime('until', query.until, now);
  const since =
    query.since === undefined || query.since === ''
      ? new Date(until.getTime() - AUDIT_QUERY_DEFAULT_WINDOW_DAYS * 86_400_000)
      : parseTime('since', query.since, now);
  if (since.getTime() > until.getTime()) {
    throw new AuditQueryError('since', `since: ${since.toISOString()} is after until ${until.toISOString()}. Fix: pass a since earlier than until.`);
  }
  const days = utcDaysNewestFirst(since, until).length;
  if (days > AUDIT_QUERY_MAX_DAYS) {
    throw new AuditQueryError(
      'since',
      `since: the window ${since.toISOString()} .. ${until.toISOString()} spans ${days} days; at most ${AUDIT_QUERY_MAX_DAYS} are allowed. ` +
        'Fix: narrow since/until, or query the table directly (docs/operations.md, "Audit log").',
    );
  }
  let limit = AUDIT_QUERY_DEFAULT_LIMIT;
  if (query.limit !== undefined) {
    if (!Number.isInteger(query.limit) || query.limit < 1) {
      throw new AuditQueryError(
        'limit',
        `limit: '${String(query.limit)}' is not a whole number of at least 1. Fix: pass e.g. limit=100 (at most ${AUDIT_QUERY_MAX_LIMIT}).`,
      );
    }
    limit = Math.min(query.limit, AUDIT_QUERY_MAX_LIMIT);
  }
  const resolved: ResolvedAuditQuery = { since, until, limit };
  const target = checkFilter('target', query.target);
  const instanceId = checkFilter('instanceId', query.instanceId);
  if (target !== undefined) resolved.target = target;
  if (instanceId !== undefined) resolved.instanceId = instanceId;
  for (const f of ['rule', 'decision', 'kind'] as const) {
    const v = checkFilter(f, query[f]);
    if (v !== undefined) resolved[f] = v;
  }
  const cluster = checkFilter('cluster', query.cluster);
  const namespace = checkFilter('namespace', query.namespace);
  if (namespace !== undefined && cluster === undefined)
    throw new AuditQueryError('namespace', 'namespace: needs cluster too (targets are cluster/namespace/kind/name). Fix: add cluster=<name>.');
  for (const [p, v] of [
    ['cluster', cluster],
    ['namespace', namespace],
  ] as const) {
    if (v !== undefined && v.includes('/')) throw new AuditQueryError(p, `${p}: '${show(v)}' contains '/'. Fix: pass the ${p} name alone.`);
  }
  if (cluster !== undefined) resolved.targetPrefix = namespace === undefined ? `${cluster}/` : `${cluster}/${namespace}/`;
  if (query.cursor) resolved.after = decodeCursor(query.cursor);
  return resolved;
}

/** A page cursor: the partition (UTC day) and RowKey of the last row returned. */
export function encodeCursor(day: string, rowKey: string): string {
  return Buffer.from(`${day}|${rowKey}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { day: string; rowKey: string } {
  const m = /^(\d{4}-\d{2}-\d{2})\|(\d{13}_[A-Za-z0-9._:@+=-]{1,200})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m)
    throw new AuditQueryError(
      'cursor',
      "cursor: not a cursor this API returned. Fix: pass the 'next' value of the previous page unchanged, or leave cursor out.",
    );
  return { day: m[1]!, rowKey: m[2]! };
}

// ---- Row layout --------------------------------------------------------------------------

/** Parses a record's `at`; throws when it is not a time (a record must never be silently misfiled). */
export function auditTime(record: Pick<AuditRecord, 'at' | 'id'>): Date {
  const d = typeof record.at === 'string' ? new Date(record.at) : new Date(NaN);
  if (Number.isNaN(d.getTime())) {
    throw new RangeError(`Audit record ${JSON.stringify(record.id)}: at '${show(String(record.at))}' is not an ISO 8601 time.`);
  }
  return d;
}

/** PartitionKey: the UTC day of the event, YYYY-MM-DD. */
export function auditPartitionKey(at: Date): string {
  return at.toISOString().slice(0, 10);
}

const MAX_MS = 9_999_999_999_999; // year 2286: keeps the inverted time 13 digits wide.

/** Inverted milliseconds, zero-padded, so that a lexical RowKey order is newest first. */
export function invertedTime(at: Date): string {
  return String(MAX_MS - at.getTime()).padStart(13, '0');
}

const SAFE_ID = /^[A-Za-z0-9._:@+=-]{1,200}$/;

/** The id as it appears in a RowKey: as is when it only has safe characters, else a hash of it. */
export function rowKeyId(id: string, sha256Hex: (text: string) => string): string {
  return SAFE_ID.test(id) ? id : `~${sha256Hex(id)}`;
}

/**
 * RowKey: `<inverted ms of at>_<id>`. Deterministic from `at` and `id`: the same record written
 * again (retry, replay) replaces the same row; rows of one day list newest first.
 */
export function auditRowKey(at: Date, id: string, sha256Hex: (text: string) => string): string {
  return `${invertedTime(at)}_${rowKeyId(id, sha256Hex)}`;
}

/** RowKey bounds (inclusive lower, exclusive upper) that select events with since <= at <= until. */
export function rowKeyRange(since: Date, until: Date): { from: string; below: string } {
  return {
    from: invertedTime(until),
    below: String(MAX_MS - since.getTime() + 1).padStart(13, '0'),
  };
}

/** The UTC days (YYYY-MM-DD) from until back to since, newest first. */
export function utcDaysNewestFirst(since: Date, until: Date): string[] {
  const days: string[] = [];
  const first = Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate());
  for (let t = Date.UTC(until.getUTCFullYear(), until.getUTCMonth(), until.getUTCDate()); t >= first; t -= 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
    if (days.length > AUDIT_QUERY_MAX_DAYS + 1) break;
  }
  return days;
}

/** Free-text fields of an audit record that pass through redactSecrets before they are stored. */
export const AUDIT_FREE_TEXT_FIELDS = ['detail', 'error', 'result', 'decision'] as const;

/** The record with secret-looking values redacted in its free-text fields. */
export function redactAuditRecord(record: AuditRecord): AuditRecord {
  let out = record;
  for (const field of AUDIT_FREE_TEXT_FIELDS) {
    const v = record[field];
    if (typeof v !== 'string') continue;
    const r = redactSecrets(v);
    if (r !== v) out = { ...out, [field]: r };
  }
  return out;
}
