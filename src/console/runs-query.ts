// The query of GET /api/runs: ?since= (ISO time or a duration ago, e.g. 24h) and ?limit= (1..500).
import { parseDuration } from '../domain/duration.js';
import { parseIsoTime } from '../domain/audit-query.js';

export function parseRunsQuery(params: { get(name: string): string | null }, now: Date): { since?: Date; limit: number } | { error: string; parameter: string } {
  const limitText = params.get('limit') ?? '100';
  const limit = Number(limitText);
  if (!/^\d+$/.test(limitText) || limit < 1 || limit > 500) return { error: `limit: '${limitText.slice(0, 40)}' must be a whole number from 1 to 500`, parameter: 'limit' };
  const sinceText = params.get('since');
  if (!sinceText) return { limit };
  const iso = parseIsoTime(sinceText);
  const seconds = iso ? null : parseDuration(sinceText);
  if (!iso && seconds === null) return { error: `since: '${sinceText.slice(0, 40)}' is not an ISO time or a duration. Fix: e.g. since=24h or since=2025-03-01T00:00:00Z`, parameter: 'since' };
  return { since: iso ?? new Date(now.getTime() - seconds! * 1000), limit };
}
